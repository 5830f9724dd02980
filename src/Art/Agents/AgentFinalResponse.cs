using Art.Context;
using Art.Reasoning;

namespace Art.Agents;

/// <summary>How a turn ended.</summary>
public enum AgentStatus
{
    /// <summary>Every stage succeeded.</summary>
    Success,

    /// <summary>An answer was produced but at least one tool call failed (the answer explains it).</summary>
    Partial,

    /// <summary>No answer: planning or synthesis failed; the message carries the reason.</summary>
    Error,
}

/// <summary>The outcome of one turn.</summary>
public sealed record AgentFinalResponse
{
    public required AgentStatus Status { get; init; }

    /// <summary>
    /// The assistant's answer (persisted), or for <see cref="AgentStatus.Error"/> a message whose content is the reason
    /// (not persisted, <c>metadata.error = true</c>).
    /// </summary>
    public required ConversationMessage Message { get; init; }

    public required ExecutionMetadata Metadata { get; init; }
}

/// <summary>What a turn did and cost.</summary>
public sealed record ExecutionMetadata
{
    public required string ThreadId { get; init; }

    public required string TraceId { get; init; }

    public required AgentStatus Status { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>
    /// Reasoning calls made (planning, tool rounds, synthesis), failed ones included; a planning call the router refused
    /// while degrading from native tools to a JSON plan is not counted (no model was called).
    /// </summary>
    public int LlmCalls { get; init; }

    /// <summary>Tool results produced.</summary>
    public int ToolCalls { get; init; }

    /// <summary>Token usage of all successful calls, summed.</summary>
    public TokenUsage Usage { get; init; } = TokenUsage.Zero;

    /// <summary>
    /// USD of all calls whose price was known, summed; null when no call had a known price (e.g. none succeeded).
    /// See <see cref="CostIsComplete"/>.
    /// </summary>
    public decimal? Cost { get; init; }

    /// <summary>False when at least one call's price was unknown, so <see cref="Cost"/> is a lower bound.</summary>
    public bool CostIsComplete { get; init; } = true;

    /// <summary>Instances that answered, in order of first use.</summary>
    public IReadOnlyList<string> InstanceIds { get; init; } = [];

    /// <summary>Models that answered, in order of first use.</summary>
    public IReadOnlyList<string> ModelIds { get; init; } = [];

    /// <summary>The reason of an <see cref="AgentStatus.Error"/> or a summary of tool failures for <see cref="AgentStatus.Partial"/>.</summary>
    public string? Error { get; init; }
}
