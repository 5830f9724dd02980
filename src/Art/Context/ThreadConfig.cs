using Art.Models;
using Art.Reasoning;

namespace Art.Context;

/// <summary>Per-thread configuration: how it reasons, which tools it may use, how much history it sees.</summary>
public sealed record ThreadConfig
{
    public required ThreadReasoningConfig Reasoning { get; init; }

    /// <summary>Tool names enabled for the thread.</summary>
    public IReadOnlyList<string> EnabledTools { get; init; } = [];

    /// <summary>Messages of history the agent loads (most recent); 0 or less = all.</summary>
    public int HistoryLimit { get; init; } = 20;

    /// <summary>Thread-level system prompt (between the instance default and the call's).</summary>
    public string? SystemPrompt { get; init; }
}

/// <summary>How a thread chooses and pays for models.</summary>
public sealed record ThreadReasoningConfig
{
    /// <summary>The thread's instance; may be null only when a legacy <see cref="Provider"/> resolves it.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Legacy (v0.2.4) provider type; resolves to the first instance of that provider.</summary>
    public string? Provider { get; init; }

    /// <summary>Model, overriding the instance's default.</summary>
    public string? Model { get; init; }

    public ModelParameters? Parameters { get; init; }

    public ModelPreferences? ModelPreferences { get; init; }

    public CostPreferences? CostPreferences { get; init; }

    /// <summary>Infer capabilities from the query text when a call gives none (images, tools and schemas are always inferred).</summary>
    public bool AutoDetectCapabilities { get; init; }
}

/// <summary>Where a capability should be served; either an instance (optionally with a model) or a provider type and model.</summary>
public sealed record ModelTarget
{
    public string? InstanceId { get; init; }

    public string? Provider { get; init; }

    public string? ModelId { get; init; }
}

/// <summary>Routing preferences of a thread.</summary>
public sealed record ModelPreferences
{
    /// <summary>Instance to use when nothing more specific applies.</summary>
    public string? DefaultInstanceId { get; init; }

    /// <summary>Preferred target per capability.</summary>
    public IReadOnlyDictionary<ModelCapability, ModelTarget>? PreferredModels { get; init; }

    /// <summary>Instances to fall back to, in order.</summary>
    public IReadOnlyList<string>? FallbackInstances { get; init; }

    /// <summary>Whether fallback may leave the listed instances for any other fitting candidate (cheapest first).</summary>
    public bool AllowCrossProviderFallback { get; init; } = true;

    /// <summary>Rank cheaper candidates first when nothing else decides.</summary>
    public bool PreferCheaperModels { get; init; } = true;
}

/// <summary>Budgets of a thread. Limits are hard (calls are refused); the warning fires once per crossing.</summary>
public sealed record CostPreferences
{
    /// <summary>USD a single call may cost at most (estimated before the call).</summary>
    public decimal? MaxCostPerCall { get; init; }

    /// <summary>USD the thread may spend in total.</summary>
    public decimal? MaxCostPerThread { get; init; }

    /// <summary>USD thread total at which a COST_WARNING fires.</summary>
    public decimal? WarnCostThreshold { get; init; }

    /// <summary>Tokens the thread may use in total.</summary>
    public long? MaxTokensPerThread { get; init; }

    /// <summary>Tokens one call may use (prompt estimate + max output).</summary>
    public long? MaxTokensPerCall { get; init; }
}
