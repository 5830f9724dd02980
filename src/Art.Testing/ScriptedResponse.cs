using System.Collections.Immutable;
using System.Text.Json;
using Art.Reasoning;

namespace Art.Testing;

/// <summary>
/// One scripted model response for <see cref="ScriptedProviderAdapter"/>: an ordered list of steps (thoughts, answer
/// chunks, tool calls, usage, delays) ending in a completion, a failure, a hang or a cut connection. Immutable: every
/// builder method returns a new response, so one script can be enqueued many times.
/// </summary>
/// <example>
/// <code>
/// var answer = ScriptedResponse.Create()
///     .Thought("The user greets me.")
///     .Content("Hel", "lo")
///     .Usage(12, 3);                                                    // completes with FinishReason.Stop
/// var rateLimited = ScriptedResponse.Failure(ProviderErrorKind.RateLimited, retryAfter: TimeSpan.FromSeconds(2));
/// var breaksMidAnswer = ScriptedResponse.Text("Once upon").Fail(ProviderErrorKind.Transient);
/// </code>
/// </example>
public sealed record ScriptedResponse
{
    private ImmutableArray<ScriptedStep> _steps = [];

    /// <summary>The steps, in order.</summary>
    public IReadOnlyList<ScriptedStep> Steps => _steps;

    /// <summary>Finish reason of the completion; null = <see cref="Art.Reasoning.FinishReason.ToolCalls"/> when tool calls were scripted, else <see cref="Art.Reasoning.FinishReason.Stop"/>.</summary>
    public FinishReason? FinishReason { get; init; }

    /// <summary>Model named in the completion; the requested model (or the adapter's default) when null.</summary>
    public string? Model { get; init; }

    /// <summary>Whether the response ends in a failure, a hang or a cut instead of a completion.</summary>
    public bool IsTerminated => _steps.Length > 0 && _steps[^1] is ScriptedStep.Failure or ScriptedStep.Hang or ScriptedStep.Disconnect;

    /// <summary>An empty response (completes at once with no content).</summary>
    public static ScriptedResponse Create() => new();

    /// <summary>An answer made of the given content chunks.</summary>
    public static ScriptedResponse Text(params string[] chunks) => Create().Content(chunks);

    /// <summary>A request that fails before any event, with a classified provider error.</summary>
    public static ScriptedResponse Failure(ProviderErrorKind kind, string message = "scripted failure", TimeSpan? retryAfter = null) =>
        Create().Fail(kind, message, retryAfter);

    /// <summary>A request that never answers until it is cancelled (caller token or abort by request id).</summary>
    public static ScriptedResponse Hang() => Create().HangUntilCancelled();

    /// <summary>Adds a piece of thinking; a signature closes a signed thinking block.</summary>
    public ScriptedResponse Thought(string text, string? signature = null) =>
        Append(new ScriptedStep.Emit(new ThoughtDelta(text) { Signature = signature }));

    /// <summary>Adds a redacted thinking block (opaque data).</summary>
    public ScriptedResponse RedactedThought(string data) =>
        Append(new ScriptedStep.Emit(new ThoughtDelta(string.Empty) { RedactedData = data }));

    /// <summary>Adds answer chunks, one event each.</summary>
    public ScriptedResponse Content(params string[] chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var result = this;
        foreach (var chunk in chunks)
        {
            result = result.Append(new ScriptedStep.Emit(new ContentDelta(chunk)));
        }

        return result;
    }

    /// <summary>Adds a tool call; <paramref name="argumentsJson"/> must be a JSON object.</summary>
    public ScriptedResponse ToolCall(string name, string argumentsJson, string? id = null, string? providerSignature = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(argumentsJson);
        using var document = JsonDocument.Parse(argumentsJson);
        var call = new Art.Reasoning.ToolCall(id ?? $"call_{_steps.Length}", name, document.RootElement.Clone()) { ProviderSignature = providerSignature };
        return Append(new ScriptedStep.Emit(new ToolCallRequested(call)));
    }

    /// <summary>Adds a usage report (normalised counts) with the provider's own cost when given.</summary>
    public ScriptedResponse Usage(long inputTokens, long outputTokens, decimal? providerCost = null) =>
        Usage(new TokenUsage { InputTokens = inputTokens, OutputTokens = outputTokens }, providerCost);

    /// <summary>Adds a usage report.</summary>
    public ScriptedResponse Usage(TokenUsage usage, decimal? providerCost = null)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return Append(new ScriptedStep.Emit(new UsageReported(usage) { ProviderCost = providerCost }));
    }

    /// <summary>Waits on the adapter's <see cref="TimeProvider"/> (advance a FakeTimeProvider to pass it); honours cancellation.</summary>
    public ScriptedResponse Delay(TimeSpan delay) => Append(new ScriptedStep.Wait(delay));

    /// <summary>Ends with a classified <see cref="ProviderException"/>: before any event when first, mid-stream after content.</summary>
    public ScriptedResponse Fail(ProviderErrorKind kind, string message = "scripted failure", TimeSpan? retryAfter = null) =>
        Append(new ScriptedStep.Failure(kind, message, retryAfter, null));

    /// <summary>Ends with an arbitrary exception (e.g. an <see cref="IOException"/> for a cut connection); a new one per run.</summary>
    public ScriptedResponse Fail(Func<Exception> exceptionFactory)
    {
        ArgumentNullException.ThrowIfNull(exceptionFactory);
        return Append(new ScriptedStep.Failure(ProviderErrorKind.Transient, "scripted failure", null, exceptionFactory));
    }

    /// <summary>Ends by waiting until the request is cancelled, then throws <see cref="OperationCanceledException"/>.</summary>
    public ScriptedResponse HangUntilCancelled() => Append(new ScriptedStep.Hang());

    /// <summary>Ends the stream without a completion, as a dropped connection does.</summary>
    public ScriptedResponse Disconnect() => Append(new ScriptedStep.Disconnect());

    /// <summary>Sets the finish reason of the completion.</summary>
    public ScriptedResponse Finish(FinishReason reason) => this with { FinishReason = reason };

    private ScriptedResponse Append(ScriptedStep step)
    {
        if (IsTerminated)
        {
            throw new InvalidOperationException("The response already ends in a failure, hang or disconnect; nothing can follow.");
        }

        return this with { _steps = _steps.Add(step) };
    }
}

/// <summary>One step of a <see cref="ScriptedResponse"/>.</summary>
public abstract record ScriptedStep
{
    private ScriptedStep()
    {
    }

    /// <summary>Yields an event.</summary>
    public sealed record Emit(StreamEvent Event) : ScriptedStep;

    /// <summary>Waits (on the adapter's time provider).</summary>
    public sealed record Wait(TimeSpan Duration) : ScriptedStep;

    /// <summary>Throws: a <see cref="ProviderException"/> of <paramref name="Kind"/>, or the factory's exception.</summary>
    public sealed record Failure(ProviderErrorKind Kind, string Message, TimeSpan? RetryAfter, Func<Exception>? ExceptionFactory) : ScriptedStep;

    /// <summary>Waits until cancelled.</summary>
    public sealed record Hang : ScriptedStep;

    /// <summary>Ends without a completion.</summary>
    public sealed record Disconnect : ScriptedStep;
}
