using Art.Models;

namespace Art.Reasoning;

// Payloads of the observations the ReasoningEngine records. They are serialised with ArtJson (camelCase, snake_case
// enums, nulls omitted) into Observation.Content and mapped 1:1 onto ModelSocket events, so their shape is part of
// what UIs read. They never contain prompt text or keys.

/// <summary>Content of MODEL_ROUTE_DECISION.</summary>
internal sealed record RouteDecisionContent(
    string RequestId,
    RouteTarget Primary,
    IReadOnlyList<RouteTarget> Fallbacks,
    string Why,
    IReadOnlyList<RejectedCandidate> Rejected,
    IReadOnlyList<ModelCapability> Capabilities,
    int EstimatedPromptTokens);

/// <summary>
/// Content of MODEL_ROUTE_DECISION when routing failed (<see cref="RoutingException"/> or an unknown instance): no target,
/// <c>failed: true</c>, the error message and the rejected candidates, so a UI can show why the call never started.
/// </summary>
internal sealed record RouteFailedContent(
    string RequestId,
    bool Failed,
    string Reason,
    IReadOnlyList<RejectedCandidate> Rejected,
    IReadOnlyList<ModelCapability> Capabilities,
    int EstimatedPromptTokens);

/// <summary>One finished attempt (or a target skipped without sending), as listed in fallback observations.</summary>
internal sealed record AttemptSummary(
    int Attempt,
    string InstanceId,
    string ModelId,
    string Outcome,
    ProviderErrorKind? ErrorKind,
    string? Error);

/// <summary>Content of MODEL_FALLBACK_ATTEMPT: an attempt failed and another one follows.</summary>
internal sealed record FallbackAttemptContent(
    string RequestId,
    AttemptSummary Failed,
    string Action,
    string NextInstanceId,
    string NextModelId,
    double DelayMs);

/// <summary>Content of MODEL_FALLBACK_SUCCESS: a call that needed more than one attempt succeeded.</summary>
internal sealed record FallbackSuccessContent(
    string RequestId,
    string InstanceId,
    string ModelId,
    bool AnsweredByFallback,
    int Attempts,
    IReadOnlyList<AttemptSummary> History);

/// <summary>Content of MODEL_FALLBACK_FAILED: the call ended in an error after retries or fallbacks, or ran out of targets.</summary>
internal sealed record FallbackFailedContent(
    string RequestId,
    int Attempts,
    string FinalError,
    ProviderErrorKind? FinalErrorKind,
    IReadOnlyList<AttemptSummary> History);
