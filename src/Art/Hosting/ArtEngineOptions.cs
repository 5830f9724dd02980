namespace Art.Hosting;

/// <summary>
/// <c>engine</c>: retries, timeouts (<c>"00:00:30"</c>), fallbacks, queueing and circuit breaking. Absent values keep
/// the components' own defaults; a timeout of <c>"00:00:00"</c> means none where the component allows it.
/// </summary>
public sealed class ArtEngineOptions
{
    public int? MaxRetriesPerInstance { get; set; }

    public TimeSpan? BaseBackoff { get; set; }

    public TimeSpan? MaxBackoff { get; set; }

    public TimeSpan? RetryAfterCap { get; set; }

    /// <summary>Longest one attempt may take; <c>00:00:00</c> = no limit.</summary>
    public TimeSpan? AttemptTimeout { get; set; }

    /// <summary>Longest wait for the first event; <c>00:00:00</c> = no limit.</summary>
    public TimeSpan? FirstTokenTimeout { get; set; }

    /// <summary>Longest silence inside a stream; <c>00:00:00</c> = no limit.</summary>
    public TimeSpan? IdleTimeout { get; set; }

    public int? MaxFallbacks { get; set; }

    public int? DefaultMaxOutputTokens { get; set; }

    /// <summary>Wait for a busy local host when an instance sets no queueTimeout.</summary>
    public TimeSpan? LocalQueueTimeout { get; set; }

    /// <summary>Wait for a slot of a remote instance with maxConcurrency when it sets no queueTimeout.</summary>
    public TimeSpan? RemoteQueueTimeout { get; set; }

    /// <summary>Failures in a row that open an instance's circuit.</summary>
    public int? CircuitFailureThreshold { get; set; }

    /// <summary>How long an open circuit keeps an instance out of routing.</summary>
    public TimeSpan? CircuitCooldown { get; set; }

    /// <summary>Default per-tool execution timeout.</summary>
    public TimeSpan? ToolTimeout { get; set; }

    internal ResolvedEngineOptions Validate(string path, List<string> errors)
    {
        NotNegative(MaxRetriesPerInstance, "maxRetriesPerInstance");
        NotNegative(MaxFallbacks, "maxFallbacks");
        Positive(DefaultMaxOutputTokens, "defaultMaxOutputTokens");
        Positive(CircuitFailureThreshold, "circuitFailureThreshold");
        NotNegativeTime(BaseBackoff, "baseBackoff");
        NotNegativeTime(MaxBackoff, "maxBackoff");
        NotNegativeTime(RetryAfterCap, "retryAfterCap");
        NotNegativeTime(AttemptTimeout, "attemptTimeout");
        NotNegativeTime(FirstTokenTimeout, "firstTokenTimeout");
        NotNegativeTime(IdleTimeout, "idleTimeout");
        NotNegativeTime(LocalQueueTimeout, "localQueueTimeout");
        NotNegativeTime(RemoteQueueTimeout, "remoteQueueTimeout");
        NotNegativeTime(CircuitCooldown, "circuitCooldown");
        if (ToolTimeout is { } t && t <= TimeSpan.Zero)
        {
            errors.Add($"{path}:toolTimeout: must be positive.");
        }

        return new ResolvedEngineOptions(this);

        void NotNegative(int? value, string name)
        {
            if (value is < 0)
            {
                errors.Add($"{path}:{name}: must not be negative (got {value}).");
            }
        }

        void Positive(int? value, string name)
        {
            if (value is < 1)
            {
                errors.Add($"{path}:{name}: must be positive (got {value}).");
            }
        }

        void NotNegativeTime(TimeSpan? value, string name)
        {
            if (value is { } v && v < TimeSpan.Zero)
            {
                errors.Add($"{path}:{name}: must not be negative (got {v}).");
            }
        }
    }
}
