namespace Art.Reasoning;

/// <summary>
/// Routed, budgeted, observed LLM calls: the heart of ART. See ARCHITECTURE §3 for the call path.
/// </summary>
public interface IReasoningEngine
{
    /// <summary>
    /// Streams one call: routes, reserves budget, acquires a lease, calls the adapter with retry and fallback before the
    /// first content chunk only, settles cost. A stream that breaks mid-answer raises <see cref="StreamInterruptedException"/>.
    /// </summary>
    IAsyncEnumerable<StreamEvent> StreamAsync(ArtPrompt prompt, CallOptions options, CancellationToken cancellationToken = default);

    /// <summary>Runs <see cref="StreamAsync"/> to the end, drives the callbacks and returns the assembled response.</summary>
    Task<ReasoningResponse> CallAsync(ArtPrompt prompt, CallOptions options, CancellationToken cancellationToken = default);

    /// <summary>Cancels a running call by its request id from anywhere; false when no such call is running.</summary>
    Task<bool> AbortAsync(string requestId);
}
