using Art.Reasoning;

namespace Art.Agents;

/// <summary>One agent turn: what the user asked, on which thread, and how this call should deviate from the thread.</summary>
public sealed record AgentProps
{
    public required string Query { get; init; }

    public required string ThreadId { get; init; }

    public string? SessionId { get; init; }

    public string? UserId { get; init; }

    /// <summary>Groups the observations, messages and spans of the turn; generated when absent.</summary>
    public string? TraceId { get; init; }

    /// <summary>Images sent with the query (to the planning and synthesis calls).</summary>
    public IReadOnlyList<ImageInput>? Images { get; init; }

    public AgentOptions? Options { get; init; }
}

/// <summary>Per-call overrides and live callbacks.</summary>
public sealed record AgentOptions
{
    /// <summary>Parameters of this turn; they win over thread and instance parameters.</summary>
    public ModelParameters? Parameters { get; init; }

    /// <summary>Instance for this turn only (the thread's fallbacks still apply).</summary>
    public string? InstanceId { get; init; }

    /// <summary>Model for this turn only.</summary>
    public string? Model { get; init; }

    /// <summary>The most specific system prompt; see <see cref="PromptManager"/> for how it combines with the others.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>
    /// Prefix of the request ids of this turn's calls (<c>{prefix}:planning</c>, <c>{prefix}:synthesis</c>, ...), so a
    /// host can abort them with <see cref="IReasoningEngine.AbortAsync"/>. Defaults to the trace id.
    /// </summary>
    public string? RequestIdPrefix { get; init; }

    /// <summary>Every chunk of the final answer as it streams (and once with <c>IsFinal</c>).</summary>
    public Action<StreamChunk>? OnChunk { get; init; }

    /// <summary>Every piece of model thinking, with the stage it belongs to.</summary>
    public Action<AgentThought>? OnThought { get; init; }
}

/// <summary>A piece of thinking streamed during a turn.</summary>
/// <param name="Phase">"planning" or "synthesis".</param>
/// <param name="Text">The thinking text.</param>
public readonly record struct AgentThought(string Phase, string Text);
