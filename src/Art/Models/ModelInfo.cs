using System.Text.Json.Serialization;

namespace Art.Models;

/// <summary>Where a registry entry came from; later sources override earlier ones.</summary>
public enum ModelInfoSource
{
    /// <summary>The embedded default catalog.</summary>
    Seed,

    /// <summary>A price map imported by the user.</summary>
    Imported,

    /// <summary>Learned at runtime from a provider (Ollama /api/show, OpenRouter's model list).</summary>
    Discovered,

    /// <summary>Registered by the application.</summary>
    User,
}

/// <summary>
/// What ART knows about one model of one provider type: capabilities (tri-state), context window, prices.
/// The registry key is <see cref="Key"/> = <c>provider/modelId</c>.
/// </summary>
public sealed record ModelInfo
{
    /// <summary>Provider type name (<c>openai</c>, <c>ollama</c>, ...), not an instance id.</summary>
    public required string Provider { get; init; }

    /// <summary>The model id as the provider's API takes it (OpenRouter ids contain a slash).</summary>
    public required string ModelId { get; init; }

    public string? DisplayName { get; init; }

    /// <summary>Known capabilities: true = yes, false = no, absent = unknown.</summary>
    public IReadOnlyDictionary<ModelCapability, bool> Capabilities { get; init; } = new Dictionary<ModelCapability, bool>();

    /// <summary>Total context window in tokens (prompt + output), when known.</summary>
    public int? ContextWindow { get; init; }

    public int? MaxOutputTokens { get; init; }

    public ModelPricing? Pricing { get; init; }

    public bool Deprecated { get; init; }

    /// <summary>
    /// Where the entry came from. Defaults to <see cref="ModelInfoSource.User"/>: an entry an application builds and
    /// registers without saying otherwise is its own (discovery and imports never overwrite it, and the router treats it
    /// as present on local instances). The seed loader stamps catalog entries <see cref="ModelInfoSource.Seed"/>.
    /// </summary>
    public ModelInfoSource Source { get; init; } = ModelInfoSource.User;

    public DateTimeOffset? UpdatedAt { get; init; }

    [JsonIgnore]
    public string Key => MakeKey(Provider, ModelId);

    public static string MakeKey(string provider, string modelId) => provider + "/" + modelId;

    /// <summary>Tri-state lookup of one capability.</summary>
    public CapabilitySupport Supports(ModelCapability capability) =>
        Capabilities.TryGetValue(capability, out var yes) ? (yes ? CapabilitySupport.Yes : CapabilitySupport.No) : CapabilitySupport.Unknown;
}
