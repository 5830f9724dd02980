using Art.Models;

namespace Art.Ollama;

/// <summary>
/// Turns Ollama's per-layer pull lines into one whole-model progress (what users ask for: ollama-python #81):
/// bytes done and bytes known summed over every layer seen so far, a percent that never goes backwards within
/// the pull (a newly announced layer grows the total, it does not rewind the bar), 100 only on <c>success</c>.
/// </summary>
public sealed class OllamaPullProgressAggregator
{
    private readonly Dictionary<string, (long Total, long Completed)> _layers = new(StringComparer.Ordinal);
    private double _percent;

    /// <summary>The last status seen.</summary>
    public string? Status { get; private set; }

    /// <summary>True once a <c>success</c> line was seen.</summary>
    public bool Succeeded { get; private set; }

    /// <summary>Folds one progress line in and returns the aggregate after it.</summary>
    public PullProgress Add(string status, string? digest, long total, long completed)
    {
        ArgumentNullException.ThrowIfNull(status);
        Status = status;
        long? layerTotal = null;
        long? layerCompleted = null;
        if (!string.IsNullOrEmpty(digest) && total > 0)
        {
            var previous = _layers.TryGetValue(digest, out var known) ? known.Completed : 0;
            var done = Math.Min(total, Math.Max(previous, completed));
            _layers[digest] = (total, done);
            layerTotal = total;
            layerCompleted = done;
        }

        if (string.Equals(status, "success", StringComparison.Ordinal))
        {
            Succeeded = true;
        }

        var totalBytes = _layers.Values.Sum(l => l.Total);
        var completedBytes = _layers.Values.Sum(l => l.Completed);
        double raw = totalBytes == 0 ? 0 : completedBytes * 100.0 / totalBytes;

        // Keep 100 for the end: verification and manifest writing still follow the last byte.
        _percent = Succeeded ? 100 : Math.Max(_percent, Math.Min(raw, 99.9));
        return new PullProgress
        {
            Status = status,
            Digest = string.IsNullOrEmpty(digest) ? null : digest,
            CompletedBytes = completedBytes,
            TotalBytes = totalBytes,
            Percent = Math.Round(_percent, 2),
            LayerCompletedBytes = layerCompleted,
            LayerTotalBytes = layerTotal,
            LayerCount = _layers.Count,
            IsComplete = Succeeded,
        };
    }
}
