namespace Art.Models;

/// <summary>Options of a model pull.</summary>
public sealed record PullModelOptions
{
    /// <summary>Receives aggregate progress; throttled to <see cref="ProgressInterval"/> except for status changes and the end.</summary>
    public IProgress<PullProgress>? Progress { get; init; }

    /// <summary>Minimum time between two progress reports of the same status (UIs redraw at this rate).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Allow insecure registries (Ollama <c>insecure</c>).</summary>
    public bool Insecure { get; init; }

    /// <summary>Thread to attribute the pull's observations to, if any.</summary>
    public string? ThreadId { get; init; }
}

/// <summary>
/// Aggregate progress of a pull across all layers: bytes done of bytes known so far, plus the current layer.
/// <see cref="Percent"/> never goes backwards within one pull.
/// </summary>
public sealed record PullProgress
{
    /// <summary>The provider's status line (<c>pulling manifest</c>, <c>pulling 5ee4f07cdb9b</c>, <c>verifying sha256 digest</c>, <c>success</c>).</summary>
    public required string Status { get; init; }

    /// <summary>The layer being downloaded, when the status is about one.</summary>
    public string? Digest { get; init; }

    /// <summary>Bytes downloaded so far over all layers.</summary>
    public long CompletedBytes { get; init; }

    /// <summary>Total bytes of all layers seen so far.</summary>
    public long TotalBytes { get; init; }

    /// <summary>0–100, aggregate over layers.</summary>
    public double Percent { get; init; }

    /// <summary>Bytes done of the current layer.</summary>
    public long? LayerCompletedBytes { get; init; }

    /// <summary>Size of the current layer.</summary>
    public long? LayerTotalBytes { get; init; }

    /// <summary>Number of layers seen so far.</summary>
    public int LayerCount { get; init; }

    /// <summary>True on the last report of a successful pull.</summary>
    public bool IsComplete { get; init; }
}
