using System.Text.Json;

namespace Art.Context;

/// <summary>Agent state of a thread: an opaque JSON document with a version for optimistic updates.</summary>
public sealed record AgentState(JsonElement Data, int Version = 0);

/// <summary>A thread's configuration and state, as loaded at the start of a call.</summary>
public sealed record ThreadContext(ThreadConfig Config, AgentState? State);

/// <summary>One persisted conversation message.</summary>
public sealed record ConversationMessage
{
    public required string MessageId { get; init; }

    public required string ThreadId { get; init; }

    public required Art.Reasoning.MessageRole Role { get; init; }

    public required string Content { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    public IReadOnlyDictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>Which messages to read.</summary>
public sealed record MessageQuery
{
    /// <summary>The most recent N (still returned oldest first); null or 0 or less = all.</summary>
    public int? Limit { get; init; }

    public DateTimeOffset? Before { get; init; }

    public DateTimeOffset? After { get; init; }

    /// <summary>Only these roles; null or empty = all.</summary>
    public IReadOnlyCollection<Art.Reasoning.MessageRole>? Roles { get; init; }
}
