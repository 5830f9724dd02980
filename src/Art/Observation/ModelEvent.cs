using System.Text.Json;

namespace Art.Observation;

/// <summary>Model-management events a UI draws (route decisions, fallbacks, budgets, pulls, deletes).</summary>
public enum ModelEventType
{
    ModelRouteDecision,
    ModelFallbackAttempt,
    ModelFallbackSuccess,
    ModelFallbackFailed,
    CostWarning,
    CostLimitReached,
    ModelPullStart,
    ModelPullProgress,
    ModelPullEnd,
    ModelDeleteAttempt,
    ModelDeleteResult,
}

/// <summary>An event on the <c>ModelSocket</c>, mapped from a model-related observation.</summary>
public sealed record ModelEvent
{
    public required ModelEventType Type { get; init; }

    public string? ThreadId { get; init; }

    public string? InstanceId { get; init; }

    public string? ModelId { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The observation's content (pull progress, cost figures, route explanation, ...).</summary>
    public JsonElement Content { get; init; }

    /// <summary>The observation this event was mapped from.</summary>
    public string? ObservationId { get; init; }

    /// <summary>The model event type of an observation type, or null when the observation is not model-related.</summary>
    public static ModelEventType? FromObservationType(ObservationType type) => type switch
    {
        ObservationType.ModelRouteDecision => ModelEventType.ModelRouteDecision,
        ObservationType.ModelFallbackAttempt => ModelEventType.ModelFallbackAttempt,
        ObservationType.ModelFallbackSuccess => ModelEventType.ModelFallbackSuccess,
        ObservationType.ModelFallbackFailed => ModelEventType.ModelFallbackFailed,
        ObservationType.CostWarning => ModelEventType.CostWarning,
        ObservationType.CostLimitReached => ModelEventType.CostLimitReached,
        ObservationType.ModelPullStart => ModelEventType.ModelPullStart,
        ObservationType.ModelPullProgress => ModelEventType.ModelPullProgress,
        ObservationType.ModelPullEnd => ModelEventType.ModelPullEnd,
        ObservationType.ModelDeleteAttempt => ModelEventType.ModelDeleteAttempt,
        ObservationType.ModelDeleteResult => ModelEventType.ModelDeleteResult,
        _ => null,
    };

    /// <summary>Maps a model-related observation; null for other types.</summary>
    public static ModelEvent? FromObservation(Observation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        return FromObservationType(observation.Type) is { } type
            ? new ModelEvent
            {
                Type = type,
                ThreadId = observation.ThreadId,
                InstanceId = observation.InstanceId,
                ModelId = observation.ModelId,
                Timestamp = observation.Timestamp,
                Content = observation.Content,
                ObservationId = observation.Id,
            }
            : null;
    }
}
