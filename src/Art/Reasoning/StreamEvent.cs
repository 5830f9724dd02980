using Art.Models;

namespace Art.Reasoning;

/// <summary>
/// What a streamed call yields: a closed set of records. Errors are exceptions, not events.
/// </summary>
public abstract record StreamEvent
{
    private protected StreamEvent()
    {
    }
}

/// <summary>A piece of model thinking. Never part of the answer.</summary>
public sealed record ThoughtDelta(string Text) : StreamEvent
{
    /// <summary>Set on the delta that closes a signed thinking block (Anthropic signature, Gemini thought signature).</summary>
    public string? Signature { get; init; }

    /// <summary>Set for a redacted thinking block (opaque data).</summary>
    public string? RedactedData { get; init; }
}

/// <summary>A piece of the answer.</summary>
public sealed record ContentDelta(string Text) : StreamEvent;

/// <summary>The model asks for a tool to be run; arguments are complete and parsed.</summary>
public sealed record ToolCallRequested(ToolCall Call) : StreamEvent;

/// <summary>Token usage, normalised (see <see cref="TokenUsage"/>); the provider's own cost when it returns one.</summary>
public sealed record UsageReported(TokenUsage Usage) : StreamEvent
{
    /// <summary>Authoritative cost in USD reported by the provider (OpenRouter <c>usage.cost</c>).</summary>
    public decimal? ProviderCost { get; init; }
}

/// <summary>The end of a successful stream; names the instance and model that actually answered.</summary>
public sealed record Completed(FinishReason Reason, string InstanceId, string ModelId) : StreamEvent;

/// <summary>Why generation stopped.</summary>
public enum FinishReason
{
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
    Other,
}

/// <summary>One chunk of answer text for <see cref="CallOptions.OnChunk"/>.</summary>
public readonly record struct StreamChunk(string Content, bool IsFinal);

/// <summary>
/// Token counts normalised across providers so one pricing rule fits all:
/// <see cref="InputTokens"/> includes cached and cache-write tokens (Anthropic's separate counts are added in);
/// <see cref="OutputTokens"/> includes reasoning tokens (Gemini's thoughtsTokenCount is added in).
/// </summary>
public sealed record TokenUsage
{
    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    /// <summary>Of <see cref="InputTokens"/>, read from the provider's prompt cache.</summary>
    public long CachedInputTokens { get; init; }

    /// <summary>Of <see cref="InputTokens"/>, written to the prompt cache.</summary>
    public long CacheWriteTokens { get; init; }

    /// <summary>Of <see cref="OutputTokens"/>, spent on reasoning.</summary>
    public long ReasoningTokens { get; init; }

    public long TotalTokens => InputTokens + OutputTokens;

    public static TokenUsage Zero { get; } = new();

    /// <summary>Sum of two usages (agent turns add planning and synthesis).</summary>
    public TokenUsage Add(TokenUsage other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new TokenUsage
        {
            InputTokens = InputTokens + other.InputTokens,
            OutputTokens = OutputTokens + other.OutputTokens,
            CachedInputTokens = CachedInputTokens + other.CachedInputTokens,
            CacheWriteTokens = CacheWriteTokens + other.CacheWriteTokens,
            ReasoningTokens = ReasoningTokens + other.ReasoningTokens,
        };
    }
}
