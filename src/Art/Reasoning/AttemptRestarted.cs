namespace Art.Reasoning;

/// <summary>
/// The engine's notice that the attempt whose events were being yielded failed <em>before any answer content or tool
/// call</em> and that a new attempt (a retry on the same instance or a fallback) starts now. Everything the failed
/// attempt yielded (thoughts only, and usage already billed) belongs to the failed attempt: a UI should clear the
/// thoughts it showed, and thinking blocks of the failed attempt must not be sent back to a provider.
/// </summary>
/// <remarks>
/// Emitted only when the failed attempt had already yielded something to the caller, so a consumer that ignores
/// unknown events still sees a consistent answer. Never emitted after answer content: from then on a failure is a
/// <see cref="StreamInterruptedException"/>. Adapters never yield it.
/// </remarks>
public sealed record AttemptRestarted(int Attempt, string InstanceId, string ModelId, ProviderErrorKind? Reason) : StreamEvent;
