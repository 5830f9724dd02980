using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Art.Agents;
using Art.Reasoning;
using Art.Telemetry;
using Art.Tests.Agents;

namespace Art.Tests.Telemetry;

/// <summary>Spans and metrics of the Art source/meter. Listeners are process-wide, so each test filters by a unique model or trace id.</summary>
public sealed class ArtTelemetryTests : IDisposable
{
    private readonly ConcurrentQueue<Activity> _activities = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ActivityListener _activityListener;
    private readonly MeterListener _meterListener;

    public ArtTelemetryTests()
    {
        _activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ArtTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _activities.Enqueue,
        };
        ActivitySource.AddActivityListener(_activityListener);
        _meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ArtTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meterListener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _meterListener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _meterListener.Start();
    }

    public void Dispose()
    {
        _activityListener.Dispose();
        _meterListener.Dispose();
    }

    [Fact]
    public void ChatScope_FollowsGenAiConventions()
    {
        var model = "model-" + Guid.NewGuid().ToString("N");
        var telemetry = new ArtTelemetry();
        using (var scope = telemetry.StartChat("ollama", model, "local-1", "thread-1", "req-1"))
        {
            scope.SetInput(ArtPrompt.FromUser("SECRET PROMPT"));
            scope.OnChunk();
            scope.OnChunk();
            scope.SetResponse(model + "-resp", FinishReason.Stop, new TokenUsage { InputTokens = 12, OutputTokens = 7 }, "SECRET ANSWER");
        }

        var span = Assert.Single(_activities, a => (string?)a.GetTagItem(SemConv.RequestModel) == model);
        Assert.Equal("chat " + model, span.DisplayName);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("chat", span.GetTagItem(SemConv.OperationName));
        Assert.Equal("ollama", span.GetTagItem(SemConv.ProviderName));
        Assert.Equal(model + "-resp", span.GetTagItem(SemConv.ResponseModel));
        Assert.Equal(12L, span.GetTagItem(SemConv.InputTokens));
        Assert.Equal(7L, span.GetTagItem(SemConv.OutputTokens));
        Assert.Equal(["stop"], (string[])span.GetTagItem(SemConv.ResponseFinishReasons)!);
        Assert.Equal("thread-1", span.GetTagItem(SemConv.ConversationId));
        Assert.Equal("local-1", span.GetTagItem(SemConv.ArtInstanceId));
        AssertNoText(span, "SECRET");

        var mine = _measurements.Where(m => Equals(m.Tags.GetValueOrDefault(SemConv.RequestModel), model)).ToList();
        var duration = Assert.Single(mine, m => m.Instrument == "gen_ai.client.operation.duration");
        Assert.Equal("chat", duration.Tags[SemConv.OperationName]);
        Assert.Equal("ollama", duration.Tags[SemConv.ProviderName]);
        Assert.Equal(model + "-resp", duration.Tags[SemConv.ResponseModel]);
        Assert.False(duration.Tags.ContainsKey(SemConv.ErrorType));
        Assert.Single(mine, m => m.Instrument == "gen_ai.client.time_to_first_chunk");
        var tokens = mine.Where(m => m.Instrument == "gen_ai.client.token.usage").ToList();
        Assert.Equal(12, Assert.Single(tokens, t => Equals(t.Tags[SemConv.TokenType], "input")).Value);
        Assert.Equal(7, Assert.Single(tokens, t => Equals(t.Tags[SemConv.TokenType], "output")).Value);
    }

    [Fact]
    public void ChatScope_Failure_SetsErrorType()
    {
        var model = "model-" + Guid.NewGuid().ToString("N");
        using (var scope = new ArtTelemetry().StartChat("openai", model))
        {
            scope.Fail(new ProviderException(ProviderErrorKind.RateLimited, "429 from openai", "openai", "oa"));
        }

        var span = Assert.Single(_activities, a => (string?)a.GetTagItem(SemConv.RequestModel) == model);
        Assert.Equal("rate_limited", span.GetTagItem(SemConv.ErrorType));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        var duration = Assert.Single(_measurements, m => m.Instrument == "gen_ai.client.operation.duration" && Equals(m.Tags.GetValueOrDefault(SemConv.RequestModel), model));
        Assert.Equal("rate_limited", duration.Tags[SemConv.ErrorType]);
    }

    [Fact]
    public void SensitiveData_Enabled_PutsMessagesOnSpan()
    {
        var model = "model-" + Guid.NewGuid().ToString("N");
        using (var scope = new ArtTelemetry(new ArtTelemetryOptions { EnableSensitiveData = true }).StartChat("ollama", model))
        {
            scope.SetInput(ArtPrompt.FromUser("VISIBLE PROMPT"));
            scope.SetResponse(model, FinishReason.Stop, null, "VISIBLE ANSWER");
        }

        var span = Assert.Single(_activities, a => (string?)a.GetTagItem(SemConv.RequestModel) == model);
        Assert.Contains("VISIBLE PROMPT", (string)span.GetTagItem(SemConv.InputMessages)!);
        Assert.Contains("VISIBLE ANSWER", (string)span.GetTagItem(SemConv.OutputMessages)!);
    }

    [Fact]
    public void RouteFallbackAndCost_Counters_ThreadIdOnlyWhenEnabled()
    {
        var instance = "inst-" + Guid.NewGuid().ToString("N");
        var off = new ArtTelemetry();
        var on = new ArtTelemetry(new ArtTelemetryOptions { IncludeThreadIdInMetrics = true });

        off.RecordRouteDecision("preferred", instance, "m", threadId: "th-1");
        off.RecordFallback(instance, "other", ProviderErrorKind.Transient, threadId: "th-1");
        off.RecordCost(0.25m, "openai", instance, "m", threadId: "th-1");
        on.RecordCost(0.5m, "openai", instance, "m", threadId: "th-2");

        var route = Assert.Single(_measurements, m => m.Instrument == "art.route.decisions" && Equals(m.Tags.GetValueOrDefault(SemConv.ArtInstanceId), instance));
        Assert.Equal("preferred", route.Tags[SemConv.ArtRouteStep]);
        Assert.False(route.Tags.ContainsKey(SemConv.ArtThreadId));
        var fallback = Assert.Single(_measurements, m => m.Instrument == "art.fallbacks" && Equals(m.Tags.GetValueOrDefault("art.fallback.from"), instance));
        Assert.Equal("transient", fallback.Tags[SemConv.ErrorType]);
        var costs = _measurements.Where(m => m.Instrument == "art.cost" && Equals(m.Tags.GetValueOrDefault(SemConv.ArtInstanceId), instance)).OrderBy(m => m.Value).ToList();
        Assert.Equal([0.25, 0.5], costs.Select(c => c.Value));
        Assert.False(costs[0].Tags.ContainsKey(SemConv.ArtThreadId));
        Assert.Equal("th-2", costs[1].Tags[SemConv.ArtThreadId]);
    }

    [Fact]
    public async Task PesAgent_RecordsInvokeAgentSpan_WithoutPromptText()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(FakeCall.Text("plan"), FakeCall.Text("THE ANSWER", cost: 0.02m));
        var traceId = "trace-" + Guid.NewGuid().ToString("N");

        await h.CreateAgent().ProcessAsync(new AgentProps { Query = "SECRET QUESTION", ThreadId = h.ThreadId, TraceId = traceId }, TestContext.Current.CancellationToken);

        var span = Assert.Single(_activities, a => (string?)a.GetTagItem(SemConv.ArtTraceId) == traceId);
        Assert.Equal("invoke_agent pes", span.DisplayName);
        Assert.Equal("invoke_agent", span.GetTagItem(SemConv.OperationName));
        Assert.Equal(h.ThreadId, span.GetTagItem(SemConv.ConversationId));
        Assert.Equal("success", span.GetTagItem(SemConv.ArtAgentStatus));
        Assert.Equal(20L, span.GetTagItem(SemConv.InputTokens));
        Assert.Equal(0.021, (double)span.GetTagItem(SemConv.ArtCost)!, 6);
        AssertNoText(span, "SECRET");
        AssertNoText(span, "THE ANSWER");
    }

    [Fact]
    public async Task Engine_SpanPerAttempt_RouteFallbackAndCostMetrics()
    {
        var flaky = "flaky-" + Guid.NewGuid().ToString("N");
        var steady = "steady-" + Guid.NewGuid().ToString("N");
        var thread = "thread-" + Guid.NewGuid().ToString("N");
        var mFlaky = "m-flaky-" + Guid.NewGuid().ToString("N");
        var mSteady = "m-steady-" + Guid.NewGuid().ToString("N");
        await using var stack = await RealStack.CreateAsync(
            [RealStack.ScriptedInstance(flaky, mFlaky), RealStack.ScriptedInstance(steady, mSteady)],
            engineOptions: new ReasoningEngineOptions { MaxRetriesPerInstance = 0 });
        await stack.ConfigureThreadAsync(thread, flaky, new Art.Context.ModelPreferences { FallbackInstances = [steady] });
        stack.Scripted.For(flaky).Enqueue(Art.Testing.ScriptedResponse.Failure(ProviderErrorKind.Transient, "503"));
        stack.Scripted.For(steady).Enqueue(Art.Testing.ScriptedResponse.Text("SECRET ANSWER").Usage(100, 20));

        await stack.Engine.CallAsync(ArtPrompt.FromUser("SECRET PROMPT"), new CallOptions { ThreadId = thread }, TestContext.Current.CancellationToken);

        var spans = _activities.Where(a => (string?)a.GetTagItem(SemConv.ConversationId) == thread).OrderBy(a => a.StartTimeUtc).ToList();
        Assert.Equal(2, spans.Count);
        Assert.Equal(("scripted", mFlaky, "transient"), ((string?)spans[0].GetTagItem(SemConv.ProviderName), (string?)spans[0].GetTagItem(SemConv.RequestModel), (string?)spans[0].GetTagItem(SemConv.ErrorType)));
        Assert.Equal((mSteady, 100L, 20L), ((string?)spans[1].GetTagItem(SemConv.ResponseModel), (long?)spans[1].GetTagItem(SemConv.InputTokens), (long?)spans[1].GetTagItem(SemConv.OutputTokens)));
        Assert.All(spans, s => AssertNoText(s, "SECRET"));
        var route = Assert.Single(_measurements, m => m.Instrument == "art.route.decisions" && Equals(m.Tags.GetValueOrDefault(SemConv.ArtInstanceId), flaky));
        Assert.Equal("thread", route.Tags[SemConv.ArtRouteStep]);
        var fallback = Assert.Single(_measurements, m => m.Instrument == "art.fallbacks" && Equals(m.Tags.GetValueOrDefault("art.fallback.from"), flaky));
        Assert.Equal(steady, fallback.Tags["art.fallback.to"]);
        var cost = Assert.Single(_measurements, m => m.Instrument == "art.cost" && Equals(m.Tags.GetValueOrDefault(SemConv.ArtInstanceId), steady));
        Assert.Equal(0.00014, cost.Value, 8);
        var durations = _measurements.Where(m => m.Instrument == "gen_ai.client.operation.duration" && (Equals(m.Tags.GetValueOrDefault(SemConv.ResponseModel), mSteady) || Equals(m.Tags.GetValueOrDefault(SemConv.RequestModel), mFlaky))).ToList();
        Assert.Contains(durations, d => Equals(d.Tags.GetValueOrDefault(SemConv.ErrorType), "transient") && Equals(d.Tags[SemConv.ProviderName], "scripted"));
        Assert.Contains(durations, d => !d.Tags.ContainsKey(SemConv.ErrorType) && Equals(d.Tags[SemConv.ResponseModel], mSteady));
    }

    [Theory]
    [InlineData("call instance 'a' (model m) satisfies text", "call")]
    [InlineData("thread instance 'a' (model m) satisfies text", "thread")]
    [InlineData("preferred model for tool_use: instance 'a'", "preferred")]
    [InlineData("default instance 'a' (model m)", "default")]
    [InlineData("cheapest fitting candidate: instance 'a'", "cheapest")]
    public void RouteStepOf_MapsRouterReasons(string why, string step) => Assert.Equal(step, ArtTelemetry.RouteStepOf(why));

    private static void AssertNoText(Activity span, string text)
    {
        foreach (var tag in span.TagObjects)
        {
            Assert.DoesNotContain(text, tag.Value?.ToString() ?? string.Empty, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(text, span.StatusDescription ?? string.Empty, StringComparison.Ordinal);
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dictionary = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            dictionary[tag.Key] = tag.Value;
        }

        _measurements.Enqueue((instrument.Name, value, dictionary));
    }
}
