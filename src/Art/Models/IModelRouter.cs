using Art.Context;

namespace Art.Models;

/// <summary>What the router needs to decide.</summary>
public sealed record RoutingRequest
{
    public required string ThreadId { get; init; }

    /// <summary>The thread's reasoning config (already merged with host defaults).</summary>
    public required ThreadReasoningConfig Reasoning { get; init; }

    public IReadOnlyList<ModelCapability> RequiredCapabilities { get; init; } = [];

    /// <summary>Instance asked for by this call (overrides the thread's instance, keeps its fallbacks).</summary>
    public string? InstanceId { get; init; }

    /// <summary>Model asked for by this call.</summary>
    public string? ModelId { get; init; }

    /// <summary>Estimated prompt tokens, for the context-window fit.</summary>
    public int EstimatedPromptTokens { get; init; }

    /// <summary>Output tokens the call may produce, for the context-window fit and cost estimate.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>Only consider targets with a context window larger than this (after a context-length error).</summary>
    public int? MinContextWindow { get; init; }

    /// <summary>Whether fallbacks should be computed at all.</summary>
    public bool AllowFallback { get; init; } = true;
}

/// <summary>How an attempt at an instance ended, fed back to the router's circuit breaker.</summary>
public enum AttemptOutcome
{
    Success,
    TransientFailure,
    HardFailure,
}

/// <summary>Deterministic, explainable routing with per-instance circuit breaking.</summary>
public interface IModelRouter
{
    /// <summary>
    /// Chooses the primary target and ordered fallbacks, or throws <see cref="RoutingException"/> (nothing fits) or
    /// <see cref="UnknownInstanceException"/> (the call or thread names an instance that is not configured).
    /// </summary>
    ValueTask<RouteDecision> SelectAsync(RoutingRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reports an attempt's outcome so repeated failures open the instance's circuit.</summary>
    void ReportOutcome(string instanceId, AttemptOutcome outcome, ProviderErrorKind? kind = null);

    /// <summary>Whether calls to the instance are currently allowed (closed or half-open probe available).</summary>
    bool IsAvailable(string instanceId);
}
