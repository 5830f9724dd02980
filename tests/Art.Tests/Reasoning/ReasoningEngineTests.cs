using System.Text.Json;
using Art.Context;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Testing;
using Art.Tools;
using Microsoft.Extensions.Time.Testing;

namespace Art.Tests.Reasoning;

public sealed class ReasoningEngineTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ArtPrompt Prompt => ArtPrompt.FromUser("hello");

    [Fact]
    public async Task CallAsync_TransientFailures_RetriesSameInstanceThenFallsBack()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        var a = h.Instance("a").Enqueue(
            ScriptedResponse.Failure(ProviderErrorKind.Transient),
            ScriptedResponse.Failure(ProviderErrorKind.Transient),
            ScriptedResponse.Failure(ProviderErrorKind.Transient),
            ScriptedResponse.Text("never"));
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("o", "k").Usage(10, 2));

        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);

        Assert.Equal("ok", response.Content);
        Assert.Equal("b", response.InstanceId);
        Assert.Equal("m-b", response.ModelId);
        Assert.Equal(4, response.Attempts);
        Assert.Equal(3, a.Requests.Count);
        Assert.Single(b.Requests);
        Assert.Equal(
            [("a", AttemptOutcome.TransientFailure, ProviderErrorKind.Transient), ("a", AttemptOutcome.TransientFailure, ProviderErrorKind.Transient), ("a", AttemptOutcome.TransientFailure, ProviderErrorKind.Transient), ("b", AttemptOutcome.Success, null)],
            h.Router.Outcomes);

        // One MODEL_FALLBACK_ATTEMPT per failed attempt that is followed by another, then one SUCCESS.
        var attempts = h.Observations.OfType(ObservationType.ModelFallbackAttempt);
        Assert.Equal(["retry", "retry", "fallback"], attempts.Select(o => o.Content.GetProperty("action").GetString()));
        Assert.Equal(["a", "a", "b"], attempts.Select(o => o.InstanceId));
        var success = Assert.Single(h.Observations.OfType(ObservationType.ModelFallbackSuccess));
        Assert.True(success.Content.GetProperty("answeredByFallback").GetBoolean());
        Assert.Equal("b", success.InstanceId);
        Assert.Empty(h.Observations.OfType(ObservationType.ModelFallbackFailed));

        // Failed attempts were released, not billed; the answering one was settled with its usage.
        Assert.Equal(4, h.Costs.Reserved.Count);
        Assert.Equal(3, h.Costs.Released.Count);
        var settled = Assert.Single(h.Costs.Settled);
        Assert.Equal("b", settled.Reservation.Request.InstanceId);
        Assert.Equal(10, settled.Usage.InputTokens);
        Assert.Equal(0, h.Costs.Outstanding);
        Assert.Equal(4, h.Instances.Acquired);
        Assert.Equal(0, h.Instances.Held);
        Assert.Equal(0, h.Instances.DoubleReleases);
    }

    [Fact]
    public async Task CallAsync_RateLimitedWithRetryAfter_RetriesOnlyAfterThatDelay()
    {
        var fake = new FakeTimeProvider();
        var time = new SignalingTimeProvider(fake);
        var h = new EngineHarness(EngineHarness.Decide("a"), time: time);
        h.Options = h.Options with { BaseBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromMilliseconds(100) };
        var a = h.Instance("a").Enqueue(
            ScriptedResponse.Failure(ProviderErrorKind.RateLimited, retryAfter: TimeSpan.FromSeconds(5)),
            ScriptedResponse.Text("later"));

        var call = h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);

        await time.WaitForTimerAsync(TimeSpan.FromSeconds(5), Wait);
        Assert.Single(a.Requests);
        fake.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Single(a.Requests);
        Assert.False(call.IsCompleted);
        fake.Advance(TimeSpan.FromSeconds(0.1));

        var response = await call.WaitAsync(Wait, Ct);
        Assert.Equal("later", response.Content);
        Assert.Equal(2, a.Requests.Count);
        Assert.Equal(a.Requests[0].ReceivedAt + TimeSpan.FromSeconds(5), a.Requests[1].ReceivedAt);
        var attempt = Assert.Single(h.Observations.OfType(ObservationType.ModelFallbackAttempt));
        Assert.Equal(5000, attempt.Content.GetProperty("delayMs").GetDouble());
        Assert.Equal("rate_limited", attempt.Content.GetProperty("failed").GetProperty("errorKind").GetString());
    }

    [Fact]
    public async Task CallAsync_RetryAfterAboveCap_FallsBackWithoutWaiting()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"), time: new FakeTimeProvider());
        h.Options = h.Options with { RetryAfterCap = TimeSpan.FromSeconds(30) };
        var a = h.Instance("a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.RateLimited, retryAfter: TimeSpan.FromMinutes(5)));
        h.Instance("b").Enqueue(ScriptedResponse.Text("from b"));

        // The fake clock is never advanced: any wait would hang until the test's timeout.
        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct).WaitAsync(Wait, Ct);

        Assert.Equal("b", response.InstanceId);
        Assert.Single(a.Requests);
    }

    [Fact]
    public async Task CallAsync_AuthError_FallsBackAtOnceAndReportsHardFailure()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        var a = h.Instance("a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.Auth), ScriptedResponse.Text("never"));
        h.Instance("b").Enqueue(ScriptedResponse.Text("fine"));

        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);

        Assert.Equal("b", response.InstanceId);
        Assert.Single(a.Requests);
        Assert.Equal(("a", AttemptOutcome.HardFailure, ProviderErrorKind.Auth), h.Router.Outcomes[0]);
        Assert.Equal(2, response.Attempts);
    }

    [Fact]
    public async Task CallAsync_ContextLengthExceeded_FallsBackOnlyToLargerWindow()
    {
        var decision = new RouteDecision
        {
            Primary = EngineHarness.Target("a", 8000),
            Fallbacks = [EngineHarness.Target("b", 4000), EngineHarness.Target("c", 8000), EngineHarness.Target("d", 32000)],
            Why = "test",
        };
        var h = new EngineHarness(decision);
        h.Instance("a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.ContextLengthExceeded));
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("small"));
        var c = h.Instance("c").Enqueue(ScriptedResponse.Text("same"));
        h.Instance("d").Enqueue(ScriptedResponse.Text("large"));

        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);

        Assert.Equal("d", response.InstanceId);
        Assert.Empty(b.Requests);
        Assert.Empty(c.Requests);
        // Only the neutral report that gives back a half-open probe: a kind the circuit breaker does not count.
        Assert.Equal([("a", AttemptOutcome.TransientFailure, ProviderErrorKind.ContextLengthExceeded)], h.Router.Outcomes.Where(o => o.InstanceId == "a"));
        Assert.Single(h.Router.Requests);
    }

    [Fact]
    public async Task CallAsync_ContextLengthExceededAndFallbackWindowUnknown_AsksRouterForLargerWindow()
    {
        var h = new EngineHarness(new RouteDecision { Primary = EngineHarness.Target("a", 8000), Fallbacks = [EngineHarness.Target("b")], Why = "test" });
        var first = h.Router.Decision;
        h.Router.OnSelect = r => r.MinContextWindow is null
            ? first
            : new RouteDecision { Primary = EngineHarness.Target("c", 128000), Why = "larger" };
        h.Instance("a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.ContextLengthExceeded));
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("unknown window"));
        h.Instance("c").Enqueue(ScriptedResponse.Text("big"));

        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);

        Assert.Equal("c", response.InstanceId);
        Assert.Empty(b.Requests);
        Assert.Equal(2, h.Router.Requests.Count);
        Assert.Equal(8000, h.Router.Requests[1].MinContextWindow);
    }

    [Theory]
    [InlineData(ProviderErrorKind.ContentFilter)]
    [InlineData(ProviderErrorKind.BadRequest)]
    public async Task CallAsync_ContentFilterOrBadRequest_DoesNotFallBackAndSurfacesProviderError(ProviderErrorKind kind)
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        h.Instance("a").Enqueue(ScriptedResponse.Failure(kind, "refused: policy 7"));
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("never"));

        var error = await Assert.ThrowsAsync<ProviderException>(() => h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct));

        Assert.Equal(kind, error.Kind);
        Assert.Equal("refused: policy 7", error.Message);
        Assert.Empty(b.Requests);
        Assert.Empty(h.Observations.OfType(ObservationType.ModelFallbackAttempt));
        Assert.Equal(0, h.Costs.Outstanding);
        Assert.Equal(0, h.Instances.Held);
    }

    [Fact]
    public async Task StreamAsync_FailureAfterFirstChunk_RaisesStreamInterruptedWithPartialTextAndNoFallback()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        h.Instance("a").Enqueue(ScriptedResponse.Text("Hel", "lo").Usage(7, 2).Fail(ProviderErrorKind.Transient, "connection reset"));
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("never"));
        var seen = new List<StreamEvent>();

        var error = await Assert.ThrowsAsync<StreamInterruptedException>(async () =>
        {
            await foreach (var e in h.Build().StreamAsync(Prompt, EngineHarness.Call(), Ct))
            {
                seen.Add(e);
            }
        });

        Assert.Equal("Hello", error.PartialContent);
        Assert.Equal("a", error.InstanceId);
        Assert.Equal("m-a", error.ModelId);
        Assert.Equal(ProviderErrorKind.Transient, error.Kind);
        Assert.Empty(b.Requests);
        Assert.DoesNotContain(seen, e => e is Completed);
        Assert.Equal(0, h.Instances.Held);

        // Usage arrived before the break: it is settled (real spend), not released.
        var settled = Assert.Single(h.Costs.Settled);
        Assert.Equal(7, settled.Usage.InputTokens);
        Assert.Equal(0, h.Costs.Outstanding);
    }

    [Fact]
    public async Task StreamAsync_StreamEndsWithoutCompletionAfterContent_IsInterruption()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        h.Instance("a").Enqueue(ScriptedResponse.Text("Half an ans").Disconnect());
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("never"));

        var error = await Assert.ThrowsAsync<StreamInterruptedException>(() => h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct));

        Assert.Equal("Half an ans", error.PartialContent);
        Assert.Empty(b.Requests);
        Assert.Single(h.Costs.Released);
    }

    [Fact]
    public async Task StreamAsync_EndsWithCompletedNamingWhoAnswered()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        h.Instance("a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.ModelNotFound));
        h.Instance("b").Enqueue(ScriptedResponse.Text("x") with { Model = "reported-by-provider" });

        var events = new List<StreamEvent>();
        await foreach (var e in h.Build().StreamAsync(Prompt, EngineHarness.Call(), Ct))
        {
            events.Add(e);
        }

        var completed = Assert.IsType<Completed>(events[^1]);
        Assert.Equal(new Completed(FinishReason.Stop, "b", "m-b"), completed);
        Assert.Single(events, e => e is Completed);
    }

    [Fact]
    public async Task CallAsync_SingleAttemptSuccess_RecordsOnlyTheRouteDecision()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        h.Instance("a").Enqueue(ScriptedResponse.Text("hi"));

        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call() with { TraceId = "tr" }, Ct);

        var only = Assert.Single(h.Observations.Recorded);
        Assert.Equal(ObservationType.ModelRouteDecision, only.Type);
        Assert.Equal("tr", only.TraceId);
        Assert.Equal(EngineHarness.Thread, only.ThreadId);
        Assert.Equal("a", only.Content.GetProperty("primary").GetProperty("instanceId").GetString());
        Assert.Equal("b", only.Content.GetProperty("fallbacks")[0].GetProperty("instanceId").GetString());
        Assert.Equal("test", only.Content.GetProperty("why").GetString());
        Assert.Equal(1, response.Attempts);
        Assert.Equal(("a", AttemptOutcome.Success, (ProviderErrorKind?)null), Assert.Single(h.Router.Outcomes));
    }

    [Fact]
    public async Task CallAsync_AllTargetsFail_RecordsFailedAndRethrowsLastProviderError()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        h.Options = h.Options with { MaxRetriesPerInstance = 0 };
        h.Instance("a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.Transient, "a down"));
        h.Instance("b").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.QuotaExceeded, "b broke"));

        var error = await Assert.ThrowsAsync<ProviderException>(() => h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct));

        Assert.Equal(ProviderErrorKind.QuotaExceeded, error.Kind);
        Assert.Single(h.Observations.OfType(ObservationType.ModelFallbackAttempt));
        var failed = Assert.Single(h.Observations.OfType(ObservationType.ModelFallbackFailed));
        Assert.Equal(2, failed.Content.GetProperty("attempts").GetInt32());
        Assert.Equal(2, failed.Content.GetProperty("history").GetArrayLength());
        Assert.Equal(0, h.Costs.Outstanding);
        Assert.Equal(0, h.Instances.Held);
    }

    [Fact]
    public async Task AbortAsync_RunningCall_EndsPromptlyWithCancellationReleasesLeaseAndSettlesPartialUsage()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        h.Instance("a").Enqueue(ScriptedResponse.Create().Usage(11, 1).Content("partial").HangUntilCancelled());
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("never"));
        var engine = h.Build();
        var firstChunk = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var call = engine.CallAsync(Prompt, EngineHarness.Call("req-1") with { OnChunk = _ => firstChunk.TrySetResult() }, Ct);
        await firstChunk.Task.WaitAsync(Wait, Ct);

        Assert.True(await engine.AbortAsync("req-1"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Wait, Ct));

        Assert.Equal(0, h.Instances.Held);
        Assert.Equal(1, h.Instances.Released);
        var settled = Assert.Single(h.Costs.Settled);
        Assert.Equal(11, settled.Usage.InputTokens);
        Assert.Equal(0, h.Costs.Outstanding);
        Assert.Empty(b.Requests);
        Assert.Equal(0, engine.ActiveRequests);
        Assert.False(await engine.AbortAsync("req-1"));
        Assert.Empty(h.Observations.OfType(ObservationType.ModelFallbackFailed));
    }

    [Fact]
    public async Task AbortAsync_BeforeAnyContent_StopsWithoutFallbackAndReleasesReservation()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        var a = h.Instance("a").Enqueue(ScriptedResponse.Hang());
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("never"));
        var engine = h.Build();

        var call = engine.CallAsync(Prompt, EngineHarness.Call("req-2"), Ct);
        while (a.ActiveStreams == 0)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(await engine.AbortAsync("req-2"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Wait, Ct));
        Assert.Empty(b.Requests);
        Assert.Single(h.Costs.Released);
        Assert.Empty(h.Costs.Settled);
        Assert.Equal(0, h.Instances.Held);

        // Only the neutral report that gives back a half-open probe (Cancelled is not counted by the breaker).
        Assert.Equal([("a", AttemptOutcome.TransientFailure, (ProviderErrorKind?)ProviderErrorKind.Cancelled)], h.Router.Outcomes);
    }

    [Fact]
    public async Task StreamAsync_EnumeratorDisposedEarly_ReleasesLeaseAndReservation()
    {
        var h = new EngineHarness();
        var a = h.Instance("a").Enqueue(ScriptedResponse.Text("one", "two", "three").Usage(5, 3));

        await foreach (var e in h.Build().StreamAsync(Prompt, EngineHarness.Call(), Ct))
        {
            if (e is ContentDelta)
            {
                break;
            }
        }

        Assert.Equal(1, h.Instances.Acquired);
        Assert.Equal(0, h.Instances.Held);
        Assert.Equal(0, h.Instances.DoubleReleases);
        Assert.Single(h.Costs.Released);
        Assert.Equal(0, h.Costs.Outstanding);
        Assert.Equal(0, a.ActiveStreams);
    }

    [Fact]
    public async Task StreamAsync_NeverEnumerated_ReservesLeasesAndSendsNothing()
    {
        var h = new EngineHarness();
        var a = h.Instance("a").Enqueue(ScriptedResponse.Text("x"));

        var stream = h.Build().StreamAsync(Prompt, EngineHarness.Call(), Ct);
        await using (stream.GetAsyncEnumerator(Ct))
        {
        }

        Assert.Empty(h.Costs.Reserved);
        Assert.Equal(0, h.Instances.Acquired);
        Assert.Empty(a.Requests);
    }

    [Fact]
    public async Task CallAsync_BudgetRefused_SendsNothing()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        h.Costs.Refuse = r => new BudgetExceededException(r.ThreadId, BudgetLimitKind.CostPerThread, 1m, 0.99m, 0.05m);
        var a = h.Instance("a").Enqueue(ScriptedResponse.Text("x"));
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("y"));

        var error = await Assert.ThrowsAsync<BudgetExceededException>(() => h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct));

        Assert.Equal(BudgetLimitKind.CostPerThread, error.LimitKind);
        Assert.Empty(a.Requests);
        Assert.Empty(b.Requests);
        Assert.Equal(0, h.Instances.Acquired);
    }

    [Fact]
    public async Task CallAsync_LeaseBusyOnPrimary_SkipsToFallbackWithoutCountingAnAttempt()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        h.Instances.FailAcquire = id => id == "a" ? new LocalInstanceBusyException("a", "localhost", TimeSpan.FromSeconds(1)) : null;
        var a = h.Instance("a").Enqueue(ScriptedResponse.Text("x"));
        h.Instance("b").Enqueue(ScriptedResponse.Text("y"));

        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);

        Assert.Equal("b", response.InstanceId);
        Assert.Equal(1, response.Attempts);
        Assert.Empty(a.Requests);
        Assert.Single(h.Costs.Released);
        Assert.Equal(0, h.Costs.Outstanding);
    }

    [Fact]
    public async Task CallAsync_Callbacks_ThoughtsAndChunksInOrderThenOneFinal()
    {
        var h = new EngineHarness();
        h.Instance("a").Enqueue(ScriptedResponse.Create().Thought("think ").Thought("more", signature: "sig-1").Content("Hel", "lo").Usage(3, 4));
        var log = new List<string>();

        var response = await h.Build().CallAsync(
            Prompt,
            EngineHarness.Call() with
            {
                OnThought = t => log.Add("thought:" + t),
                OnChunk = c => log.Add(c.IsFinal ? "final:" + c.Content : "chunk:" + c.Content),
            },
            Ct);

        Assert.Equal(["thought:think ", "thought:more", "chunk:Hel", "chunk:lo", "final:"], log);
        Assert.Equal("Hello", response.Content);
        Assert.Equal("think more", response.Thoughts);
        var block = Assert.Single(response.ThoughtBlocks);
        Assert.Equal(new ThoughtBlock("think more") { Signature = "sig-1" }, block);
        Assert.Equal(7, response.Usage.TotalTokens);
    }

    [Fact]
    public async Task CallAsync_ThoughtsThenFailureBeforeContent_YieldsAttemptRestartedAndDropsFailedThoughts()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        h.Instance("a").Enqueue(ScriptedResponse.Create().Thought("from a", "sig-a").Fail(ProviderErrorKind.Auth));
        h.Instance("b").Enqueue(ScriptedResponse.Create().Thought("from b").Content("answer"));
        var engine = h.Build();

        var events = new List<StreamEvent>();
        await foreach (var e in engine.StreamAsync(Prompt, EngineHarness.Call(), Ct))
        {
            events.Add(e);
        }

        var restartIndex = events.FindIndex(e => e is AttemptRestarted);
        Assert.Equal(1, restartIndex);
        Assert.Equal(new AttemptRestarted(2, "b", "m-b", ProviderErrorKind.Auth), events[restartIndex]);

        h.Instance("a").Enqueue(ScriptedResponse.Create().Thought("from a", "sig-a").Fail(ProviderErrorKind.Auth));
        h.Instance("b").Enqueue(ScriptedResponse.Create().Thought("from b").Content("answer"));
        var response = await engine.CallAsync(Prompt, EngineHarness.Call(), Ct);
        Assert.Equal("from b", response.Thoughts);
        Assert.Equal([new ThoughtBlock("from b")], response.ThoughtBlocks);
    }

    [Fact]
    public async Task CallAsync_WithResponseSchema_ParsesJson()
    {
        var h = new EngineHarness();
        h.Instance("a").Enqueue(ScriptedResponse.Text("```json\n{\"city\":", " \"Paris\"}\n```"));
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}}}""").RootElement;

        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call() with { ResponseSchema = schema }, Ct);

        Assert.Equal("Paris", response.Json!.Value.GetProperty("city").GetString());
        Assert.Contains(ModelCapability.JsonOutput, h.Router.Requests[0].RequiredCapabilities);
    }

    [Fact]
    public async Task CallAsync_WithResponseSchemaAndInvalidJson_ThrowsArtExceptionSayingSo()
    {
        var h = new EngineHarness();
        h.Instance("a").Enqueue(ScriptedResponse.Text("not json at all"));
        var schema = JsonDocument.Parse("""{"type":"object"}""").RootElement;

        var error = await Assert.ThrowsAsync<ArtException>(() => h.Build().CallAsync(Prompt, EngineHarness.Call() with { ResponseSchema = schema }, Ct));

        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
        Assert.Single(h.Costs.Settled);
    }

    [Fact]
    public async Task CallAsync_WithoutSchema_LeavesJsonNull()
    {
        var h = new EngineHarness();
        h.Instance("a").Enqueue(ScriptedResponse.Text("{\"a\":1}"));

        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);

        Assert.Null(response.Json);
    }

    [Fact]
    public async Task CallAsync_Parameters_MergeCallOverThreadOverInstanceAndModelIsTheTargets()
    {
        var thread = new ThreadConfig
        {
            Reasoning = new ThreadReasoningConfig { InstanceId = "a", Parameters = new ModelParameters { Temperature = 0.5, TopP = 0.9 } },
        };
        var h = new EngineHarness(thread: thread);
        var a = h.Instance("a", parameters: new ModelParameters { Temperature = 0.1, MaxOutputTokens = 100, TopK = 40 });
        a.Enqueue(ScriptedResponse.Text("x"));

        await h.Build().CallAsync(
            Prompt,
            EngineHarness.Call("r-9") with { Model = "asked-for", Parameters = new ModelParameters { TopP = 0.2 }, OnChunk = _ => { } },
            Ct);

        var sent = Assert.Single(a.Requests).Options;
        Assert.Equal("m-a", sent.Model);
        Assert.Equal("r-9", sent.RequestId);
        Assert.Null(sent.OnChunk);
        Assert.Equal(0.5, sent.Parameters!.Temperature);
        Assert.Equal(0.2, sent.Parameters.TopP);
        Assert.Equal(40, sent.Parameters.TopK);
        Assert.Equal(100, sent.Parameters.MaxOutputTokens);
        Assert.Equal(100, h.Costs.Reserved[0].MaxOutputTokens);
        Assert.Equal("asked-for", h.Router.Requests[0].ModelId);
    }

    [Fact]
    public async Task CallAsync_UsageWithProviderCost_SettlesSummedUsageAndReportsCost()
    {
        var h = new EngineHarness();
        h.Instance("a", pricing: new ModelPricing { InputPerMillion = 1m, OutputPerMillion = 2m })
            .Enqueue(ScriptedResponse.Text("x").Usage(1000, 0).Usage(0, 500, providerCost: 0.0042m));

        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);

        var settled = Assert.Single(h.Costs.Settled);
        Assert.Equal(1000, settled.Usage.InputTokens);
        Assert.Equal(500, settled.Usage.OutputTokens);
        Assert.Equal(0.0042m, settled.ProviderCost);
        Assert.Equal(0.0042m, response.Cost);
        Assert.Equal(new ModelPricing { InputPerMillion = 1m, OutputPerMillion = 2m }, h.Costs.Reserved[0].Pricing);
    }

    [Fact]
    public async Task CallAsync_PricedUsage_CostComesFromSettlement()
    {
        var h = new EngineHarness();
        h.Instance("a", pricing: new ModelPricing { InputPerMillion = 1m, OutputPerMillion = 2m }).Enqueue(ScriptedResponse.Text("x").Usage(1_000_000, 1_000_000));

        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);

        Assert.Equal(3m, response.Cost);
    }

    [Fact]
    public async Task CallAsync_UnknownThread_ThrowsThreadNotFound()
    {
        var h = new EngineHarness();
        h.Instance("a").Enqueue(ScriptedResponse.Text("x"));

        await Assert.ThrowsAsync<ThreadNotFoundException>(() => h.Build().CallAsync(Prompt, new CallOptions { ThreadId = "nope" }, Ct));
        Assert.Empty(h.Router.Requests);
    }

    [Fact]
    public async Task CallAsync_NoRequiredCapabilities_DefaultAnalyzerInfersFromImagesToolsAndSchema()
    {
        var h = new EngineHarness();
        h.Instance("a").Enqueue(ScriptedResponse.Text("x"));
        var tool = new ToolSchema { Name = "calc", Description = "math", InputSchema = JsonDocument.Parse("""{"type":"object"}""").RootElement };
        var prompt = new ArtPrompt([ArtMessage.User("what is this?", [ImageInput.FromBytes(new byte[] { 1, 2, 3 }, "image/png")])]);

        await h.Build().CallAsync(prompt, EngineHarness.Call() with { Tools = [tool] }, Ct);

        Assert.Equal([ModelCapability.Text, ModelCapability.Vision, ModelCapability.ToolUse], h.Router.Requests[0].RequiredCapabilities);
        Assert.True(h.Router.Requests[0].EstimatedPromptTokens >= 1000);
    }

    [Fact]
    public async Task CallAsync_RequiredCapabilitiesGiven_WinOverAnalyzer()
    {
        var h = new EngineHarness(thread: new ThreadConfig { Reasoning = new ThreadReasoningConfig { InstanceId = "a", AutoDetectCapabilities = true } });
        h.Instance("a").Enqueue(ScriptedResponse.Text("x"), ScriptedResponse.Text("y"));
        bool? autoDetectSeen = null;
        var engine = h.Build((_, _, auto) =>
        {
            autoDetectSeen = auto;
            return [ModelCapability.Code];
        });

        await engine.CallAsync(Prompt, EngineHarness.Call() with { RequiredCapabilities = [ModelCapability.Reasoning] }, Ct);
        await engine.CallAsync(Prompt, EngineHarness.Call(), Ct);

        Assert.Equal([ModelCapability.Reasoning], h.Router.Requests[0].RequiredCapabilities);
        Assert.Equal([ModelCapability.Code], h.Router.Requests[1].RequiredCapabilities);
        Assert.True(autoDetectSeen);
    }

    [Fact]
    public async Task StreamAsync_DuplicateRunningRequestId_ThrowsArgumentException()
    {
        var h = new EngineHarness();
        var a = h.Instance("a").Enqueue(ScriptedResponse.Hang());
        var engine = h.Build();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var first = engine.CallAsync(Prompt, EngineHarness.Call("same"), cts.Token);
        while (a.ActiveStreams == 0)
        {
            await Task.Delay(10, Ct);
        }

        await Assert.ThrowsAsync<ArgumentException>(() => engine.CallAsync(Prompt, EngineHarness.Call("same"), Ct));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(Wait, Ct));
        Assert.Equal(0, h.Instances.Held);
    }

    [Fact]
    public async Task CallAsync_NoFirstEventWithinTimeout_TimesOutAsTransientAndFallsBack()
    {
        var fake = new FakeTimeProvider();
        var time = new SignalingTimeProvider(fake);
        var h = new EngineHarness(EngineHarness.Decide("a", "b"), time: time);
        h.Options = h.Options with { MaxRetriesPerInstance = 0, FirstTokenTimeout = TimeSpan.FromSeconds(7) };
        var a = h.Instance("a").Enqueue(ScriptedResponse.Hang());
        h.Instance("b").Enqueue(ScriptedResponse.Text("b answers"));

        var call = h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(7), Wait);
        Assert.False(call.IsCompleted);
        fake.Advance(TimeSpan.FromSeconds(7));

        var response = await call.WaitAsync(Wait, Ct);
        Assert.Equal("b", response.InstanceId);
        Assert.Single(a.Requests);
        Assert.Equal(("a", AttemptOutcome.TransientFailure, ProviderErrorKind.Transient), h.Router.Outcomes[0]);
        var attempt = Assert.Single(h.Observations.OfType(ObservationType.ModelFallbackAttempt));
        Assert.Contains("no first event", attempt.Content.GetProperty("failed").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, h.Instances.Held);
    }

    [Fact]
    public async Task CallAsync_StallAfterContent_IdleTimeoutRaisesStreamInterrupted()
    {
        var fake = new FakeTimeProvider();
        var time = new SignalingTimeProvider(fake);
        var h = new EngineHarness(EngineHarness.Decide("a", "b"), time: time);
        h.Options = h.Options with { IdleTimeout = TimeSpan.FromSeconds(3) };
        h.Instance("a").Enqueue(ScriptedResponse.Text("so far").HangUntilCancelled());
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("never"));

        var call = h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(3), Wait);
        fake.Advance(TimeSpan.FromSeconds(3));

        var error = await Assert.ThrowsAsync<StreamInterruptedException>(() => call.WaitAsync(Wait, Ct));
        Assert.Equal("so far", error.PartialContent);
        Assert.Empty(b.Requests);
        Assert.Equal(0, h.Instances.Held);
    }

    [Fact]
    public async Task CallAsync_AllowFallbackFalse_UsesOnlyThePrimary()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        h.Options = h.Options with { MaxRetriesPerInstance = 0 };
        h.Instance("a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.Auth));
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("never"));

        var error = await Assert.ThrowsAsync<ProviderException>(() => h.Build().CallAsync(Prompt, EngineHarness.Call() with { AllowFallback = false }, Ct));

        Assert.Equal(ProviderErrorKind.Auth, error.Kind);
        Assert.Empty(b.Requests);
        Assert.False(h.Router.Requests[0].AllowFallback);
        Assert.Single(h.Observations.OfType(ObservationType.ModelFallbackFailed));
    }

    [Fact]
    public async Task CallAsync_BudgetRefusedForFallback_SkipsItAndTriesTheNext()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b", "c"));
        h.Costs.Refuse = r => r.InstanceId == "b" ? new BudgetExceededException(r.ThreadId, BudgetLimitKind.CostPerCall, 0.01m, 0m, 0.5m) : null;
        h.Instance("a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.Auth));
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("expensive"));
        h.Instance("c").Enqueue(ScriptedResponse.Text("cheap"));

        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);

        Assert.Equal("c", response.InstanceId);
        Assert.Equal(2, response.Attempts);
        Assert.Empty(b.Requests);
        var success = Assert.Single(h.Observations.OfType(ObservationType.ModelFallbackSuccess));
        Assert.Equal(["failed", "skipped", "success"], success.Content.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("outcome").GetString()));
    }

    [Fact]
    public async Task CallAsync_MaxFallbacksReached_StopsAndRethrowsLastError()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b", "c"));
        h.Options = h.Options with { MaxFallbacks = 1 };
        h.Instance("a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.Auth, "a"));
        h.Instance("b").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.ModelNotFound, "b"));
        var c = h.Instance("c").Enqueue(ScriptedResponse.Text("never"));

        var error = await Assert.ThrowsAsync<ProviderException>(() => h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct));

        Assert.Equal(ProviderErrorKind.ModelNotFound, error.Kind);
        Assert.Empty(c.Requests);
    }

    [Fact]
    public async Task CallAsync_UnclassifiedIoFailure_IsRetriedAsTransient()
    {
        var h = new EngineHarness();
        var a = h.Instance("a").Enqueue(ScriptedResponse.Create().Fail(() => new IOException("connection reset by peer")), ScriptedResponse.Text("ok"));

        var response = await h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);

        Assert.Equal("ok", response.Content);
        Assert.Equal(2, a.Requests.Count);
        Assert.Equal(("a", AttemptOutcome.TransientFailure, ProviderErrorKind.Transient), h.Router.Outcomes[0]);
    }

    [Fact]
    public async Task CallAsync_AdapterBug_IsRethrownWithoutRetryOrFallback()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        var a = h.Instance("a").Enqueue(ScriptedResponse.Create().Fail(() => new InvalidOperationException("adapter bug")), ScriptedResponse.Text("never"));
        var b = h.Instance("b").Enqueue(ScriptedResponse.Text("never"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct));

        Assert.Equal("adapter bug", error.Message);
        Assert.Single(a.Requests);
        Assert.Empty(b.Requests);
        Assert.Equal(0, h.Instances.Held);
        Assert.Equal(0, h.Costs.Outstanding);
    }

    [Fact]
    public async Task StreamAsync_ConsumerStopsAfterUsageArrived_SettlesPartialUsage()
    {
        var h = new EngineHarness();
        h.Instance("a").Enqueue(ScriptedResponse.Create().Usage(9, 1).Content("a", "b"));

        await foreach (var e in h.Build().StreamAsync(Prompt, EngineHarness.Call(), Ct))
        {
            if (e is ContentDelta)
            {
                break;
            }
        }

        var settled = Assert.Single(h.Costs.Settled);
        Assert.Equal(9, settled.Usage.InputTokens);
        Assert.Empty(h.Costs.Released);
        Assert.Equal(0, h.Instances.Held);
    }

    [Fact]
    public async Task CallAsync_TransientWithoutRetryAfter_BacksOffExponentiallyWithJitter()
    {
        var fake = new FakeTimeProvider();
        var time = new SignalingTimeProvider(fake);
        var h = new EngineHarness(EngineHarness.Decide("a"), time: time);
        h.Options = h.Options with { BaseBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(10) };
        var a = h.Instance("a").Enqueue(
            ScriptedResponse.Failure(ProviderErrorKind.Transient),
            ScriptedResponse.Failure(ProviderErrorKind.Transient),
            ScriptedResponse.Text("third time"));

        var call = h.Build().CallAsync(Prompt, EngineHarness.Call(), Ct);
        var first = (await time.WaitForTimerAsync(d => d > TimeSpan.Zero, Wait, 1))[0];
        Assert.InRange(first, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1));
        fake.Advance(first);
        var both = await time.WaitForTimerAsync(d => d > TimeSpan.Zero, Wait, 2);
        Assert.InRange(both[1], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.Equal(2, a.Requests.Count);
        fake.Advance(both[1]);

        var response = await call.WaitAsync(Wait, Ct);
        Assert.Equal("third time", response.Content);
        Assert.Equal(3, response.Attempts);
    }

    [Fact]
    public async Task CallAsync_ManyConcurrentCalls_LeaveNoLeaseOrReservationBehind()
    {
        var h = new EngineHarness(EngineHarness.Decide("a", "b"));
        h.Instance("a").DefaultResponse = ScriptedResponse.Text("x", "y").Usage(2, 2);
        h.Instance("b").DefaultResponse = ScriptedResponse.Text("z");
        var engine = h.Build();

        var calls = Enumerable.Range(0, 40).Select(i => Task.Run(() => engine.CallAsync(Prompt, EngineHarness.Call("r" + i), Ct), Ct));
        var responses = await Task.WhenAll(calls).WaitAsync(Wait, Ct);

        Assert.All(responses, r => Assert.Equal("xy", r.Content));
        Assert.Equal(40, h.Instances.Acquired);
        Assert.Equal(0, h.Instances.Held);
        Assert.Equal(40, h.Costs.Settled.Count);
        Assert.Equal(0, h.Costs.Outstanding);
        Assert.Equal(0, engine.ActiveRequests);
    }
}
