using System.Text.Json;
using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Reasoning;
using Art.Storage;

namespace Art.Tests.Costs;

/// <summary>Exactly-once settle/release with bounded per-thread memory (no record of every reservation ever settled).</summary>
public sealed class CostTrackingMemoryTests
{
    private static readonly ModelPricing OnePerMillion = new() { InputPerMillion = 1m, OutputPerMillion = 1m };
    private static readonly TokenUsage Usage = new() { InputTokens = 1_000, OutputTokens = 0 };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CostReservationRequest Request(string thread = "t") => new()
    {
        ThreadId = thread,
        InstanceId = "inst",
        ModelId = "m",
        Pricing = OnePerMillion,
        EstimatedInputTokens = 1_000,
        MaxOutputTokens = 0,
    };

    [Fact]
    public async Task SettleAsync_TenThousandReservationsOnOneThread_RetainedBookkeepingStaysBounded()
    {
        var storage = new InMemoryStorageAdapter();
        var options = new CostTrackingOptions { RecentCompletionsPerThread = 64 };
        var tracker = new CostTrackingService(storage, options: options);

        CostReservation? firstReservation = null;
        CallCost? firstResult = null;
        for (var i = 0; i < 10_000; i++)
        {
            var r = await tracker.ReserveAsync(Request(), Ct);
            var cost = await tracker.SettleAsync(r, Usage with { OutputTokens = i }, cancellationToken: Ct);
            if (i == 0)
            {
                firstReservation = r;
                firstResult = cost;
            }

            Assert.True(tracker.RetainedReservationEntries("t") <= 64, $"retained {tracker.RetainedReservationEntries("t")} entries after {i + 1} settlements");
        }

        var half = await tracker.ReserveAsync(Request(), Ct);
        await tracker.ReleaseAsync(half, Ct);
        Assert.Equal(64, tracker.RetainedReservationEntries("t"));

        // The first reservation left the in-memory window long ago; the ledger still makes a repeat a no-op that
        // returns the first result, for the object and for a copy of it.
        Assert.Equal(firstResult, await tracker.SettleAsync(firstReservation!, Usage with { OutputTokens = 999_999 }, cancellationToken: Ct));
        Assert.Equal(firstResult, await tracker.SettleAsync(firstReservation! with { ReservedCost = 5m }, Usage, cancellationToken: Ct));
        await tracker.ReleaseAsync(firstReservation!, Ct);

        var totals = (await tracker.GetThreadUsageAsync("t", Ct)).Total;
        Assert.Equal(10_000, totals.Calls);
        Assert.Equal(10_000 * 1_000L + (9_999L * 10_000 / 2), totals.TotalTokens);
        Assert.Equal(0m, (await tracker.GetThreadUsageAsync("t", Ct)).ReservedCost);
        Assert.Equal(10_000, (await storage.QueryAsync<CostLedgerEntry>(CostLedgerEntry.Collection, cancellationToken: Ct)).Count);
    }

    [Fact]
    public async Task SettleAndRelease_CopiesOfReservation_AreRecognisedById()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter());
        var settled = await tracker.ReserveAsync(Request(), Ct);
        var first = await tracker.SettleAsync(settled, Usage, cancellationToken: Ct);

        var roundTripped = JsonSerializer.Deserialize<CostReservation>(JsonSerializer.Serialize(settled))!;
        Assert.NotSame(settled, roundTripped);
        Assert.Equal(first, await tracker.SettleAsync(roundTripped, Usage with { OutputTokens = 5 }, cancellationToken: Ct));
        Assert.Equal(first, await tracker.SettleAsync(settled with { }, Usage with { OutputTokens = 7 }, cancellationToken: Ct));

        var released = await tracker.ReserveAsync(Request(), Ct);
        await tracker.ReleaseAsync(released with { }, Ct);
        await tracker.SettleAsync(released, Usage, cancellationToken: Ct);

        var usage = await tracker.GetThreadUsageAsync("t", Ct);
        Assert.Equal(1, usage.Total.Calls);
        Assert.Equal(0.001m, usage.Total.Cost);
        Assert.Equal(0m, usage.ReservedCost);
    }

    [Fact]
    public async Task SettleAsync_SameReservationAfterRestart_ReturnsLedgerResultWithoutCountingAgain()
    {
        var storage = new InMemoryStorageAdapter();
        var before = new CostTrackingService(storage);
        var r = await before.ReserveAsync(Request(), Ct);
        var first = await before.SettleAsync(r, Usage, providerCost: 0.5m, cancellationToken: Ct);

        var after = new CostTrackingService(storage);
        var again = await after.SettleAsync(r, Usage with { OutputTokens = 1_000 }, cancellationToken: Ct);

        Assert.Equal(first, again);
        Assert.True(again.FromProvider);
        var usage = await after.GetThreadUsageAsync("t", Ct);
        Assert.Equal(1, usage.Total.Calls);
        Assert.Equal(0.5m, usage.Total.Cost);
    }

    [Fact]
    public async Task SettleAsync_WithoutRecentWindow_StillExactlyOnce()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter(), options: new CostTrackingOptions { RecentCompletionsPerThread = 0 });
        var r = await tracker.ReserveAsync(Request(), Ct);
        var first = await tracker.SettleAsync(r, Usage, cancellationToken: Ct);
        Assert.Equal(first, await tracker.SettleAsync(r, Usage with { OutputTokens = 9 }, cancellationToken: Ct));
        Assert.Equal(0, tracker.RetainedReservationEntries("t"));
        Assert.Equal(1, (await tracker.GetThreadUsageAsync("t", Ct)).Total.Calls);
    }

    [Fact]
    public async Task SettleAsync_LedgerWriteFailedAndOutOfRecentWindow_StillNotCountedTwice()
    {
        var storage = new FailingWritesStorage();
        var tracker = new CostTrackingService(storage, options: new CostTrackingOptions { RecentCompletionsPerThread = 1 });
        var failed = await tracker.ReserveAsync(Request(), Ct);
        storage.FailWrites = true;
        await Assert.ThrowsAsync<IOException>(async () => await tracker.SettleAsync(failed, Usage, cancellationToken: Ct));
        storage.FailWrites = false;

        for (var i = 0; i < 3; i++)
        {
            await tracker.SettleAsync(await tracker.ReserveAsync(Request(), Ct), Usage, cancellationToken: Ct);
        }

        var again = await tracker.SettleAsync(failed, Usage with { OutputTokens = 50 }, cancellationToken: Ct);
        Assert.Equal(Usage, again.Usage);
        Assert.Equal(4, (await tracker.GetThreadUsageAsync("t", Ct)).Total.Calls);
        Assert.Equal(2, tracker.RetainedReservationEntries("t"));
    }

    [Fact]
    public async Task ConcurrentDoubleSettle_SameReservation_CountsOnce()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter(), options: new CostTrackingOptions { RecentCompletionsPerThread = 0 });
        var reservations = new List<CostReservation>();
        for (var i = 0; i < 50; i++)
        {
            reservations.Add(await tracker.ReserveAsync(Request(), Ct));
        }

        var settles = reservations.SelectMany(r => new[] { r, r with { } })
            .Select(r => Task.Run(async () => await tracker.SettleAsync(r, Usage), Ct));
        await Task.WhenAll(settles).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        var usage = await tracker.GetThreadUsageAsync("t", Ct);
        Assert.Equal(50, usage.Total.Calls);
        Assert.Equal(0m, usage.ReservedCost);
    }

    [Fact]
    public void Constructor_NegativeRecentWindow_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new CostTrackingService(new InMemoryStorageAdapter(), options: new CostTrackingOptions { RecentCompletionsPerThread = -1 }));
    }
}

/// <summary>Idle thread states are dropped and rebuilt from the ledger with the same totals and limits.</summary>
public sealed class CostTrackingEvictionTests
{
    private static readonly ModelPricing OnePerMillion = new() { InputPerMillion = 1m, OutputPerMillion = 1m };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CostReservationRequest Request(string thread, CostPreferences? prefs = null, long input = 1_000_000) => new()
    {
        ThreadId = thread,
        InstanceId = "inst",
        ModelId = "m",
        Pricing = OnePerMillion,
        Preferences = prefs,
        EstimatedInputTokens = input,
        MaxOutputTokens = 0,
    };

    [Fact]
    public async Task ReserveAsync_AfterIdleEviction_ReloadsIdenticalTotalsAndStillEnforcesLimit()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var storage = new InMemoryStorageAdapter();
        var tracker = new CostTrackingService(storage, options: new CostTrackingOptions { IdleThreadEviction = TimeSpan.FromMinutes(10) }, timeProvider: time);
        var limit = new CostPreferences { MaxCostPerThread = 2.5m };

        var first = await tracker.ReserveAsync(Request("t", limit), Ct);
        var firstCost = await tracker.SettleAsync(first, new TokenUsage { InputTokens = 1_000_000 }, cancellationToken: Ct);
        await tracker.SettleAsync(await tracker.ReserveAsync(Request("t", limit), Ct), new TokenUsage { InputTokens = 1_000_000, CachedInputTokens = 10 }, cancellationToken: Ct);
        var released = await tracker.ReserveAsync(Request("t", limit, input: 100), Ct);
        await tracker.ReleaseAsync(released, Ct);
        var busy = await tracker.ReserveAsync(Request("busy", input: 10), Ct);
        var expected = await tracker.GetThreadUsageAsync("t", Ct);

        time.Advance(TimeSpan.FromMinutes(11));
        await tracker.ReleaseAsync(await tracker.ReserveAsync(Request("other", input: 1), Ct), Ct);
        Assert.False(tracker.IsThreadResident("t"));
        Assert.True(tracker.IsThreadResident("busy")); // a reservation in flight pins its thread

        var reloaded = await tracker.GetThreadUsageAsync("t", Ct);
        Assert.True(tracker.IsThreadResident("t"));
        Assert.Equal(expected.Total, reloaded.Total);
        Assert.Equal(expected.ByInstance["inst"], reloaded.ByInstance["inst"]);
        Assert.Equal(expected.ByModel["inst/m"], reloaded.ByModel["inst/m"]);
        Assert.Equal(2m, reloaded.Total.Cost);

        var ex = await Assert.ThrowsAsync<BudgetExceededException>(async () => await tracker.ReserveAsync(Request("t", limit), Ct));
        Assert.Equal(2m, ex.Committed);
        Assert.Equal(firstCost, await tracker.SettleAsync(first, new TokenUsage { InputTokens = 5 }, cancellationToken: Ct));
        Assert.Equal(2, (await tracker.GetThreadUsageAsync("t", Ct)).Total.Calls);

        await tracker.SettleAsync(busy, new TokenUsage { InputTokens = 10 }, cancellationToken: Ct);
        Assert.Equal(0m, (await tracker.GetThreadUsageAsync("busy", Ct)).ReservedCost);
    }

    [Fact]
    public async Task ConcurrentCallsDuringEviction_HardLimitHoldsAndNothingIsLost()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var storage = new InMemoryStorageAdapter();
        var tracker = new CostTrackingService(storage, options: new CostTrackingOptions { IdleThreadEviction = TimeSpan.FromMinutes(1) }, timeProvider: time);
        var limit = new CostPreferences { MaxCostPerThread = 200m };
        var settled = 0;

        // At least 320 attempts of 1 USD against a 200 USD limit, while an evictor keeps making the thread look idle and
        // sweeping, so states are dropped and rebuilt from the ledger between (and while waiting for) calls.
        var workers = Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            // 40 attempts each, and on (bounded) until the evictor has dropped the state several times mid-run. The short
            // real pauses leave moments when no worker holds the thread, which is when eviction may take it.
            for (var i = 0; i < 3_000 && (i < 40 || tracker.EvictedThreadStates < 5); i++)
            {
                await Task.Delay(1, Ct);
                try
                {
                    var r = await tracker.ReserveAsync(Request("t", limit), Ct);
                    await Task.Yield();
                    await tracker.SettleAsync(r, new TokenUsage { InputTokens = 1_000_000 }, cancellationToken: Ct);
                    Interlocked.Increment(ref settled);
                }
                catch (BudgetExceededException)
                {
                }

                _ = await tracker.GetThreadUsageAsync("t", Ct);
            }
        }, Ct)));
        var evictor = Task.Run(async () =>
        {
            while (!workers.IsCompleted)
            {
                time.Advance(TimeSpan.FromMinutes(2));
                await tracker.ReleaseAsync(await tracker.ReserveAsync(Request("t", limit, input: 0), Ct), Ct);
            }
        }, Ct);
        await Task.WhenAll(workers, evictor).WaitAsync(TimeSpan.FromSeconds(120), Ct);

        var usage = await new CostTrackingService(storage).GetThreadUsageAsync("t", Ct);
        Assert.InRange(settled, 1, 200);
        Assert.Equal(settled, usage.Total.Calls);
        Assert.Equal(settled, usage.Total.Cost);
        var live = await tracker.GetThreadUsageAsync("t", Ct);
        Assert.Equal(usage.Total, live.Total);
        Assert.Equal(0m, live.ReservedCost);
        Assert.True(tracker.EvictedThreadStates >= 5, $"only {tracker.EvictedThreadStates} evictions: the test did not exercise eviction under load");
    }

    [Fact]
    public void Constructor_NonPositiveIdleEviction_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new CostTrackingService(new InMemoryStorageAdapter(), options: new CostTrackingOptions { IdleThreadEviction = TimeSpan.Zero }));
    }
}
