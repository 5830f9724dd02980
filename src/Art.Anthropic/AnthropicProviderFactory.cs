using Art.Reasoning;

namespace Art.Anthropic;

/// <summary>Creates <see cref="AnthropicProviderAdapter"/>s for instances of provider type <c>anthropic</c>.</summary>
public sealed class AnthropicProviderFactory : IProviderFactory
{
    /// <summary>The provider type name.</summary>
    public const string ProviderName = "anthropic";

    /// <summary>Anthropic's public endpoint; the SDK appends <c>/v1/...</c>.</summary>
    public const string PublicBaseUrl = "https://api.anthropic.com";

    public const string ApiKeyVariable = "ANTHROPIC_API_KEY";

    public IReadOnlyList<string> ProviderNames { get; } = [ProviderName];

    public bool IsLocalByDefault(string providerName) => false;

    public string? ApiKeyEnvironmentVariable(string providerName) => ApiKeyVariable;

    public bool RequiresApiKey(string providerName) => true;

    public string? DefaultBaseUrl(string providerName) => PublicBaseUrl;

    public IProviderAdapter Create(ProviderAdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!string.Equals(context.Config.Provider, ProviderName, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"The Anthropic factory cannot create instances of provider '{context.Config.Provider}'.", nameof(context));
        }

        return new AnthropicProviderAdapter(context);
    }
}
