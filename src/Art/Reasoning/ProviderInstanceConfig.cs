using Art.Models;

namespace Art.Reasoning;

/// <summary>
/// One configured provider instance: a provider type at a base URL with a key and defaults. Several instances of
/// the same provider may exist (two Ollama hosts, two OpenAI keys).
/// </summary>
public sealed record ProviderInstanceConfig
{
    /// <summary>Unique id the rest of the configuration refers to.</summary>
    public required string Id { get; init; }

    /// <summary>Provider type (<c>ollama</c>, <c>openai</c>, <c>anthropic</c>, <c>gemini</c>, <c>deepseek</c>, <c>openrouter</c>, <c>openai-compatible</c>, ...).</summary>
    public required string Provider { get; init; }

    /// <summary>Base URL; the provider's public endpoint when absent.</summary>
    public string? BaseUrl { get; init; }

    /// <summary>API key; when absent it comes from the provider's environment variable or the unlocked secrets store. Never logged.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Environment variable to read the key from instead of the provider's default one.</summary>
    public string? ApiKeyEnvironmentVariable { get; init; }

    /// <summary>Default model of the instance.</summary>
    public string? Model { get; init; }

    /// <summary>Local (one machine): auto-detected for Ollama and loopback URLs when absent.</summary>
    public bool? IsLocal { get; init; }

    /// <summary>Concurrent requests allowed: for a local host, the shared gate's width (default 1); for a remote instance, unlimited when absent.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>How long a request waits for a slot before failing.</summary>
    public TimeSpan? QueueTimeout { get; init; }

    /// <summary>Instance default parameters.</summary>
    public ModelParameters? Parameters { get; init; }

    /// <summary>Per-model price overrides for this instance (key = model id), winning over the registry.</summary>
    public IReadOnlyDictionary<string, ModelPricing>? Pricing { get; init; }

    /// <summary>Extra HTTP headers (e.g. OpenRouter's <c>HTTP-Referer</c>, <c>X-Title</c>).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Timeout of one HTTP attempt; the provider default when absent.</summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>A copy that is safe to show: the key is replaced by a marker.</summary>
    public ProviderInstanceConfig Redacted() => ApiKey is null ? this : this with { ApiKey = "***" };

    /// <summary>Records print without the key.</summary>
    public override string ToString() => $"{Id} ({Provider}{(BaseUrl is null ? string.Empty : " at " + BaseUrl)})";
}
