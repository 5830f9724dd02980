using System.Text.Json;

namespace Art.Observation;

/// <summary>A recorded event of an agent or of model management, persisted and streamed to UIs.</summary>
public sealed record Observation
{
    public required string Id { get; init; }

    /// <summary>The thread it belongs to; null for process-level events (pulls, key access).</summary>
    public string? ThreadId { get; init; }

    public string? TraceId { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    public required ObservationType Type { get; init; }

    public required string Title { get; init; }

    /// <summary>Instance concerned, for model-related observations.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Model concerned, for model-related observations.</summary>
    public string? ModelId { get; init; }

    /// <summary>Type-specific payload (never a secret, never prompt text unless the host enables it).</summary>
    public JsonElement Content { get; init; }

    public IReadOnlyDictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>What a component hands to <see cref="IObservationManager.RecordAsync"/>; id, time and title are filled in.</summary>
public sealed record NewObservation
{
    public required ObservationType Type { get; init; }

    public string? ThreadId { get; init; }

    public string? TraceId { get; init; }

    public string? InstanceId { get; init; }

    public string? ModelId { get; init; }

    /// <summary>Defaults to a title made from the type.</summary>
    public string? Title { get; init; }

    public JsonElement Content { get; init; }

    public IReadOnlyDictionary<string, JsonElement>? Metadata { get; init; }

    /// <summary>Builds an observation whose content is <paramref name="content"/> serialised with <see cref="ArtJson"/>.</summary>
    public static NewObservation Create<T>(ObservationType type, T content, string? threadId = null, string? traceId = null, string? instanceId = null, string? modelId = null) =>
        new() { Type = type, Content = ArtJson.ToElement(content), ThreadId = threadId, TraceId = traceId, InstanceId = instanceId, ModelId = modelId };
}

/// <summary>Which observations to read.</summary>
public sealed record ObservationQuery
{
    /// <summary>Only these types; null or empty = all.</summary>
    public IReadOnlyCollection<ObservationType>? Types { get; init; }

    public string? TraceId { get; init; }

    public DateTimeOffset? Before { get; init; }

    public DateTimeOffset? After { get; init; }

    /// <summary>The most recent N (returned oldest first); null = all.</summary>
    public int? Limit { get; init; }
}

/// <summary>
/// The one path for events: components record observations; the manager persists them, notifies the observation
/// socket and maps model-related types onto the model socket. Observations of one trace keep their order.
/// </summary>
public interface IObservationManager
{
    Task<Observation> RecordAsync(NewObservation observation, CancellationToken cancellationToken = default);

    /// <summary>Observations of a thread, oldest first.</summary>
    Task<IReadOnlyList<Observation>> GetObservationsAsync(string? threadId, ObservationQuery? query = null, CancellationToken cancellationToken = default);
}
