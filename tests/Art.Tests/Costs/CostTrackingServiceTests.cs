using System.Text.Json;
using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Storage;
using Art.Testing;

namespace Art.Tests.Costs;

public sealed class CostTrackingServiceTests
{
    private static readonly ModelPricing Gpt4o = new() { InputPerMillion = 2.50m, CachedInputPerMillion = 1.25m, OutputPerMillion = 10m };
    private static readonly ModelPricing ClaudeSonnet = new() { InputPerMillion = 3m, CachedInputPerMillion = 0.30m, CacheWritePerMillion = 3.75m, OutputPerMillion = 15m };
    private static readonly ModelPricing O3Mini = new() { InputPerMillion = 1.10m, OutputPerMillion = 4.40m };
    private static readonly ModelPricing ReasoningApart = new() { InputPerMillion = 1m, OutputPerMillion = 2m, ReasoningPerMillion = 3m };
    private static readonly ModelPricing DeepSeekChat = new() { InputPerMillion = 0.27m, CachedInputPerMillion = 0.07m, OutputPerMillion = 1.10m };
    private static readonly ModelPricing OnePerMillion = new() { InputPerMillion = 1m, OutputPerMillion = 1m };

    private static CostReservationRequest Request(string thread, ModelPricing? pricing, CostPreferences? prefs = null, long input = 1000, long maxOut = 1000, string instance = "inst", string model = "m") =>
        new() { ThreadId = thread, InstanceId = instance, ModelId = model, Pricing = pricing, Preferences = prefs, EstimatedInputTokens = input, MaxOutputTokens = maxOut, TraceId = "trace-1", RequestId = "req-1" };

    public static TheoryData<string, ModelPricing?, TokenUsage, decimal?> GoldenCases() => new()
    {
        // OpenAI: prompt_tokens 1000 include 600 cached: 400*2.50 + 600*1.25 + 200*10 = 3750 µ$.
        { "openai-cached", Gpt4o, new TokenUsage { InputTokens = 1000, CachedInputTokens = 600, OutputTokens = 200 }, 0.00375m },

        // Anthropic: input_tokens 100 (excl.), cache_read 2000, cache_creation 500 normalised into input 2600:
        // 100*3 + 2000*0.30 + 500*3.75 + 300*15 = 7275 µ$.
        { "anthropic-cache", ClaudeSonnet, new TokenUsage { InputTokens = 2600, CachedInputTokens = 2000, CacheWriteTokens = 500, OutputTokens = 300 }, 0.007275m },

        // Reasoning at the output price: 1000*1.10 + 3000*4.40 = 14300 µ$.
        { "reasoning-output-price", O3Mini, new TokenUsage { InputTokens = 1000, OutputTokens = 3000, ReasoningTokens = 2500 }, 0.0143m },

        // Reasoning priced apart: 1000*1 + 100*2 + 400*3 = 2400 µ$.
        { "reasoning-own-price", ReasoningApart, new TokenUsage { InputTokens = 1000, OutputTokens = 500, ReasoningTokens = 400 }, 0.0024m },

        // DeepSeek: cache miss 200 at 0.27, hit 800 at 0.07, output 100 at 1.10 = 54 + 56 + 110 = 220 µ$.
        { "deepseek-hit-miss", DeepSeekChat, new TokenUsage { InputTokens = 1000, CachedInputTokens = 800, OutputTokens = 100 }, 0.00022m },

        // Missing price: unknown, never zero.
        { "missing-price", null, new TokenUsage { InputTokens = 1000, OutputTokens = 100 }, null },
        { "missing-output-price", new ModelPricing { InputPerMillion = 1m }, new TokenUsage { InputTokens = 1000, OutputTokens = 100 }, null },
    };

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public async Task SettleAsync_GoldenUsage_WritesExactCostToLedgerAndTotals(string thread, ModelPricing? pricing, TokenUsage usage, decimal? expected)
    {
        var storage = new InMemoryStorageAdapter();
        var tracker = new CostTrackingService(storage);
        Assert.Equal(expected, tracker.CalculateCost(pricing, usage));

        var reservation = await tracker.ReserveAsync(Request(thread, pricing, input: usage.InputTokens, maxOut: usage.OutputTokens), TestContext.Current.CancellationToken);
        var cost = await tracker.SettleAsync(reservation, usage, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(expected, cost.Cost);
        Assert.False(cost.FromProvider);
        var entries = await storage.QueryAsync<CostLedgerEntry>(CostLedgerEntry.Collection, cancellationToken: TestContext.Current.CancellationToken);
        var entry = Assert.Single(entries);
        Assert.Equal(expected, entry.Cost);
        Assert.Equal(thread, entry.ThreadId);
        Assert.Equal(usage.CachedInputTokens, entry.CachedInputTokens);
        Assert.Equal(usage.CacheWriteTokens, entry.CacheWriteTokens);
        Assert.Equal(usage.ReasoningTokens, entry.ReasoningTokens);
        Assert.Equal("trace-1", entry.TraceId);
        Assert.Equal("req-1", entry.RequestId);

        var totals = await tracker.GetThreadUsageAsync(thread, TestContext.Current.CancellationToken);
        Assert.Equal(expected ?? 0m, totals.Total.Cost);
        Assert.Equal(expected is null ? 1 : 0, totals.Total.UnknownCostCalls);
        Assert.Equal(1, totals.Total.Calls);
        Assert.Equal(usage.TotalTokens, totals.Total.TotalTokens);
    }

    [Fact]
    public async Task SettleAsync_LedgerDocument_HasNullCostFieldOmittedWhenUnknown()
    {
        var storage = new InMemoryStorageAdapter();
        var tracker = new CostTrackingService(storage);
        var r = await tracker.ReserveAsync(Request("t", null), TestContext.Current.CancellationToken);
        await tracker.SettleAsync(r, new TokenUsage { InputTokens = 5, OutputTokens = 5 }, cancellationToken: TestContext.Current.CancellationToken);

        var doc = Assert.Single(await storage.QueryAsync(CostLedgerEntry.Collection, cancellationToken: TestContext.Current.CancellationToken));
        Assert.False(doc.TryGetProperty("cost", out _));
        Assert.Equal(r.Id, doc.GetProperty("id").GetString());
        Assert.Equal("inst", doc.GetProperty("instanceId").GetString());
        Assert.Equal("m", doc.GetProperty("modelId").GetString());
        Assert.False(doc.GetProperty("fromProvider").GetBoolean());
    }

    [Fact]
    public async Task SettleAsync_ProviderCostGiven_WinsOverPriceTable()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter());
        var r = await tracker.ReserveAsync(Request("t", Gpt4o), TestContext.Current.CancellationToken);
        var cost = await tracker.SettleAsync(r, new TokenUsage { InputTokens = 1000, OutputTokens = 200 }, providerCost: 0.0042m, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(0.0042m, cost.Cost);
        Assert.True(cost.FromProvider);
        Assert.Equal(0.0042m, (await tracker.GetThreadUsageAsync("t", TestContext.Current.CancellationToken)).Total.Cost);
    }

    [Fact]
    public async Task SettleAsync_UnknownPriceButProviderCost_IsKnown()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter());
        var r = await tracker.ReserveAsync(Request("t", null), TestContext.Current.CancellationToken);
        var cost = await tracker.SettleAsync(r, new TokenUsage { InputTokens = 10, OutputTokens = 10 }, providerCost: 0.001m, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(0.001m, cost.Cost);
        var usage = await tracker.GetThreadUsageAsync("t", TestContext.Current.CancellationToken);
        Assert.Equal(0, usage.Total.UnknownCostCalls);
        Assert.Equal(0.001m, usage.Total.Cost);
    }

    [Fact]
    public async Task GetThreadUsageAsync_SeveralInstancesAndModels_BreaksDownByInstanceAndModel()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter());
        var usage = new TokenUsage { InputTokens = 1_000_000, OutputTokens = 0 };
        await tracker.SettleAsync(await tracker.ReserveAsync(Request("t", OnePerMillion, instance: "a", model: "x"), TestContext.Current.CancellationToken), usage, cancellationToken: TestContext.Current.CancellationToken);
        await tracker.SettleAsync(await tracker.ReserveAsync(Request("t", OnePerMillion, instance: "a", model: "y"), TestContext.Current.CancellationToken), usage, cancellationToken: TestContext.Current.CancellationToken);
        await tracker.SettleAsync(await tracker.ReserveAsync(Request("t", null, instance: "b", model: "x"), TestContext.Current.CancellationToken), usage, cancellationToken: TestContext.Current.CancellationToken);
        await tracker.SettleAsync(await tracker.ReserveAsync(Request("other", OnePerMillion, instance: "a", model: "x"), TestContext.Current.CancellationToken), usage, cancellationToken: TestContext.Current.CancellationToken);

        var t = await tracker.GetThreadUsageAsync("t", TestContext.Current.CancellationToken);
        Assert.Equal(2m, t.Total.Cost);
        Assert.Equal(3, t.Total.Calls);
        Assert.Equal(1, t.Total.UnknownCostCalls);
        Assert.Equal(2m, t.ByInstance["a"].Cost);
        Assert.Equal(2, t.ByInstance["a"].Calls);
        Assert.Equal(1, t.ByInstance["b"].UnknownCostCalls);
        Assert.Equal(1m, t.ByModel["a/x"].Cost);
        Assert.Equal(1m, t.ByModel["a/y"].Cost);
        Assert.Equal(0m, t.ByModel["b/x"].Cost);
        Assert.Equal(3, t.ByModel.Count);

        var all = await tracker.GetAllUsageAsync(TestContext.Current.CancellationToken);
        Assert.Equal(["other", "t"], all.Select(u => u.ThreadId));
        Assert.Equal(1m, all[0].Total.Cost);
    }

    [Fact]
    public async Task ReserveAsync_WouldCrossThreadLimit_RefusesAndRecordsLimitObservation()
    {
        var observations = new CollectingObservationManager();
        var tracker = new CostTrackingService(new InMemoryStorageAdapter(), observations);
        var prefs = new CostPreferences { MaxCostPerThread = 0.05m };

        // Each call reserves (10k + 20k) * 1 $/M = 0.03.
        var first = await tracker.ReserveAsync(Request("t", OnePerMillion, prefs, input: 10_000, maxOut: 20_000), TestContext.Current.CancellationToken);
        Assert.Equal(0.03m, first.ReservedCost);
        Assert.Equal(30_000, first.ReservedTokens);

        var ex = await Assert.ThrowsAsync<BudgetExceededException>(async () =>
            await tracker.ReserveAsync(Request("t", OnePerMillion, prefs, input: 10_000, maxOut: 20_000), TestContext.Current.CancellationToken));
        Assert.Equal(BudgetLimitKind.CostPerThread, ex.LimitKind);
        Assert.Equal(0.05m, ex.Limit);
        Assert.Equal(0.03m, ex.Committed);
        Assert.Equal(0.03m, ex.Requested);
        Assert.False(ex.PriceUnknown);

        var obs = Assert.Single(observations.Recorded);
        Assert.Equal(ObservationType.CostLimitReached, obs.Type);
        Assert.Equal("t", obs.ThreadId);
        Assert.Equal("inst", obs.InstanceId);
        Assert.Equal("m", obs.ModelId);
        Assert.Equal("cost_per_thread", obs.Content.GetProperty("limitKind").GetString());
        Assert.Equal(0.05m, obs.Content.GetProperty("limit").GetDecimal());
        Assert.Equal(0.03m, obs.Content.GetProperty("committed").GetDecimal());
        Assert.Equal(0.03m, obs.Content.GetProperty("requested").GetDecimal());
        Assert.Equal("t", obs.Content.GetProperty("threadId").GetString());

        // Settling below the estimate frees budget: 0.01 settled, so a 0.03 call now fits (0.04 <= 0.05).
        await tracker.SettleAsync(first, new TokenUsage { InputTokens = 10_000, OutputTokens = 0 }, cancellationToken: TestContext.Current.CancellationToken);
        var second = await tracker.ReserveAsync(Request("t", OnePerMillion, prefs, input: 10_000, maxOut: 20_000), TestContext.Current.CancellationToken);
        Assert.Equal(0.03m, (await tracker.GetThreadUsageAsync("t", TestContext.Current.CancellationToken)).ReservedCost);
        await tracker.ReleaseAsync(second, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ReserveAsync_PerCallLimit_ChecksEstimateAlone()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter(), new CollectingObservationManager());
        var prefs = new CostPreferences { MaxCostPerCall = 0.02m };

        var ok = await tracker.ReserveAsync(Request("t", OnePerMillion, prefs, input: 10_000, maxOut: 10_000), TestContext.Current.CancellationToken);
        var ok2 = await tracker.ReserveAsync(Request("t", OnePerMillion, prefs, input: 10_000, maxOut: 10_000), TestContext.Current.CancellationToken);
        var ex = await Assert.ThrowsAsync<BudgetExceededException>(async () =>
            await tracker.ReserveAsync(Request("t", OnePerMillion, prefs, input: 10_000, maxOut: 10_001), TestContext.Current.CancellationToken));
        Assert.Equal(BudgetLimitKind.CostPerCall, ex.LimitKind);
        Assert.Equal(0.020001m, ex.Requested);
        await tracker.ReleaseAsync(ok, TestContext.Current.CancellationToken);
        await tracker.ReleaseAsync(ok2, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ReserveAsync_EstimateUsesWorstOfCacheWriteAndReasoningPrices()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter());
        var r1 = await tracker.ReserveAsync(Request("t", ClaudeSonnet, input: 1_000_000, maxOut: 0), TestContext.Current.CancellationToken);
        Assert.Equal(3.75m, r1.ReservedCost);
        var r2 = await tracker.ReserveAsync(Request("t", ReasoningApart, input: 0, maxOut: 1_000_000), TestContext.Current.CancellationToken);
        Assert.Equal(3m, r2.ReservedCost);
    }

    [Fact]
    public async Task ReserveAsync_TokenLimits_AppliedEvenWhenPriceUnknown()
    {
        var observations = new CollectingObservationManager();
        var tracker = new CostTrackingService(new InMemoryStorageAdapter(), observations);
        var prefs = new CostPreferences { MaxTokensPerCall = 1_500, MaxTokensPerThread = 3_000 };

        var perCall = await Assert.ThrowsAsync<BudgetExceededException>(async () =>
            await tracker.ReserveAsync(Request("t", null, prefs, input: 1000, maxOut: 501), TestContext.Current.CancellationToken));
        Assert.Equal(BudgetLimitKind.TokensPerCall, perCall.LimitKind);
        Assert.Equal(1501m, perCall.Requested);

        var a = await tracker.ReserveAsync(Request("t", null, prefs, input: 1000, maxOut: 500), TestContext.Current.CancellationToken);
        await tracker.SettleAsync(a, new TokenUsage { InputTokens = 1000, OutputTokens = 400 }, cancellationToken: TestContext.Current.CancellationToken);
        var b = await tracker.ReserveAsync(Request("t", null, prefs, input: 1000, maxOut: 500), TestContext.Current.CancellationToken);
        var perThread = await Assert.ThrowsAsync<BudgetExceededException>(async () =>
            await tracker.ReserveAsync(Request("t", null, prefs, input: 100, maxOut: 1), TestContext.Current.CancellationToken));
        Assert.Equal(BudgetLimitKind.TokensPerThread, perThread.LimitKind);
        Assert.Equal(2900m, perThread.Committed);
        Assert.Equal(101m, perThread.Requested);
        await tracker.ReleaseAsync(b, TestContext.Current.CancellationToken);
        Assert.Equal(2, observations.OfType(ObservationType.CostLimitReached).Count);
    }

    [Fact]
    public async Task ReserveAsync_UnknownPriceWithCostLimit_RefusedByDefault()
    {
        var observations = new CollectingObservationManager();
        var tracker = new CostTrackingService(new InMemoryStorageAdapter(), observations);
        var ex = await Assert.ThrowsAsync<BudgetExceededException>(async () =>
            await tracker.ReserveAsync(Request("t", null, new CostPreferences { MaxCostPerThread = 1m }), TestContext.Current.CancellationToken));
        Assert.True(ex.PriceUnknown);
        Assert.Equal(BudgetLimitKind.CostPerThread, ex.LimitKind);
        Assert.Contains("inst/m", ex.Message, StringComparison.Ordinal);
        var obs = Assert.Single(observations.Recorded);
        Assert.True(obs.Content.GetProperty("priceUnknown").GetBoolean());
    }

    [Fact]
    public async Task ReserveAsync_UnknownPriceWithCostLimitAllowed_ReservesZeroAndReportsUnknown()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter(), options: new CostTrackingOptions { AllowUnknownPriceUnderCostLimit = true });
        var r = await tracker.ReserveAsync(Request("t", null, new CostPreferences { MaxCostPerThread = 1m }), TestContext.Current.CancellationToken);
        Assert.Equal(0m, r.ReservedCost);
        var cost = await tracker.SettleAsync(r, new TokenUsage { InputTokens = 1, OutputTokens = 1 }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Null(cost.Cost);
        Assert.Equal(1, (await tracker.GetThreadUsageAsync("t", TestContext.Current.CancellationToken)).Total.UnknownCostCalls);
    }

    [Fact]
    public async Task ReserveAsync_UnknownPriceWithoutCostLimit_Allowed()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter());
        var r = await tracker.ReserveAsync(Request("t", null, new CostPreferences { MaxTokensPerThread = 10_000 }), TestContext.Current.CancellationToken);
        Assert.Equal(0m, r.ReservedCost);
        await tracker.ReleaseAsync(r, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task SettleAndRelease_SecondCall_IsNoOp()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter());
        var usage = new TokenUsage { InputTokens = 1_000_000, OutputTokens = 0 };
        var r = await tracker.ReserveAsync(Request("t", OnePerMillion, input: 1_000_000, maxOut: 1_000_000), TestContext.Current.CancellationToken);
        Assert.Equal(2m, (await tracker.GetThreadUsageAsync("t", TestContext.Current.CancellationToken)).ReservedCost);

        var first = await tracker.SettleAsync(r, usage, cancellationToken: TestContext.Current.CancellationToken);
        var second = await tracker.SettleAsync(r, usage, cancellationToken: TestContext.Current.CancellationToken);
        await tracker.ReleaseAsync(r, TestContext.Current.CancellationToken);
        Assert.Equal(first, second);

        var totals = await tracker.GetThreadUsageAsync("t", TestContext.Current.CancellationToken);
        Assert.Equal(1m, totals.Total.Cost);
        Assert.Equal(1, totals.Total.Calls);
        Assert.Equal(0m, totals.ReservedCost);

        var released = await tracker.ReserveAsync(Request("t", OnePerMillion, input: 1_000_000, maxOut: 0), TestContext.Current.CancellationToken);
        await tracker.ReleaseAsync(released, TestContext.Current.CancellationToken);
        await tracker.ReleaseAsync(released, TestContext.Current.CancellationToken);
        await tracker.SettleAsync(released, usage, cancellationToken: TestContext.Current.CancellationToken);
        totals = await tracker.GetThreadUsageAsync("t", TestContext.Current.CancellationToken);
        Assert.Equal(1m, totals.Total.Cost);
        Assert.Equal(1, totals.Total.Calls);
        Assert.Equal(0m, totals.ReservedCost);
    }

    [Fact]
    public async Task ConcurrentCycles_HardThreadLimit_NeverOvershootsAndLeavesNoReservation()
    {
        var storage = new InMemoryStorageAdapter();
        var observations = new CollectingObservationManager();
        var tracker = new CostTrackingService(storage, observations);
        var prefs = new CostPreferences { MaxCostPerThread = 1.00m, MaxTokensPerThread = 100_000_000 };
        var settled = 0;
        var refused = 0;
        var released = 0;
        var cancelled = 0;
        using var start = new ManualResetEventSlim(false);

        var tasks = Enumerable.Range(0, 50).Select(i => Task.Run(async () =>
        {
            start.Wait(TestContext.Current.CancellationToken);
            using var cts = new CancellationTokenSource();
            if (i % 10 == 9)
            {
                await cts.CancelAsync();
            }

            CostReservation reservation;
            try
            {
                // Reserves (10k + 90k) * 1 $/M = 0.10 per call.
                reservation = await tracker.ReserveAsync(Request("t", OnePerMillion, prefs, input: 10_000, maxOut: 90_000), cts.Token);
            }
            catch (BudgetExceededException)
            {
                Interlocked.Increment(ref refused);
                return;
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref cancelled);
                return;
            }

            try
            {
                await Task.Yield();
                await Task.Delay(i % 3, TestContext.Current.CancellationToken);
                switch (i % 5)
                {
                    case 0:
                        throw new InvalidOperationException("provider failed");
                    case 1:
                        await cts.CancelAsync();
                        cts.Token.ThrowIfCancellationRequested();
                        break;
                    default:
                        await tracker.SettleAsync(reservation, new TokenUsage { InputTokens = 10_000, OutputTokens = 40_000 + (i * 1_000) });
                        Interlocked.Increment(ref settled);
                        break;
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
            {
                await tracker.ReleaseAsync(reservation, cts.Token);
                Interlocked.Increment(ref released);
            }
        })).ToArray();

        start.Set();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        var usage = await tracker.GetThreadUsageAsync("t", TestContext.Current.CancellationToken);
        var ledger = await storage.QueryAsync<CostLedgerEntry>(CostLedgerEntry.Collection, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(50, settled + refused + released + cancelled);
        Assert.True(refused > 0, "some reservations should have been refused");
        Assert.True(settled > 0);
        Assert.True(usage.Total.Cost <= 1.00m, $"settled {usage.Total.Cost} overshoots the 1.00 limit");
        Assert.Equal(0m, usage.ReservedCost);
        Assert.Equal(settled, usage.Total.Calls);
        Assert.Equal(settled, ledger.Count);
        Assert.Equal(usage.Total.Cost, ledger.Sum(e => e.Cost ?? 0m));
        Assert.Equal(refused, observations.OfType(ObservationType.CostLimitReached).Count);

        // Nothing reserved is left: a call of exactly the remaining budget fits, one of a cent more does not.
        var remaining = 1.00m - usage.Total.Cost;
        var fits = await tracker.ReserveAsync(Request("t", OnePerMillion, prefs, input: (long)(remaining * 1_000_000m), maxOut: 0), TestContext.Current.CancellationToken);
        await tracker.ReleaseAsync(fits, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<BudgetExceededException>(async () =>
            await tracker.ReserveAsync(Request("t", OnePerMillion, prefs, input: (long)(remaining * 1_000_000m) + 10_000, maxOut: 0), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task SettleAsync_WarningThreshold_FiresOncePerCrossingAndAgainAfterRaise()
    {
        var storage = new InMemoryStorageAdapter();
        var observations = new CollectingObservationManager();
        var tracker = new CostTrackingService(storage, observations);
        var usage = new TokenUsage { InputTokens = 4_000, OutputTokens = 0 }; // 0.004 each
        var low = new CostPreferences { WarnCostThreshold = 0.01m };
        var high = new CostPreferences { WarnCostThreshold = 0.02m };

        async Task Call(CostPreferences prefs) => await tracker.SettleAsync(await tracker.ReserveAsync(Request("t", OnePerMillion, prefs, input: 4_000, maxOut: 0)), usage);

        await Call(low);
        await Call(low);
        Assert.Empty(observations.OfType(ObservationType.CostWarning));
        await Call(low); // 0.012 crosses 0.01
        await Call(low);
        var first = Assert.Single(observations.OfType(ObservationType.CostWarning));
        Assert.Equal(0.01m, first.Content.GetProperty("threshold").GetDecimal());
        Assert.Equal(0.012m, first.Content.GetProperty("totalCost").GetDecimal());
        Assert.Equal("t", first.ThreadId);

        await Call(high); // 0.020 reaches 0.02 exactly: at/above counts
        await Call(high);
        var warnings = observations.OfType(ObservationType.CostWarning);
        Assert.Equal(2, warnings.Count);
        Assert.Equal(0.02m, warnings[1].Content.GetProperty("threshold").GetDecimal());
        Assert.Equal(0.020m, warnings[1].Content.GetProperty("totalCost").GetDecimal());

        // A restarted process rebuilds the total from the ledger and does not fire again for crossed thresholds.
        var restartedObservations = new CollectingObservationManager();
        var restarted = new CostTrackingService(storage, restartedObservations);
        await restarted.SettleAsync(await restarted.ReserveAsync(Request("t", OnePerMillion, high, input: 4_000, maxOut: 0), TestContext.Current.CancellationToken), usage, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Empty(restartedObservations.OfType(ObservationType.CostWarning));

        var ledger = await storage.QueryAsync<CostLedgerEntry>(CostLedgerEntry.Collection, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, ledger.Count(e => e.WarningThresholdCrossed is not null));
    }

    [Fact]
    public async Task NewServiceOnSameStorage_TotalsSurviveAndLimitsSeeEarlierSpend()
    {
        var storage = new InMemoryStorageAdapter();
        var before = new CostTrackingService(storage);
        await before.SettleAsync(await before.ReserveAsync(Request("t", Gpt4o, instance: "a", model: "gpt-4o"), TestContext.Current.CancellationToken), new TokenUsage { InputTokens = 1000, CachedInputTokens = 600, OutputTokens = 200 }, cancellationToken: TestContext.Current.CancellationToken);
        await before.SettleAsync(await before.ReserveAsync(Request("t", null, instance: "b", model: "custom"), TestContext.Current.CancellationToken), new TokenUsage { InputTokens = 10, OutputTokens = 20 }, cancellationToken: TestContext.Current.CancellationToken);
        var expected = await before.GetThreadUsageAsync("t", TestContext.Current.CancellationToken);

        var after = new CostTrackingService(storage);
        var reloaded = await after.GetThreadUsageAsync("t", TestContext.Current.CancellationToken);
        Assert.Equal(expected.Total, reloaded.Total);
        Assert.Equal(0.00375m, reloaded.Total.Cost);
        Assert.Equal(1, reloaded.Total.UnknownCostCalls);
        Assert.Equal(expected.ByModel["a/gpt-4o"], reloaded.ByModel["a/gpt-4o"]);
        Assert.Equal(expected.ByInstance["b"], reloaded.ByInstance["b"]);

        var fresh = new CostTrackingService(storage, new CollectingObservationManager());
        var ex = await Assert.ThrowsAsync<BudgetExceededException>(async () =>
            await fresh.ReserveAsync(Request("t", OnePerMillion, new CostPreferences { MaxCostPerThread = 0.004m }, input: 500, maxOut: 0), TestContext.Current.CancellationToken));
        Assert.Equal(0.00375m, ex.Committed);
        Assert.Single(await fresh.GetAllUsageAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ReserveAsync_CancelledToken_ThrowsWithoutReserving()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await tracker.ReserveAsync(Request("t", OnePerMillion), new CancellationToken(true)));
        Assert.Equal(0m, (await tracker.GetThreadUsageAsync("t", TestContext.Current.CancellationToken)).ReservedCost);
    }

    [Fact]
    public void EstimateTokens_TextMessagesImagesAndToolCalls_CountsCharsOverFourPlusOverhead()
    {
        var image = ImageInput.FromBase64("aGVsbG8=", "image/png");
        var args = JsonDocument.Parse("""{"a":1}""").RootElement;
        var prompt = new ArtPrompt(
        [
            ArtMessage.System("12345"), // 5 chars
            ArtMessage.User("abc", [image]), // 3 chars + 1 image
            ArtMessage.Assistant(null, [new ToolCall("id", "calc", args)]), // 2 + 4 + 7 = 13 chars
        ]);

        // 21 chars -> 6 tokens (rounded up), 3 messages * 4, 3 priming, 1 image.
        Assert.Equal(6 + 12 + 3 + TokenEstimator.TokensPerImage, TokenEstimator.EstimateTokens(prompt));
        Assert.Equal(1 + 4 + 3, TokenEstimator.EstimateTokens(ArtPrompt.FromUser("a")));
    }
}

public sealed class CostTrackingFailureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CostReservationRequest Request(CostPreferences? prefs = null) => new()
    {
        ThreadId = "t",
        InstanceId = "inst",
        ModelId = "m",
        Pricing = new ModelPricing { InputPerMillion = 1m, OutputPerMillion = 1m },
        Preferences = prefs,
        EstimatedInputTokens = 1_000_000,
        MaxOutputTokens = 0,
    };

    [Fact]
    public async Task SettleAsync_LedgerWriteFails_ThrowsButCountsSpendAndReleasesReservation()
    {
        var storage = new FailingWritesStorage();
        var tracker = new CostTrackingService(storage);
        var r = await tracker.ReserveAsync(Request(), Ct);

        storage.FailWrites = true;
        await Assert.ThrowsAsync<IOException>(async () => await tracker.SettleAsync(r, new TokenUsage { InputTokens = 1_000_000 }, cancellationToken: Ct));

        var usage = await tracker.GetThreadUsageAsync("t", Ct);
        Assert.Equal(1m, usage.Total.Cost);
        Assert.Equal(0m, usage.ReservedCost);
        var again = await tracker.SettleAsync(r, new TokenUsage { InputTokens = 1_000_000 }, cancellationToken: Ct);
        Assert.Equal(1m, again.Cost);
        Assert.Equal(1, (await tracker.GetThreadUsageAsync("t", Ct)).Total.Calls);
        await Assert.ThrowsAsync<BudgetExceededException>(async () => await tracker.ReserveAsync(Request(new CostPreferences { MaxCostPerThread = 1.5m }), Ct));
    }

    [Fact]
    public async Task ReserveAsync_ObservationManagerThrows_StillRefusesWithBudgetExceeded()
    {
        var tracker = new CostTrackingService(new InMemoryStorageAdapter(), new ThrowingObservationManager());
        await Assert.ThrowsAsync<BudgetExceededException>(async () => await tracker.ReserveAsync(Request(new CostPreferences { MaxCostPerCall = 0.5m }), Ct));
    }

    private sealed class ThrowingObservationManager : IObservationManager
    {
        public Task<Art.Observation.Observation> RecordAsync(NewObservation observation, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("observation store down");

        public Task<IReadOnlyList<Art.Observation.Observation>> GetObservationsAsync(string? threadId, ObservationQuery? query = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
