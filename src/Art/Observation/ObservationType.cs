namespace Art.Observation;

/// <summary>What an observation records. Wire values are snake_case (<c>model_route_decision</c>).</summary>
public enum ObservationType
{
    // v0.2.4 agent set
    Intent,
    Plan,
    Thoughts,
    ToolCall,
    ToolExecution,
    Synthesis,
    Error,
    FinalResponse,
    StateUpdate,

    // v0.2.5 model management
    ModelRouteDecision,
    ModelFallbackAttempt,
    ModelFallbackSuccess,
    ModelFallbackFailed,
    CostWarning,
    CostLimitReached,
    ModelPullStart,
    ModelPullProgress,
    ModelPullEnd,
    ModelDeleteAttempt,
    ModelDeleteResult,
    ApiKeyAccess,
}
