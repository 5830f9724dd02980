using System.Collections.Concurrent;
using Art.Observation;

namespace Art.Tests.Costs;

/// <summary>Collects recorded observations (the real manager is built elsewhere).</summary>
internal sealed class FakeObservationManager : IObservationManager
{
    private readonly ConcurrentQueue<NewObservation> _recorded = new();

    public IReadOnlyList<NewObservation> Recorded => [.. _recorded];

    public IReadOnlyList<NewObservation> OfType(ObservationType type) => [.. _recorded.Where(o => o.Type == type)];

    public Task<Art.Observation.Observation> RecordAsync(NewObservation observation, CancellationToken cancellationToken = default)
    {
        _recorded.Enqueue(observation);
        return Task.FromResult(new Art.Observation.Observation
        {
            Id = Guid.NewGuid().ToString("N"),
            ThreadId = observation.ThreadId,
            TraceId = observation.TraceId,
            Timestamp = DateTimeOffset.UtcNow,
            Type = observation.Type,
            Title = observation.Title ?? observation.Type.ToString(),
            InstanceId = observation.InstanceId,
            ModelId = observation.ModelId,
            Content = observation.Content,
        });
    }

    public Task<IReadOnlyList<Art.Observation.Observation>> GetObservationsAsync(string? threadId, ObservationQuery? query = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();
}
