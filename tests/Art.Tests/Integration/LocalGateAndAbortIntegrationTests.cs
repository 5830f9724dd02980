using System.Diagnostics;
using Art.Context;
using Art.Observation;
using Art.Reasoning;
using Art.Testing;

namespace Art.Tests.Integration;

/// <summary>The local host gate and abort-by-request-id through the real engine and instance manager.</summary>
public sealed class LocalGateAndAbortIntegrationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ThreadReasoningConfig Thread(string instance) => new()
    {
        InstanceId = instance,
        ModelPreferences = new ModelPreferences { AllowCrossProviderFallback = false },
    };

    [Fact]
    public async Task CallAsync_TwoCallsToOneLocalHost_RunOneAtATimeAndThirdTimesOutBusy()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        var time = f.FakeTime!;
        var start = time.GetUtcNow();
        await f.CreateThreadAsync("t1", Thread("local-1"), Ct);
        await f.CreateThreadAsync("t2", Thread("local-2"), Ct);
        var one = f.Adapter("local-1").Enqueue(ScriptedResponse.Create().Delay(TimeSpan.FromSeconds(20)).Content("one"), ScriptedResponse.Text("never"));
        var two = f.Adapter("local-2").Enqueue(ScriptedResponse.Create().Delay(TimeSpan.FromSeconds(20)).Content("two"));
        int ActiveOnHost() => one.ActiveStreams + two.ActiveStreams;

        // local-1 (127.0.0.1:11434) and local-2 (localhost:11434) are one host: one gate of width 1, FIFO.
        Assert.Equal(f.Instances.GetGateKey("local-1"), f.Instances.GetGateKey("local-2"));
        var first = f.Engine.CallAsync(ArtPrompt.FromUser("first"), new CallOptions { ThreadId = "t1" }, Ct);
        await f.Signals!.WaitForTimerAsync(TimeSpan.FromSeconds(20), Wait);
        var second = f.Engine.CallAsync(ArtPrompt.FromUser("second"), new CallOptions { ThreadId = "t2" }, Ct);
        await f.Signals.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(30), Wait, 1);
        var third = f.Engine.CallAsync(ArtPrompt.FromUser("third"), new CallOptions { ThreadId = "t1" }, Ct);
        await f.Signals.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(30), Wait, 2);

        Assert.Equal(1, ActiveOnHost());
        Assert.Empty(two.Requests);

        // The first call ends at t+20 s; only then does the second reach its provider.
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal("one", (await first.WaitAsync(Wait, Ct)).Content);
        await f.Signals.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(20), Wait, 2);
        Assert.Equal(1, ActiveOnHost());
        Assert.Equal(1, two.ActiveStreams);
        Assert.Equal(start + TimeSpan.FromSeconds(20), Assert.Single(two.Requests).ReceivedAt);

        // The third has waited 30 s behind the second (which runs until t+40 s): busy, never sent.
        time.Advance(TimeSpan.FromSeconds(10));
        var busy = await Assert.ThrowsAsync<LocalInstanceBusyException>(() => third.WaitAsync(Wait, Ct));
        Assert.Equal(("local-1", TimeSpan.FromSeconds(30)), (busy.InstanceId, busy.Waited));
        Assert.Single(one.Requests);
        Assert.False(second.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(("two", "local-2"), ((await second.WaitAsync(Wait, Ct)).Content, (await second).InstanceId));
        Assert.Equal(0, ActiveOnHost());
        Assert.Equal(0m, (await f.Costs.GetThreadUsageAsync("t1", Ct)).ReservedCost);
    }

    [Fact]
    public async Task AbortAsync_RunningCall_EndsPromptlyReleasesLeaseAndSettlesPartialUsage()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        await f.CreateThreadAsync("t", Thread("local-1"), Ct);
        var adapter = f.Adapter("local-1").Enqueue(
            ScriptedResponse.Create().Usage(40, 8).Content("partial ").HangUntilCancelled(),
            ScriptedResponse.Text("next").Usage(5, 1));
        var chunk = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var events = f.RecordModelEvents("t");

        var call = f.Engine.CallAsync(
            ArtPrompt.FromUser("long answer"),
            new CallOptions { ThreadId = "t", RequestId = "req-1", OnChunk = _ => chunk.TrySetResult() },
            Ct);
        await chunk.Task.WaitAsync(Wait, Ct);
        Assert.Equal(1, f.Engine.ActiveRequests);

        var clock = Stopwatch.StartNew();
        Assert.True(await f.Engine.AbortAsync("req-1"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Wait, Ct));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"abort took {clock.Elapsed}");
        Assert.Equal(0, f.Engine.ActiveRequests);
        Assert.Equal(0, adapter.ActiveStreams);
        Assert.False(await f.Engine.AbortAsync("req-1"));

        // The lease is back: the host's gate (width 1) grants a slot at once, without the fake clock moving.
        var lease = f.Instances.AcquireAsync("local-1", Ct);
        Assert.True(lease.IsCompletedSuccessfully);
        (await lease).Dispose();
        var next = await f.Engine.CallAsync(ArtPrompt.FromUser("again"), new CallOptions { ThreadId = "t" }, Ct).WaitAsync(Wait, Ct);
        Assert.Equal(("next", "local-1"), (next.Content, next.InstanceId));

        // The usage reported before the abort is in the ledger, next to the following call's.
        var usage = await f.Costs.GetThreadUsageAsync("t", Ct);
        Assert.Equal((2, 45L, 9L, 0m), (usage.Total.Calls, usage.Total.InputTokens, usage.Total.OutputTokens, usage.ReservedCost));

        // A cancelled call records no fallback observation: one route decision per call.
        Assert.Equal([ModelEventType.ModelRouteDecision, ModelEventType.ModelRouteDecision], events.Events.Select(e => e.Type));
    }

    [Fact]
    public async Task StreamAsync_AbortWhileWaitingForLocalSlot_LeavesQueueAndNothingIsSent()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        await f.CreateThreadAsync("t", Thread("local-1"), Ct);
        var adapter = f.Adapter("local-1").Enqueue(ScriptedResponse.Hang(), ScriptedResponse.Text("after"));

        var running = f.Engine.CallAsync(ArtPrompt.FromUser("one"), new CallOptions { ThreadId = "t", RequestId = "running" }, Ct);
        await WaitUntilAsync(() => adapter.ActiveStreams == 1);
        var queued = f.Engine.CallAsync(ArtPrompt.FromUser("two"), new CallOptions { ThreadId = "t", RequestId = "queued" }, Ct);
        await f.Signals!.WaitForTimerAsync(d => d == TimeSpan.FromSeconds(30), Wait, 1);

        Assert.True(await f.Engine.AbortAsync("queued"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued.WaitAsync(Wait, Ct));
        Assert.Single(adapter.Requests);

        Assert.True(await f.Engine.AbortAsync("running"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Wait, Ct));
        var after = await f.Engine.CallAsync(ArtPrompt.FromUser("three"), new CallOptions { ThreadId = "t" }, Ct).WaitAsync(Wait, Ct);
        Assert.Equal("after", after.Content);
        Assert.Equal(0m, (await f.Costs.GetThreadUsageAsync("t", Ct)).ReservedCost);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Wait);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
