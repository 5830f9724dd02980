using System.Text.Json;
using Art.Models;
using Art.Tools;

namespace Art.Reasoning;

/// <summary>
/// Everything one reasoning call needs besides the prompt. Every field of the plan is here; the engine resolves
/// routing, budgets and parameter precedence from it and the thread's configuration.
/// </summary>
public sealed record CallOptions
{
    /// <summary>The thread the call belongs to (its config drives routing and budgets).</summary>
    public required string ThreadId { get; init; }

    /// <summary>Groups the observations of one agent turn.</summary>
    public string? TraceId { get; init; }

    /// <summary>Id under which the call can be aborted with <c>AbortAsync</c>; generated when absent.</summary>
    public string? RequestId { get; init; }

    public string? UserId { get; init; }

    public string? SessionId { get; init; }

    /// <summary>Capabilities the answer needs. When null the engine infers them (QueryAnalyzer).</summary>
    public IReadOnlyList<ModelCapability>? RequiredCapabilities { get; init; }

    /// <summary>Instance to use for this call only (the thread's fallbacks still apply).</summary>
    public string? InstanceId { get; init; }

    /// <summary>Model to use for this call only.</summary>
    public string? Model { get; init; }

    /// <summary>Parameters of this call; they win over agent, thread and instance parameters.</summary>
    public ModelParameters? Parameters { get; init; }

    /// <summary>Images for the last user message (in addition to any already in the prompt).</summary>
    public IReadOnlyList<ImageInput>? Images { get; init; }

    /// <summary>Tools the model may call.</summary>
    public IReadOnlyList<ToolSchema>? Tools { get; init; }

    /// <summary>JSON schema the answer must follow; the parsed document comes back in <see cref="ReasoningResponse.Json"/>.</summary>
    public JsonElement? ResponseSchema { get; init; }

    /// <summary>Called for every answer chunk (and once with <c>IsFinal</c>) by <c>CallAsync</c>.</summary>
    public Action<StreamChunk>? OnChunk { get; init; }

    /// <summary>Called for every piece of thinking by <c>CallAsync</c>.</summary>
    public Action<string>? OnThought { get; init; }

    /// <summary>Whether the engine may fall back to other instances on failure.</summary>
    public bool AllowFallback { get; init; } = true;
}

/// <summary>The complete result of <c>CallAsync</c>.</summary>
public sealed record ReasoningResponse
{
    public required string Content { get; init; }

    /// <summary>All thinking text, concatenated.</summary>
    public string Thoughts { get; init; } = string.Empty;

    /// <summary>Thinking blocks with signatures, to send back on the next turn.</summary>
    public IReadOnlyList<ThoughtBlock> ThoughtBlocks { get; init; } = [];

    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];

    public TokenUsage Usage { get; init; } = TokenUsage.Zero;

    /// <summary>Cost in USD; null when the price of the model is unknown.</summary>
    public decimal? Cost { get; init; }

    /// <summary>The instance that actually answered.</summary>
    public required string InstanceId { get; init; }

    /// <summary>The model that actually answered.</summary>
    public required string ModelId { get; init; }

    public FinishReason FinishReason { get; init; }

    /// <summary>The parsed answer when a response schema was given.</summary>
    public JsonElement? Json { get; init; }

    public string? RequestId { get; init; }

    /// <summary>How many attempts it took (1 = no retry or fallback).</summary>
    public int Attempts { get; init; } = 1;
}
