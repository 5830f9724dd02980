using System.Text.Json;

namespace Art.Testing.Servers;

/// <summary>
/// A provider-neutral script of one model response. Every protocol server renders it in its own wire format,
/// so one conformance suite drives all providers.
/// </summary>
public sealed record ScriptedTurn
{
    /// <summary>What the model emits, in order: thoughts, content pieces, tool calls.</summary>
    public IReadOnlyList<ScriptedPart> Parts { get; init; } = [];

    public ScriptedUsage? Usage { get; init; }

    /// <summary>Provider-neutral finish: <c>stop</c>, <c>length</c>, <c>tool_calls</c>, <c>content_filter</c>.</summary>
    public string FinishReason { get; init; } = "stop";

    /// <summary>Model name the response reports; the requested model when null.</summary>
    public string? Model { get; init; }

    public FaultPlan? Faults { get; init; }

    /// <summary>An error sent inside the stream after <see cref="ErrorAfterParts"/> parts (mid-stream error).</summary>
    public ScriptedError? MidStreamError { get; init; }

    public int ErrorAfterParts { get; init; }

    public static ScriptedTurn Text(params string[] pieces) =>
        new() { Parts = pieces.Select(p => (ScriptedPart)new ScriptedContent(p)).ToArray() };
}

/// <summary>One element of a scripted response.</summary>
public abstract record ScriptedPart;

public sealed record ScriptedThought(string Text, string? Signature = null) : ScriptedPart;

public sealed record ScriptedContent(string Text) : ScriptedPart;

public sealed record ScriptedToolCall(string Name, JsonElement Arguments, string? Id = null) : ScriptedPart
{
    public static ScriptedToolCall Create(string name, string argumentsJson, string? id = null) =>
        new(name, JsonDocument.Parse(argumentsJson).RootElement.Clone(), id);
}

/// <summary>Usage to report, in the normalised sense of ART's TokenUsage; each server maps it to its provider's fields.</summary>
public sealed record ScriptedUsage(long InputTokens, long OutputTokens)
{
    public long CachedInputTokens { get; init; }

    public long CacheWriteTokens { get; init; }

    public long ReasoningTokens { get; init; }

    /// <summary>Provider-reported cost (OpenRouter).</summary>
    public decimal? Cost { get; init; }
}

/// <summary>Which provider error to render (status code and the provider's own error body).</summary>
public enum ScriptedErrorKind
{
    InvalidApiKey,
    PermissionDenied,
    InsufficientBalance,
    ModelNotFound,
    RateLimited,
    ServerError,
    Overloaded,
    ContextLengthExceeded,
    ContentFilter,
    BadRequest,
    ServiceUnavailable,
}

/// <summary>An error a server renders in its provider's exact shape.</summary>
public sealed record ScriptedError(ScriptedErrorKind Kind, string Message = "scripted error")
{
    /// <summary>Seconds for Retry-After (or Gemini RetryInfo) on rate limits.</summary>
    public int? RetryAfterSeconds { get; init; }
}

/// <summary>The common face of every provider protocol server, for the conformance suite.</summary>
public interface IProviderTestServer : IAsyncDisposable
{
    Uri BaseUri { get; }

    /// <summary>The URL an ART instance of this provider should be configured with.</summary>
    string InstanceBaseUrl { get; }

    IReadOnlyList<RecordedRequest> Requests { get; }

    int ClientDisconnects { get; }

    /// <summary>Queues the response to the next chat request (streaming or not, as the client asks).</summary>
    void Enqueue(ScriptedTurn turn);

    /// <summary>Queues an error response to the next chat request.</summary>
    void EnqueueError(ScriptedError error);

    /// <summary>Queues a verbatim response to the next chat request.</summary>
    void EnqueueRaw(RawResponse response);

    /// <summary>Sets the model list the list endpoint returns.</summary>
    void SetModels(IReadOnlyList<string> modelIds);

    Task<bool> WaitForClientDisconnectAsync(TimeSpan timeout);
}
