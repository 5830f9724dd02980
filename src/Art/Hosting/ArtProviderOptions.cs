using Art.Models;
using Art.Reasoning;

namespace Art.Hosting;

/// <summary>
/// One entry of <c>providers</c>: the bindable form of <see cref="ProviderInstanceConfig"/>. <c>parameters</c> take
/// the loose names <see cref="ModelParameters.FromDictionary"/> accepts (<c>temperature</c>, <c>num_ctx</c>,
/// <c>max_tokens</c>, ...); <c>pricing</c> is keyed by model id, in USD per million tokens.
/// </summary>
public sealed class ArtProviderOptions
{
    public string? Id { get; set; }

    public string? Provider { get; set; }

    public string? BaseUrl { get; set; }

    /// <summary>Prefer the key store or an environment variable: a key here sits in a plain file.</summary>
    public string? ApiKey { get; set; }

    public string? ApiKeyEnvironmentVariable { get; set; }

    public string? Model { get; set; }

    public bool? IsLocal { get; set; }

    public int? MaxConcurrency { get; set; }

    /// <summary>How long a call waits for a slot (<c>"00:05:00"</c>).</summary>
    public TimeSpan? QueueTimeout { get; set; }

    /// <summary>Timeout of one HTTP attempt (<c>"00:02:00"</c>).</summary>
    public TimeSpan? RequestTimeout { get; set; }

    public IDictionary<string, string?>? Parameters { get; set; }

    public IDictionary<string, ArtPricingOptions>? Pricing { get; set; }

    public IDictionary<string, string>? Headers { get; set; }

    internal ProviderInstanceConfig? ToConfig(string path, List<string> errors)
    {
        var before = errors.Count;
        if (string.IsNullOrWhiteSpace(Id))
        {
            errors.Add($"{path}:id: is required (the name the rest of the configuration and --instance use).");
        }

        if (string.IsNullOrWhiteSpace(Provider))
        {
            errors.Add($"{path}:provider: is required (ollama, openai, anthropic, gemini, deepseek, openrouter, openai-compatible, ...).");
        }

        if (!string.IsNullOrWhiteSpace(BaseUrl) && (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"{path}:baseUrl: '{BaseUrl}' is not an absolute http(s) URL.");
        }

        if (MaxConcurrency is < 1)
        {
            errors.Add($"{path}:maxConcurrency: must be at least 1 (got {MaxConcurrency}).");
        }

        if (QueueTimeout is { } q && q < TimeSpan.Zero)
        {
            errors.Add($"{path}:queueTimeout: must not be negative.");
        }

        if (RequestTimeout is { } r && r <= TimeSpan.Zero)
        {
            errors.Add($"{path}:requestTimeout: must be positive.");
        }

        ModelParameters? parameters = null;
        if (Parameters is { Count: > 0 })
        {
            try
            {
                parameters = ModelParameters.FromDictionary(Parameters);
            }
            catch (System.Text.Json.JsonException ex)
            {
                errors.Add($"{path}:parameters: {ex.Message}");
            }
        }

        Dictionary<string, ModelPricing>? pricing = null;
        if (Pricing is { Count: > 0 })
        {
            pricing = new Dictionary<string, ModelPricing>(StringComparer.Ordinal);
            foreach (var (model, price) in Pricing)
            {
                if (price?.ToPricing($"{path}:pricing:{model}", errors) is { } p)
                {
                    pricing[model] = p;
                }
            }
        }

        if (errors.Count > before)
        {
            return null;
        }

        return new ProviderInstanceConfig
        {
            Id = Id!.Trim(),
            Provider = Provider!.Trim().ToLowerInvariant(),
            BaseUrl = string.IsNullOrWhiteSpace(BaseUrl) ? null : BaseUrl.Trim(),
            ApiKey = string.IsNullOrEmpty(ApiKey) ? null : ApiKey,
            ApiKeyEnvironmentVariable = string.IsNullOrWhiteSpace(ApiKeyEnvironmentVariable) ? null : ApiKeyEnvironmentVariable,
            Model = string.IsNullOrWhiteSpace(Model) ? null : Model,
            IsLocal = IsLocal,
            MaxConcurrency = MaxConcurrency,
            QueueTimeout = QueueTimeout,
            RequestTimeout = RequestTimeout,
            Parameters = parameters,
            Pricing = pricing,
            Headers = Headers is { Count: > 0 } ? new Dictionary<string, string>(Headers, StringComparer.OrdinalIgnoreCase) : null,
        };
    }
}
