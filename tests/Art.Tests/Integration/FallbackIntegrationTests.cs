using Art.Context;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Testing;

namespace Art.Tests.Integration;

/// <summary>Retry, fallback and circuit breaking through the real engine, router, health tracker and observation pipeline.</summary>
public sealed class FallbackIntegrationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ArtPrompt Prompt => ArtPrompt.FromUser("hello");

    /// <summary>Thread on <paramref name="instance"/> with exactly the listed fallbacks (no cross-provider candidates).</summary>
    private static ThreadReasoningConfig Thread(string instance, params string[] fallbacks) => new()
    {
        InstanceId = instance,
        ModelPreferences = new ModelPreferences { FallbackInstances = fallbacks, AllowCrossProviderFallback = false },
    };

    [Fact]
    public async Task CallAsync_TransientFailures_RetryThenFallBackWithOneObservationAndOneModelEventPerAttempt()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        await f.CreateThreadAsync("t", Thread("cloud-a", "cloud-b"), Ct);
        var a = f.Adapter("cloud-a").Enqueue(
            ScriptedResponse.Failure(ProviderErrorKind.Transient),
            ScriptedResponse.Failure(ProviderErrorKind.Transient),
            ScriptedResponse.Failure(ProviderErrorKind.Transient));
        var b = f.Adapter("cloud-b").Enqueue(ScriptedResponse.Text("o", "k").Usage(1000, 500));
        using var events = f.RecordModelEvents("t");

        var response = await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);

        // The response names who answered.
        Assert.Equal(("ok", "cloud-b", "beta-vision", 4), (response.Content, response.InstanceId, response.ModelId, response.Attempts));
        Assert.Equal(3, a.Requests.Count);
        Assert.Equal("alpha-small", a.Requests[0].Options.Model);
        Assert.Equal("beta-vision", Assert.Single(b.Requests).Options.Model);

        // $3/M × 1000 + $6/M × 500 = 0.006 USD, settled once; failed attempts were released.
        Assert.Equal(0.006m, response.Cost);
        var usage = await f.Costs.GetThreadUsageAsync("t", Ct);
        Assert.Equal((0.006m, 1, 0m), (usage.Total.Cost, usage.Total.Calls, usage.ReservedCost));
        Assert.Equal(0.006m, usage.ByModel["cloud-b/beta-vision"].Cost);

        // One route decision, one MODEL_FALLBACK_ATTEMPT per failed attempt, one success: each stored once and
        // delivered once on the real ModelSocket, in order.
        Assert.Equal(
            [ModelEventType.ModelRouteDecision, ModelEventType.ModelFallbackAttempt, ModelEventType.ModelFallbackAttempt, ModelEventType.ModelFallbackAttempt, ModelEventType.ModelFallbackSuccess],
            events.Events.Select(e => e.Type));
        Assert.Equal(["retry", "retry", "fallback"], events.OfType(ModelEventType.ModelFallbackAttempt).Select(e => e.Content.GetProperty("action").GetString()));
        Assert.Equal(["cloud-a", "cloud-a", "cloud-b"], events.OfType(ModelEventType.ModelFallbackAttempt).Select(e => e.InstanceId));
        var stored = await f.ObservationsAsync("t");
        Assert.Equal(5, stored.Count);
        Assert.Equal(stored.Select(o => o.Id).Order(), events.Events.Select(e => e.ObservationId!).Order());
        var success = Assert.Single(events.OfType(ModelEventType.ModelFallbackSuccess));
        Assert.True(success.Content.GetProperty("answeredByFallback").GetBoolean());
        Assert.Equal(4, success.Content.GetProperty("attempts").GetInt32());

        // Three consecutive transient failures reached the breaker's threshold.
        Assert.Equal(CircuitState.Open, f.Health.GetState("cloud-a"));
        Assert.Equal(CircuitState.Closed, f.Health.GetState("cloud-b"));
    }

    [Fact]
    public async Task CallAsync_RateLimitedWithRetryAfter_WaitsExactlyThatLongOnTheClock()
    {
        await using var f = await ArtCoreFixture.CreateAsync(new ArtCoreSetup { Engine = new ReasoningEngineOptions { BaseBackoff = TimeSpan.FromMilliseconds(100) } }, Ct);
        await f.CreateThreadAsync("t", Thread("cloud-a", "cloud-b"), Ct);
        var a = f.Adapter("cloud-a").Enqueue(
            ScriptedResponse.Failure(ProviderErrorKind.RateLimited, "slow down", TimeSpan.FromSeconds(7)),
            ScriptedResponse.Text("after the wait"));

        var call = f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);
        await f.Signals!.WaitForTimerAsync(TimeSpan.FromSeconds(7), Wait);
        f.FakeTime!.Advance(TimeSpan.FromSeconds(6.9));
        await Task.Delay(50, Ct);
        Assert.Single(a.Requests);
        Assert.False(call.IsCompleted);
        f.FakeTime.Advance(TimeSpan.FromSeconds(0.1));

        var response = await call.WaitAsync(Wait, Ct);
        Assert.Equal(("after the wait", "cloud-a"), (response.Content, response.InstanceId));
        Assert.Equal(TimeSpan.FromSeconds(7), a.Requests[1].ReceivedAt - a.Requests[0].ReceivedAt);
        Assert.Empty(f.Adapter("cloud-b").Requests);
        var attempt = Assert.Single(await f.ObservationsAsync("t", ObservationType.ModelFallbackAttempt));
        Assert.Equal(7000, attempt.Content.GetProperty("delayMs").GetDouble());
        Assert.Equal("rate_limited", attempt.Content.GetProperty("failed").GetProperty("errorKind").GetString());
    }

    [Fact]
    public async Task CallAsync_AuthError_OpensCircuitSkipsInstanceThenHalfOpenProbeClosesIt()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        await f.CreateThreadAsync("t", Thread("cloud-a", "cloud-b") with
        {
            ModelPreferences = new ModelPreferences { FallbackInstances = ["cloud-b"], AllowCrossProviderFallback = false, DefaultInstanceId = "cloud-b" },
        }, Ct);
        var a = f.Adapter("cloud-a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.Auth, "bad key"), ScriptedResponse.Text("probe ok"), ScriptedResponse.Text("closed again"));
        var b = f.Adapter("cloud-b");
        b.DefaultResponse = ScriptedResponse.Text("from b");
        var options = new CallOptions { ThreadId = "t" };

        // 1. Auth: no retry, fallback at once, circuit open at once.
        var first = await f.Engine.CallAsync(Prompt, options, Ct);
        Assert.Equal(("cloud-b", 2), (first.InstanceId, first.Attempts));
        Assert.Single(a.Requests);
        Assert.Equal(CircuitState.Open, f.Health.GetState("cloud-a"));

        // 2. The router skips the open instance, says why, and the default instance answers.
        var second = await f.Engine.CallAsync(Prompt, options, Ct);
        Assert.Equal(("cloud-b", 1), (second.InstanceId, second.Attempts));
        Assert.Single(a.Requests);
        var decisions = (await f.ObservationsAsync("t", ObservationType.ModelRouteDecision)).Where(o => o.InstanceId == "cloud-b").ToList();
        var skipped = Assert.Single(decisions);
        Assert.StartsWith("default instance 'cloud-b'", skipped.Content.GetProperty("why").GetString(), StringComparison.Ordinal);
        Assert.Contains(
            skipped.Content.GetProperty("rejected").EnumerateArray(),
            r => r.GetProperty("instanceId").GetString() == "cloud-a" && r.GetProperty("reason").GetString()!.StartsWith("circuit open after repeated failures", StringComparison.Ordinal));

        // 3. After the cooldown one probe goes to the instance; its success closes the circuit.
        f.FakeTime!.Advance(f.Health.Options.Cooldown);
        Assert.Equal(CircuitState.HalfOpen, f.Health.GetState("cloud-a"));
        var probe = await f.Engine.CallAsync(Prompt, options, Ct);
        Assert.Equal(("cloud-a", "probe ok"), (probe.InstanceId, probe.Content));
        Assert.Equal(CircuitState.Closed, f.Health.GetState("cloud-a"));

        // 4. Closed: calls flow to the thread's instance again.
        var after = await f.Engine.CallAsync(Prompt, options, Ct);
        Assert.Equal(("cloud-a", "closed again"), (after.InstanceId, after.Content));
        Assert.Equal(3, a.Requests.Count);
        Assert.Equal(2, b.Requests.Count);
    }

    [Fact]
    public async Task CallAsync_ContextLengthExceeded_FallsBackOnlyToLargerWindow()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        await f.CreateThreadAsync("t", Thread("cloud-a", "local-1", "cloud-a2"), Ct);
        f.Adapter("cloud-a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.ContextLengthExceeded, "prompt too long"));
        var large = f.Adapter("cloud-a2").Enqueue(ScriptedResponse.Text("fits now"));
        using var events = f.RecordModelEvents("t");

        var response = await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);

        // local-1's lan-llama (8,192) is not larger than alpha-small (16,000): skipped without a request.
        Assert.Equal(("cloud-a2", "alpha-large", "fits now"), (response.InstanceId, response.ModelId, response.Content));
        Assert.Empty(f.Adapter("local-1").Requests);
        Assert.Single(large.Requests);
        var attempt = Assert.Single(events.OfType(ModelEventType.ModelFallbackAttempt));
        Assert.Equal("fallback_larger_context", attempt.Content.GetProperty("action").GetString());
        Assert.Equal("cloud-a2", attempt.InstanceId);

        // The instance is healthy: a request's own error does not count against it.
        Assert.Equal(CircuitState.Closed, f.Health.GetState("cloud-a"));
    }

    [Fact]
    public async Task CallAsync_ContextLengthExceededAndNoLargerWindow_SurfacesTheProviderError()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        await f.CreateThreadAsync("t", Thread("cloud-a", "local-1"), Ct);
        f.Adapter("cloud-a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.ContextLengthExceeded, "prompt too long"));

        var error = await Assert.ThrowsAsync<ProviderException>(() => f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct));

        Assert.Equal(ProviderErrorKind.ContextLengthExceeded, error.Kind);
        Assert.Empty(f.Adapter("local-1").Requests);
        var failed = Assert.Single(await f.ObservationsAsync("t", ObservationType.ModelFallbackFailed));
        Assert.Equal("context_length_exceeded", failed.Content.GetProperty("finalErrorKind").GetString());
    }

    [Fact]
    public async Task CallAsync_ContentFilter_DoesNotFallBack()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        await f.CreateThreadAsync("t", Thread("cloud-a", "cloud-b"), Ct);
        f.Adapter("cloud-a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.ContentFilter, "blocked by policy"));
        using var events = f.RecordModelEvents("t");

        var error = await Assert.ThrowsAsync<ProviderException>(() => f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct));

        Assert.Equal((ProviderErrorKind.ContentFilter, "cloud-a"), (error.Kind, error.InstanceId));
        Assert.Empty(f.Adapter("cloud-b").Requests);
        Assert.Equal([ModelEventType.ModelRouteDecision], events.Events.Select(e => e.Type));
        Assert.Equal(CircuitState.Closed, f.Health.GetState("cloud-a"));
        Assert.Equal(0m, (await f.Costs.GetThreadUsageAsync("t", Ct)).ReservedCost);
    }

    [Fact]
    public async Task CallAsync_StreamBreaksAfterFirstChunk_RaisesStreamInterruptedWithoutFallbackAndBillsUsage()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        await f.CreateThreadAsync("t", Thread("cloud-a", "cloud-b"), Ct);
        f.Adapter("cloud-a").Enqueue(ScriptedResponse.Text("Hel", "lo").Usage(2000, 1000).Fail(ProviderErrorKind.Transient, "connection reset"));
        var chunks = new List<string>();

        var error = await Assert.ThrowsAsync<StreamInterruptedException>(() => f.Engine.CallAsync(
            Prompt, new CallOptions { ThreadId = "t", OnChunk = c => chunks.Add(c.Content) }, Ct));

        Assert.Equal(("cloud-a", "alpha-small", "Hello", ProviderErrorKind.Transient), (error.InstanceId, error.ModelId, error.PartialContent, error.Kind));
        Assert.Equal(["Hel", "lo"], chunks);
        Assert.Empty(f.Adapter("cloud-b").Requests);

        // The usage reported before the break is billed: $1/M × 2000 + $2/M × 1000.
        var usage = await f.Costs.GetThreadUsageAsync("t", Ct);
        Assert.Equal((0.004m, 1, 2000L, 0m), (usage.Total.Cost, usage.Total.Calls, usage.Total.InputTokens, usage.ReservedCost));
    }
}
