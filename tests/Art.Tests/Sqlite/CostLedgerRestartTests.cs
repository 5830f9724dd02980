using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Reasoning;
using Art.Sqlite;

namespace Art.Tests.Sqlite;

/// <summary>The cost ledger survives a restart: a new storage and tracker on the same SQLite file see every total.</summary>
public sealed class CostLedgerRestartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("art-cost-").FullName;

    [Fact]
    public async Task Totals_AfterReopeningTheDatabase_AreIdenticalAndBudgetStillHolds()
    {
        var path = Path.Combine(_dir, "art.db");
        var pricing = new ModelPricing { InputPerMillion = 2m, OutputPerMillion = 8m };
        var limit = new CostPreferences { MaxCostPerThread = 0.02m };
        ThreadUsage before;
        await using (var storage = new SqliteStorageAdapter(path))
        {
            var tracker = new CostTrackingService(storage);
            foreach (var (instance, model) in new[] { ("a", "m1"), ("a", "m2"), ("b", "m1") })
            {
                var reservation = await tracker.ReserveAsync(new CostReservationRequest
                {
                    ThreadId = "t1", InstanceId = instance, ModelId = model, Pricing = pricing, Preferences = limit, EstimatedInputTokens = 100, MaxOutputTokens = 100,
                });
                await tracker.SettleAsync(reservation, new TokenUsage { InputTokens = 1000, OutputTokens = 500 });
            }

            var unknown = await tracker.ReserveAsync(new CostReservationRequest { ThreadId = "t1", InstanceId = "c", ModelId = "x", EstimatedInputTokens = 10, MaxOutputTokens = 10 });
            await tracker.SettleAsync(unknown, new TokenUsage { InputTokens = 10, OutputTokens = 10 });
            before = await tracker.GetThreadUsageAsync("t1");
        }

        await using (var reopened = new SqliteStorageAdapter(path))
        {
            var tracker = new CostTrackingService(reopened);
            var after = await tracker.GetThreadUsageAsync("t1");

            // 3 calls × (1000×2 + 500×8) µ$ = 0.018 USD; the unknown-price call is counted apart.
            Assert.Equal(0.018m, after.Total.Cost);
            Assert.Equal(before.Total, after.Total);
            Assert.Equal(1, after.Total.UnknownCostCalls);
            Assert.Equal(4, after.Total.Calls);
            Assert.Equal(0.012m, after.ByInstance["a"].Cost);
            Assert.Equal(0.006m, after.ByModel["b/m1"].Cost);

            // The restored total still counts against the hard limit: 0.018 + a 0.004 estimate > 0.02.
            await Assert.ThrowsAsync<BudgetExceededException>(async () => await tracker.ReserveAsync(new CostReservationRequest
            {
                ThreadId = "t1", InstanceId = "a", ModelId = "m1", Pricing = pricing, Preferences = limit, EstimatedInputTokens = 1000, MaxOutputTokens = 250,
            }));
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
