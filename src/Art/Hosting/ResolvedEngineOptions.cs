namespace Art.Hosting;

/// <summary>A checked snapshot of <see cref="ArtEngineOptions"/>; the builder maps it onto each component's options.</summary>
public sealed record ResolvedEngineOptions
{
    internal ResolvedEngineOptions(ArtEngineOptions source)
    {
        MaxRetriesPerInstance = source.MaxRetriesPerInstance;
        BaseBackoff = source.BaseBackoff;
        MaxBackoff = source.MaxBackoff;
        RetryAfterCap = source.RetryAfterCap;
        AttemptTimeout = source.AttemptTimeout;
        FirstTokenTimeout = source.FirstTokenTimeout;
        IdleTimeout = source.IdleTimeout;
        MaxFallbacks = source.MaxFallbacks;
        DefaultMaxOutputTokens = source.DefaultMaxOutputTokens;
        LocalQueueTimeout = source.LocalQueueTimeout;
        RemoteQueueTimeout = source.RemoteQueueTimeout;
        CircuitFailureThreshold = source.CircuitFailureThreshold;
        CircuitCooldown = source.CircuitCooldown;
        ToolTimeout = source.ToolTimeout;
    }

    public int? MaxRetriesPerInstance { get; }

    public TimeSpan? BaseBackoff { get; }

    public TimeSpan? MaxBackoff { get; }

    public TimeSpan? RetryAfterCap { get; }

    public TimeSpan? AttemptTimeout { get; }

    public TimeSpan? FirstTokenTimeout { get; }

    public TimeSpan? IdleTimeout { get; }

    public int? MaxFallbacks { get; }

    public int? DefaultMaxOutputTokens { get; }

    public TimeSpan? LocalQueueTimeout { get; }

    public TimeSpan? RemoteQueueTimeout { get; }

    public int? CircuitFailureThreshold { get; }

    public TimeSpan? CircuitCooldown { get; }

    public TimeSpan? ToolTimeout { get; }
}
