using Art.Observation;
using ObservationRecord = Art.Observation.Observation;

namespace Art.Testing;

/// <summary>
/// An in-memory <see cref="IObservationManager"/> for tests: keeps every observation recorded (with an id, a timestamp
/// and a default title, as the real manager fills them in), answers <see cref="GetObservationsAsync"/> from memory, and
/// lets a test wait for an observation that another thread records (a pull in the background, a fallback attempt).
/// </summary>
/// <remarks>Thread-safe: components record from whatever thread they run on.</remarks>
public sealed class CollectingObservationManager : IObservationManager
{
    private readonly Lock _gate = new();
    private readonly List<NewObservation> _received = [];
    private readonly List<ObservationRecord> _recorded = [];
    private readonly List<Waiter> _waiters = [];
    private readonly TimeProvider _time;
    private long _next;

    /// <param name="timeProvider">Stamps the recorded observations; the system clock when null.</param>
    public CollectingObservationManager(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>What the components handed in, in order.</summary>
    public IReadOnlyList<NewObservation> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>The observations as recorded (with id, timestamp and title), in order.</summary>
    public IReadOnlyList<ObservationRecord> Recorded
    {
        get
        {
            lock (_gate)
            {
                return [.. _recorded];
            }
        }
    }

    /// <summary>The recorded observations of one type, in order.</summary>
    public IReadOnlyList<ObservationRecord> OfType(ObservationType type) => [.. Recorded.Where(o => o.Type == type)];

    /// <inheritdoc />
    public Task<ObservationRecord> RecordAsync(NewObservation observation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(observation);
        List<Waiter>? satisfied = null;
        ObservationRecord recorded;
        lock (_gate)
        {
            recorded = new ObservationRecord
            {
                Id = "obs-" + (++_next).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ThreadId = observation.ThreadId,
                TraceId = observation.TraceId,
                Timestamp = _time.GetUtcNow(),
                Type = observation.Type,
                Title = string.IsNullOrWhiteSpace(observation.Title) ? $"{ArtJson.ToElement(observation.Type).GetString()} recorded" : observation.Title,
                InstanceId = observation.InstanceId,
                ModelId = observation.ModelId,
                Content = observation.Content,
                Metadata = observation.Metadata,
            };
            _received.Add(observation);
            _recorded.Add(recorded);
            foreach (var waiter in _waiters)
            {
                if (waiter.Predicate(recorded))
                {
                    (satisfied ??= []).Add(waiter);
                }
            }

            if (satisfied is not null)
            {
                _waiters.RemoveAll(satisfied.Contains);
            }
        }

        // Completed outside the lock: continuations run asynchronously anyway, but no test code runs under our lock.
        foreach (var waiter in satisfied ?? [])
        {
            waiter.Completion.TrySetResult(recorded);
        }

        return Task.FromResult(recorded);
    }

    /// <summary>Observations of a thread (all of them when <paramref name="threadId"/> is null), filtered like the real store, oldest first.</summary>
    public Task<IReadOnlyList<ObservationRecord>> GetObservationsAsync(string? threadId, ObservationQuery? query = null, CancellationToken cancellationToken = default)
    {
        IEnumerable<ObservationRecord> items = Recorded;
        if (threadId is not null)
        {
            items = items.Where(o => o.ThreadId == threadId);
        }

        if (query is not null)
        {
            if (query.Types is { Count: > 0 } types)
            {
                items = items.Where(o => types.Contains(o.Type));
            }

            if (query.TraceId is { } traceId)
            {
                items = items.Where(o => o.TraceId == traceId);
            }

            if (query.Before is { } before)
            {
                items = items.Where(o => o.Timestamp < before);
            }

            if (query.After is { } after)
            {
                items = items.Where(o => o.Timestamp > after);
            }
        }

        var list = items.ToList();
        if (query?.Limit is > 0 and var limit && list.Count > limit)
        {
            list = list[^limit..];
        }

        return Task.FromResult<IReadOnlyList<ObservationRecord>>(list);
    }

    /// <summary>
    /// The first observation matching <paramref name="predicate"/>, already recorded or recorded within
    /// <paramref name="timeout"/> (wall-clock, whatever time provider stamps the observations, so a fake clock cannot
    /// make a test hang).
    /// </summary>
    /// <exception cref="TimeoutException">None matched in time; the message lists the types that were recorded.</exception>
    public async Task<ObservationRecord> WaitForAsync(Func<ObservationRecord, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        Waiter waiter;
        lock (_gate)
        {
            foreach (var existing in _recorded)
            {
                if (predicate(existing))
                {
                    return existing;
                }
            }

            waiter = new Waiter(predicate);
            _waiters.Add(waiter);
        }

        try
        {
            return await waiter.Completion.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"No matching observation within {timeout}; recorded: [{string.Join(", ", Recorded.Select(o => o.Type))}].", ex);
        }
        finally
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }
        }
    }

    /// <summary>Waits for the first observation of <paramref name="type"/>.</summary>
    public Task<ObservationRecord> WaitForAsync(ObservationType type, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForAsync(o => o.Type == type, timeout, cancellationToken);

    private sealed class Waiter(Func<ObservationRecord, bool> predicate)
    {
        public Func<ObservationRecord, bool> Predicate { get; } = predicate;

        public TaskCompletionSource<ObservationRecord> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
