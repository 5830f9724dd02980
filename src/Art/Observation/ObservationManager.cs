using Art.Storage.Repositories;
using Art.UI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Observation;

/// <summary>
/// Records observations: fills id (time-ordered GUID v7), timestamp and title, persists, then notifies the observation
/// socket and, for model-related types, the model socket. A socket's failure is logged and never reaches the caller;
/// a storage failure does (<see cref="StorageException"/>), because an unrecorded event must not look recorded.
/// </summary>
public sealed class ObservationManager : IObservationManager
{
    private readonly ObservationRepository _repository;
    private readonly ObservationSocket? _observationSocket;
    private readonly ModelSocket? _modelSocket;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ObservationManager(ObservationRepository repository, ObservationSocket? observationSocket = null, ModelSocket? modelSocket = null, TimeProvider? timeProvider = null, ILogger<ObservationManager>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(repository);
        _repository = repository;
        _observationSocket = observationSocket;
        _modelSocket = modelSocket;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger<ObservationManager>.Instance;
    }

    /// <summary>Wires the sockets of <paramref name="ui"/>.</summary>
    public ObservationManager(ObservationRepository repository, UISystem ui, TimeProvider? timeProvider = null, ILogger<ObservationManager>? logger = null)
        : this(repository, ui?.GetObservationSocket(), ui?.GetModelSocket(), timeProvider, logger)
    {
    }

    public async Task<Observation> RecordAsync(NewObservation observation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(observation);
        var now = _time.GetUtcNow();
        var recorded = new Observation
        {
            Id = Guid.CreateVersion7(now).ToString(),
            ThreadId = observation.ThreadId,
            TraceId = observation.TraceId,
            Timestamp = now,
            Type = observation.Type,
            Title = string.IsNullOrWhiteSpace(observation.Title) ? $"{ArtJson.ToElement(observation.Type).GetString()} recorded" : observation.Title,
            InstanceId = observation.InstanceId,
            ModelId = observation.ModelId,
            Content = observation.Content.ValueKind == System.Text.Json.JsonValueKind.Undefined ? ObservationRepository.NoContent : observation.Content,
            Metadata = observation.Metadata,
        };

        try
        {
            await _repository.AddAsync(recorded, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (ArtException or OperationCanceledException or ArgumentException))
        {
            throw new StorageException($"Could not persist observation {recorded.Type} of thread '{recorded.ThreadId}': {ex.Message}", ex);
        }

        Publish(recorded);
        return recorded;
    }

    public Task<IReadOnlyList<Observation>> GetObservationsAsync(string? threadId, ObservationQuery? query = null, CancellationToken cancellationToken = default) =>
        _repository.GetAsync(threadId, query, cancellationToken);

    private void Publish(Observation recorded)
    {
        try
        {
            _observationSocket?.Notify(recorded, recorded.ThreadId);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Observation socket failed for {Type}", recorded.Type);
        }

        if (_modelSocket is null || ModelEvent.FromObservation(recorded) is not { } modelEvent)
        {
            return;
        }

        try
        {
            _modelSocket.Notify(modelEvent, recorded.ThreadId);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Model socket failed for {Type}", recorded.Type);
        }
    }
}
