using Art.Reasoning;
using Microsoft.Extensions.Logging;

namespace Art.Gemini;

/// <summary>
/// Creates Gemini adapters. The key comes from the instance, else <c>GEMINI_API_KEY</c>, else <c>GOOGLE_API_KEY</c>
/// (the name Google's own SDKs also read). A base URL may include the API version (<c>…/v1beta</c>); it is split off.
/// </summary>
public sealed class GeminiProviderFactory : IProviderFactory
{
    public const string Name = "gemini";

    public const string KeyVariable = "GEMINI_API_KEY";

    public const string SecondKeyVariable = "GOOGLE_API_KEY";

    /// <inheritdoc />
    public IReadOnlyList<string> ProviderNames { get; } = [Name];

    /// <inheritdoc />
    public bool IsLocalByDefault(string providerName) => false;

    /// <inheritdoc />
    public string? ApiKeyEnvironmentVariable(string providerName) => KeyVariable;

    /// <inheritdoc />
    public bool RequiresApiKey(string providerName) => true;

    /// <inheritdoc />
    public string? DefaultBaseUrl(string providerName) => GeminiChatClientOptions.DefaultBaseUrl;

    /// <inheritdoc />
    public IProviderAdapter Create(ProviderAdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = context.Config;
        var key = config.ApiKey;
        if (string.IsNullOrEmpty(key))
        {
            key = Environment.GetEnvironmentVariable(config.ApiKeyEnvironmentVariable ?? KeyVariable);
            if (string.IsNullOrEmpty(key) && config.ApiKeyEnvironmentVariable is null)
            {
                key = Environment.GetEnvironmentVariable(SecondKeyVariable);
            }
        }

        var (root, version) = SplitBaseUrl(config.BaseUrl ?? GeminiChatClientOptions.DefaultBaseUrl);
        var http = context.HttpHandler is null ? new HttpClient() : new HttpClient(context.HttpHandler, disposeHandler: false);
        if (config.RequestTimeout is { } timeout)
        {
            http.Timeout = timeout;
        }

        var client = new GeminiChatClient(
            new GeminiChatClientOptions { BaseUrl = root, ApiVersion = version, ApiKey = key, DefaultModel = config.Model ?? GeminiProviderAdapter.FallbackModel, Headers = config.Headers },
            http,
            ownsHttpClient: true);
        return new GeminiProviderAdapter(config with { ApiKey = key }, client, context.LoggerFactory.CreateLogger<GeminiProviderAdapter>());
    }

    /// <summary>Splits <c>https://host/v1beta</c> into the root and the version; the version defaults to <c>v1beta</c>.</summary>
    public static (Uri Root, string Version) SplitBaseUrl(string baseUrl)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(baseUrl);
        var trimmed = baseUrl.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        var last = slash >= 0 ? trimmed[(slash + 1)..] : string.Empty;
        if (slash > "https://".Length && last.Length > 1 && last[0] == 'v' && char.IsDigit(last[1]))
        {
            return (new Uri(trimmed[..slash]), last);
        }

        return (new Uri(trimmed), "v1beta");
    }
}
