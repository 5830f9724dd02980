using Art.Reasoning;

namespace Art.Models;

/// <summary>
/// The catalog of models ART can route to: capabilities, context windows and prices, merged from the embedded
/// seed, persisted entries, imports and runtime discovery. Lookups are served from memory (the router's hot path);
/// changes are persisted through <see cref="IModelRegistryRepository"/>.
/// </summary>
public interface IModelRegistry
{
    /// <summary>Loads the seed and the persisted entries. Idempotent.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Number of models known.</summary>
    int Count { get; }

    /// <summary>The entry for <paramref name="provider"/>/<paramref name="modelId"/>, or null when unknown.</summary>
    ModelInfo? GetModelInfo(string provider, string modelId);

    /// <summary>All models of one provider type.</summary>
    IReadOnlyList<ModelInfo> GetModelsForProvider(string provider);

    /// <summary>Adds or replaces an entry (persisted).</summary>
    Task RegisterModelAsync(ModelInfo model, CancellationToken cancellationToken = default);

    /// <summary>Adds or replaces several entries in one persisted batch.</summary>
    Task RegisterModelsAsync(IReadOnlyList<ModelInfo> models, CancellationToken cancellationToken = default);

    /// <summary>Models that definitely have every capability (unknown counts as missing here).</summary>
    Task<IReadOnlyList<ModelInfo>> FindModelsWithCapabilitiesAsync(IReadOnlyCollection<ModelCapability> capabilities, string? provider = null, CancellationToken cancellationToken = default);

    /// <summary>Checks a model against capabilities, with tri-state answers per capability.</summary>
    Task<CapabilityValidation> ValidateModelCapabilitiesAsync(string provider, string modelId, IReadOnlyCollection<ModelCapability> capabilities, CancellationToken cancellationToken = default);

    /// <summary>Everything, shaped for a model picker.</summary>
    Task<IReadOnlyList<ModelUIInfo>> GetAllModelsForUIAsync(CancellationToken cancellationToken = default);

    /// <summary>Imports a LiteLLM-format price map (USD per token); returns how many entries were added or updated.</summary>
    Task<int> ImportPriceMapAsync(Stream priceMapJson, CancellationToken cancellationToken = default);

    /// <summary>Prices for a model served by an instance: the instance's override wins over the registry.</summary>
    ModelPricing? ResolvePricing(ProviderInstanceConfig instance, string modelId);
}

/// <summary>Result of <see cref="IModelRegistry.ValidateModelCapabilitiesAsync"/>.</summary>
public sealed record CapabilityValidation(
    bool IsKnownModel,
    IReadOnlyDictionary<ModelCapability, CapabilitySupport> Support)
{
    /// <summary>No capability is definitely missing.</summary>
    public bool IsCompatible => Support.Values.All(s => s != CapabilitySupport.No);

    /// <summary>Every capability is definitely present.</summary>
    public bool IsConfirmed => IsKnownModel && Support.Values.All(s => s == CapabilitySupport.Yes);
}

/// <summary>A model as a picker shows it.</summary>
public sealed record ModelUIInfo(
    string Id,
    string DisplayName,
    string Provider,
    string ModelId,
    IReadOnlyList<ModelCapability> Capabilities,
    int? ContextWindow,
    ModelPricing? Pricing,
    bool IsDeprecated);
