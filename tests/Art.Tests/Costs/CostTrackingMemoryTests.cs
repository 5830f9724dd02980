using System.Text.Json;
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
        var storage = new SwitchableStorage();
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

    private sealed class SwitchableStorage : IStorageAdapter
    {
        private readonly InMemoryStorageAdapter _inner = new();

        public bool FailWrites { get; set; }

        public Task<JsonElement?> GetAsync(string collection, string id, CancellationToken cancellationToken = default) => _inner.GetAsync(collection, id, cancellationToken);

        public Task SetAsync(string collection, string id, JsonElement document, CancellationToken cancellationToken = default) =>
            FailWrites ? throw new IOException("disk full") : _inner.SetAsync(collection, id, document, cancellationToken);

        public Task DeleteAsync(string collection, string id, CancellationToken cancellationToken = default) => _inner.DeleteAsync(collection, id, cancellationToken);

        public Task<IReadOnlyList<JsonElement>> QueryAsync(string collection, FilterOptions? filter = null, CancellationToken cancellationToken = default) => _inner.QueryAsync(collection, filter, cancellationToken);

        public Task WriteBatchAsync(IReadOnlyList<StorageWrite> writes, CancellationToken cancellationToken = default) => _inner.WriteBatchAsync(writes, cancellationToken);

        public Task ClearAsync(string? collection = null, CancellationToken cancellationToken = default) => _inner.ClearAsync(collection, cancellationToken);

        public ValueTask DisposeAsync() => _inner.DisposeAsync();
    }
}
