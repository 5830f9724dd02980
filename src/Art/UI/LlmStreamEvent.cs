using Art.Reasoning;

namespace Art.UI;

/// <summary>The kind of a <see cref="StreamEvent"/>, for filtering the LLM stream socket.</summary>
public enum LlmStreamEventKind
{
    Thought,
    Content,
    ToolCall,
    Usage,
    Completed,

    /// <summary>The engine started another attempt after thoughts were shown: a UI should clear the thoughts it drew.</summary>
    AttemptRestarted,
}

/// <summary>One streamed model event, with where it came from, for UIs that draw tokens live.</summary>
/// <param name="ThreadId">The thread of the call.</param>
/// <param name="TraceId">The agent turn.</param>
/// <param name="RequestId">The call (abort handle).</param>
/// <param name="Event">The stream event itself.</param>
public sealed record LlmStreamEvent(string ThreadId, string? TraceId, string? RequestId, StreamEvent Event)
{
    public string? InstanceId { get; init; }

    public string? ModelId { get; init; }

    /// <summary>The agent stage ("planning", "synthesis", ...), when the caller knows it.</summary>
    public string? Phase { get; init; }

    public LlmStreamEventKind Kind => KindOf(Event);

    public static LlmStreamEventKind KindOf(StreamEvent e) => e switch
    {
        ThoughtDelta => LlmStreamEventKind.Thought,
        ContentDelta => LlmStreamEventKind.Content,
        ToolCallRequested => LlmStreamEventKind.ToolCall,
        UsageReported => LlmStreamEventKind.Usage,
        Completed => LlmStreamEventKind.Completed,
        AttemptRestarted => LlmStreamEventKind.AttemptRestarted,
        _ => throw new ArgumentOutOfRangeException(nameof(e), e?.GetType().Name, "Unknown stream event."),
    };
}
