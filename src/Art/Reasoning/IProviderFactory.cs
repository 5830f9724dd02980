using Microsoft.Extensions.Logging;

namespace Art.Reasoning;

/// <summary>
/// Creates adapters of one provider type. Provider packages register their factories (e.g. <c>AddOllama()</c>);
/// the core knows no SDK.
/// </summary>
public interface IProviderFactory
{
    /// <summary>Provider type names this factory serves (e.g. <c>openai</c>, <c>deepseek</c>, <c>openrouter</c>, <c>openai-compatible</c>).</summary>
    IReadOnlyList<string> ProviderNames { get; }

    /// <summary>Whether instances of this provider type run on the user's machine by nature (Ollama).</summary>
    bool IsLocalByDefault(string providerName);

    /// <summary>Environment variable holding the provider's API key (e.g. <c>OPENAI_API_KEY</c>), or null when none is needed.</summary>
    string? ApiKeyEnvironmentVariable(string providerName);

    /// <summary>Whether the provider needs an API key at all.</summary>
    bool RequiresApiKey(string providerName);

    /// <summary>The provider's public base URL, used when an instance gives none.</summary>
    string? DefaultBaseUrl(string providerName);

    /// <summary>Creates the adapter of one instance. <see cref="ProviderAdapterContext.Config"/> carries the resolved key.</summary>
    IProviderAdapter Create(ProviderAdapterContext context);
}

/// <summary>What a factory gets to build an adapter.</summary>
public sealed record ProviderAdapterContext
{
    /// <summary>The instance configuration, with the API key resolved and the base URL defaulted.</summary>
    public required ProviderInstanceConfig Config { get; init; }

    public required ILoggerFactory LoggerFactory { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Optional HTTP handler (tests, proxies); adapters create their own when absent.</summary>
    public HttpMessageHandler? HttpHandler { get; init; }
}
