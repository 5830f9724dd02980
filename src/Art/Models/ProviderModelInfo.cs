namespace Art.Models;

/// <summary>One entry of a provider's own model list (Ollama /api/tags, OpenAI /v1/models, OpenRouter's priced list, ...).</summary>
public sealed record ProviderModelInfo
{
    /// <summary>The id to send back to the provider.</summary>
    public required string Name { get; init; }

    public string? DisplayName { get; init; }

    /// <summary>Size on disk for local models.</summary>
    public long? SizeBytes { get; init; }

    public DateTimeOffset? ModifiedAt { get; init; }

    public string? Digest { get; init; }

    public int? ContextWindow { get; init; }

    public int? MaxOutputTokens { get; init; }

    /// <summary>Prices when the provider lists them (OpenRouter).</summary>
    public ModelPricing? Pricing { get; init; }

    /// <summary>Capabilities when the provider lists them.</summary>
    public IReadOnlyDictionary<ModelCapability, bool>? Capabilities { get; init; }

    /// <summary>Other provider-specific facts (family, parameter size, quantization, owner).</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }
}

/// <summary>What a provider says about one model in detail (Ollama /api/show).</summary>
public sealed record ProviderModelDetails
{
    public required string Name { get; init; }

    public IReadOnlyDictionary<ModelCapability, bool> Capabilities { get; init; } = new Dictionary<ModelCapability, bool>();

    /// <summary>The provider's raw capability names (e.g. Ollama's <c>completion</c>, <c>vision</c>, <c>tools</c>, <c>thinking</c>).</summary>
    public IReadOnlyList<string> RawCapabilities { get; init; } = [];

    public int? ContextWindow { get; init; }

    public string? Family { get; init; }

    public string? ParameterSize { get; init; }

    public string? QuantizationLevel { get; init; }

    public IReadOnlyDictionary<string, string>? Details { get; init; }
}

/// <summary>A model currently loaded in memory (Ollama /api/ps).</summary>
public sealed record RunningModelInfo
{
    public required string Name { get; init; }

    public long? SizeBytes { get; init; }

    public long? SizeVramBytes { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public int? ContextLength { get; init; }
}
