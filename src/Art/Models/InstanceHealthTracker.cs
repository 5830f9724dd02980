namespace Art.Models;

/// <summary>Settings of the per-instance circuit breaker.</summary>
public sealed record CircuitBreakerOptions
{
    /// <summary>Consecutive failures (transient or rate-limited, after the engine's retries) that open the circuit.</summary>
    public int FailureThreshold { get; init; } = 3;

    /// <summary>How long an open circuit rejects calls before one probe is let through.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a half-open probe may stay unanswered before another caller may probe. Guards against a caller that
    /// took the probe and never reported (crashed, cancelled before sending).
    /// </summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>State of one instance's circuit.</summary>
public enum CircuitState
{
    /// <summary>Calls flow.</summary>
    Closed,

    /// <summary>Calls are rejected until the cooldown ends.</summary>
    Open,

    /// <summary>Cooldown over: one probe call at a time decides between closing and re-opening.</summary>
    HalfOpen,
}

/// <summary>
/// Per-instance circuit breaker driven by <see cref="TimeProvider"/>: a provider that keeps failing is skipped for a
/// cooldown instead of costing every call a timeout. Consecutive transient failures open it at a threshold; errors that
/// will not heal by retrying (bad key, unknown model, exhausted quota) open it at once. After the cooldown a single probe
/// is allowed; success closes the circuit, failure re-opens it for another cooldown.
/// </summary>
/// <remarks>Errors caused by the request itself (bad request, content filter, context length, cancellation) say nothing
/// about the instance and do not count; they only release a probe.</remarks>
public sealed class InstanceHealthTracker
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;

    public InstanceHealthTracker(TimeProvider? timeProvider = null, CircuitBreakerOptions? options = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        Options = options ?? new CircuitBreakerOptions();
        if (Options.FailureThreshold < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "FailureThreshold must be at least 1.");
        }
    }

    public CircuitBreakerOptions Options { get; }

    /// <summary>The current state (an open circuit past its cooldown reads as half-open).</summary>
    public CircuitState GetState(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        lock (_gate)
        {
            return _entries.TryGetValue(instanceId, out var entry) ? Effective(entry, _time.GetUtcNow()) : CircuitState.Closed;
        }
    }

    /// <summary>When an open circuit lets a probe through, or null when it is not open.</summary>
    public DateTimeOffset? OpenUntil(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        lock (_gate)
        {
            return _entries.TryGetValue(instanceId, out var entry) && Effective(entry, _time.GetUtcNow()) == CircuitState.Open ? entry.OpenUntil : null;
        }
    }

    /// <summary>Whether a call may go to the instance now: closed, or half-open with no probe in flight. Takes nothing.</summary>
    public bool IsAvailable(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        lock (_gate)
        {
            if (!_entries.TryGetValue(instanceId, out var entry))
            {
                return true;
            }

            var now = _time.GetUtcNow();
            return Effective(entry, now) switch
            {
                CircuitState.Closed => true,
                CircuitState.HalfOpen => !ProbeInFlight(entry, now),
                _ => false,
            };
        }
    }

    /// <summary>
    /// Claims the right to call the instance: always granted when closed; in half-open, granted to one caller at a time
    /// (the probe). False when open or when another probe is in flight.
    /// </summary>
    public bool TryAcquire(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        lock (_gate)
        {
            if (!_entries.TryGetValue(instanceId, out var entry))
            {
                return true;
            }

            var now = _time.GetUtcNow();
            switch (Effective(entry, now))
            {
                case CircuitState.Closed:
                    return true;
                case CircuitState.HalfOpen when !ProbeInFlight(entry, now):
                    entry.ProbeStartedAt = now;
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>Records how a call to the instance ended.</summary>
    public void Report(string instanceId, AttemptOutcome outcome, ProviderErrorKind? kind = null)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (!_entries.TryGetValue(instanceId, out var entry))
            {
                if (outcome == AttemptOutcome.Success)
                {
                    return;
                }

                entry = new Entry();
                _entries[instanceId] = entry;
            }

            var state = Effective(entry, now);
            if (outcome == AttemptOutcome.Success)
            {
                entry.ConsecutiveFailures = 0;
                entry.OpenUntil = null;
                entry.ProbeStartedAt = null;
                return;
            }

            if (kind is ProviderErrorKind.Auth or ProviderErrorKind.ModelNotFound or ProviderErrorKind.QuotaExceeded)
            {
                entry.ConsecutiveFailures = Math.Max(entry.ConsecutiveFailures + 1, Options.FailureThreshold);
                Open(entry, now);
                return;
            }

            if (kind is ProviderErrorKind.BadRequest or ProviderErrorKind.ContentFilter or ProviderErrorKind.ContextLengthExceeded or ProviderErrorKind.Cancelled)
            {
                // The request's fault, not the instance's: only give the probe back.
                entry.ProbeStartedAt = null;
                return;
            }

            entry.ConsecutiveFailures++;
            if (state == CircuitState.HalfOpen || entry.ConsecutiveFailures >= Options.FailureThreshold)
            {
                Open(entry, now);
            }
        }
    }

    private void Open(Entry entry, DateTimeOffset now)
    {
        entry.OpenUntil = now + Options.Cooldown;
        entry.ProbeStartedAt = null;
    }

    private static CircuitState Effective(Entry entry, DateTimeOffset now) =>
        entry.OpenUntil is not { } until ? CircuitState.Closed : now < until ? CircuitState.Open : CircuitState.HalfOpen;

    private bool ProbeInFlight(Entry entry, DateTimeOffset now) =>
        entry.ProbeStartedAt is { } started && now - started < Options.ProbeTimeout;

    private sealed class Entry
    {
        public int ConsecutiveFailures { get; set; }

        public DateTimeOffset? OpenUntil { get; set; }

        public DateTimeOffset? ProbeStartedAt { get; set; }
    }
}
