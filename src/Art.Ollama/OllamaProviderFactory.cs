using Art.Observation;
using Art.Reasoning;

namespace Art.Ollama;

/// <summary>
/// Registers provider type <c>ollama</c>: local by nature, no API key, base URL from the instance, else
/// <c>OLLAMA_HOST</c> (the variable the Ollama CLI itself reads), else <c>http://127.0.0.1:11434</c>.
/// Give it the host's <see cref="IObservationManager"/> so pulls and deletes reach the ModelSocket.
/// </summary>
public sealed class OllamaProviderFactory : IProviderFactory
{
    /// <summary>The default Ollama address (127.0.0.1 rather than localhost: no IPv6-first resolution delay).</summary>
    public const string DefaultUrl = "http://127.0.0.1:11434";

    private readonly IObservationManager? _observations;

    public OllamaProviderFactory(IObservationManager? observations = null) => _observations = observations;

    /// <inheritdoc />
    public IReadOnlyList<string> ProviderNames { get; } = ["ollama"];

    /// <inheritdoc />
    public bool IsLocalByDefault(string providerName) => true;

    /// <inheritdoc />
    public string? ApiKeyEnvironmentVariable(string providerName) => null;

    /// <inheritdoc />
    public bool RequiresApiKey(string providerName) => false;

    /// <inheritdoc />
    public string? DefaultBaseUrl(string providerName) => ResolveDefaultBaseUrl();

    /// <inheritdoc />
    public IProviderAdapter Create(ProviderAdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new OllamaProviderAdapter(context, _observations);
    }

    /// <summary><c>OLLAMA_HOST</c> normalised (scheme and port added, 0.0.0.0 read as loopback), else <see cref="DefaultUrl"/>.</summary>
    public static string ResolveDefaultBaseUrl() => FromOllamaHost(Environment.GetEnvironmentVariable("OLLAMA_HOST")) ?? DefaultUrl;

    /// <summary>Reads an <c>OLLAMA_HOST</c> value the way the Ollama CLI does: <c>host</c>, <c>host:port</c>, <c>:port</c> or a URL.</summary>
    public static string? FromOllamaHost(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = value.Trim().TrimEnd('/');
        var hadScheme = text.Contains("://", StringComparison.Ordinal);
        if (!hadScheme)
        {
            text = "http://" + text;
        }

        if (text.Contains("://:", StringComparison.Ordinal))
        {
            text = text.Replace("://:", "://127.0.0.1:", StringComparison.Ordinal); // ":11434" means all interfaces, this machine
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var host = uri.Host is "" or "0.0.0.0" or "[::]" or "::" ? "127.0.0.1" : uri.Host;
        // Like the CLI: a bare host gets 11434; an explicit scheme keeps its own default port (80/443).
        var explicitPort = !hadScheme && !HasExplicitPort(text) ? 11434 : uri.Port;
        var builder = new UriBuilder(uri.Scheme, host, explicitPort, uri.AbsolutePath.TrimEnd('/'));
        return builder.Uri.ToString().TrimEnd('/');
    }

    private static bool HasExplicitPort(string url)
    {
        var afterScheme = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var authority = afterScheme.Split('/')[0];
        return authority.LastIndexOf(':') > authority.LastIndexOf(']');
    }
}
