using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Art.Models;
using Art.Reasoning;

namespace Art.Tests.Agents;

/// <summary>One scripted engine call: events to yield, then an optional failure; optionally hang after N events.</summary>
internal sealed record FakeCall
{
    public List<StreamEvent> Events { get; init; } = [];

    public Exception? Error { get; init; }

    public decimal? Cost { get; init; }

    /// <summary>Hang (until cancelled) after this many events.</summary>
    public int? HangAfter { get; init; }

    public static FakeCall Text(string text, decimal? cost = 0.001m, string instance = "inst-a", string model = "model-a") => new()
    {
        Events = [new ContentDelta(text), new UsageReported(new TokenUsage { InputTokens = 10, OutputTokens = 5 }), new Completed(FinishReason.Stop, instance, model)],
        Cost = cost,
    };

    public static FakeCall Tool(string name, string argumentsJson, string id = "call_1", decimal? cost = 0.001m, string instance = "inst-a", string model = "model-a") => new()
    {
        Events =
        [
            new ToolCallRequested(new ToolCall(id, name, JsonDocument.Parse(argumentsJson).RootElement.Clone())),
            new UsageReported(new TokenUsage { InputTokens = 10, OutputTokens = 5 }),
            new Completed(FinishReason.ToolCalls, instance, model),
        ],
        Cost = cost,
    };

    public static FakeCall Fail(Exception error) => new() { Error = error };

    public FakeCall WithThought(string thought) => this with { Events = [new ThoughtDelta(thought), .. Events] };
}

/// <summary>A scripted <see cref="IReasoningEngine"/> for unit tests of the agent and the chat client.</summary>
internal sealed class FakeReasoningEngine : IReasoningEngine
{
    private readonly ConcurrentQueue<FakeCall> _script = new();
    private readonly ConcurrentQueue<(ArtPrompt Prompt, CallOptions Options)> _requests = new();

    /// <summary>Calls whose required capabilities contain this fail with a <see cref="RoutingException"/>.</summary>
    public ModelCapability? Unroutable { get; set; }

    public IReadOnlyList<(ArtPrompt Prompt, CallOptions Options)> Requests => [.. _requests];

    public TaskCompletionSource FirstChunkSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeReasoningEngine Enqueue(params FakeCall[] calls)
    {
        foreach (var call in calls)
        {
            _script.Enqueue(call);
        }

        return this;
    }

    public async IAsyncEnumerable<StreamEvent> StreamAsync(ArtPrompt prompt, CallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        _requests.Enqueue((prompt, options));
        if (Unroutable is { } c && options.RequiredCapabilities?.Contains(c) == true)
        {
            throw new RoutingException($"No model has {c}.", [new RejectedCandidate("inst-a", "model-a", $"lacks {c}")]);
        }

        if (!_script.TryDequeue(out var call))
        {
            throw new InvalidOperationException("The fake engine has no scripted call left.");
        }

        var sent = 0;
        foreach (var e in call.Events)
        {
            if (call.HangAfter == sent)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return e;
            sent++;
            if (e is ContentDelta)
            {
                FirstChunkSent.TrySetResult();
            }
        }

        if (call.HangAfter == sent)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (call.Error is not null)
        {
            throw call.Error;
        }
    }

    public async Task<ReasoningResponse> CallAsync(ArtPrompt prompt, CallOptions options, CancellationToken cancellationToken = default)
    {
        var content = new StringBuilder();
        var thoughts = new StringBuilder();
        var calls = new List<ToolCall>();
        var usage = TokenUsage.Zero;
        Completed? completed = null;
        var cost = _script.TryPeek(out var next) ? next.Cost : null;
        await foreach (var e in StreamAsync(prompt, options, cancellationToken))
        {
            switch (e)
            {
                case ContentDelta c:
                    content.Append(c.Text);
                    options.OnChunk?.Invoke(new StreamChunk(c.Text, false));
                    break;
                case ThoughtDelta t:
                    thoughts.Append(t.Text);
                    options.OnThought?.Invoke(t.Text);
                    break;
                case ToolCallRequested r:
                    calls.Add(r.Call);
                    break;
                case UsageReported u:
                    usage = usage.Add(u.Usage);
                    break;
                case Completed done:
                    completed = done;
                    break;
            }
        }

        options.OnChunk?.Invoke(new StreamChunk(string.Empty, true));
        return new ReasoningResponse
        {
            Content = content.ToString(),
            Thoughts = thoughts.ToString(),
            ToolCalls = calls,
            Usage = usage,
            Cost = cost,
            InstanceId = completed?.InstanceId ?? "inst-a",
            ModelId = completed?.ModelId ?? "model-a",
            FinishReason = completed?.Reason ?? FinishReason.Stop,
            RequestId = options.RequestId,
        };
    }

    public Task<bool> AbortAsync(string requestId) => Task.FromResult(false);
}
