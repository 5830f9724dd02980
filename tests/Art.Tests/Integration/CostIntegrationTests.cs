using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Sqlite;
using Art.Testing;

namespace Art.Tests.Integration;

/// <summary>Budgets through the real engine and cost tracker: hard limits under concurrency, warnings, restart.</summary>
public sealed class CostIntegrationTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("art-integration-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>"hello" = 2 prompt tokens; with 1000 max output at alpha-small ($1/$2 per M) a call reserves 0.002002 USD.</summary>
    private static ArtPrompt Prompt => ArtPrompt.FromUser("hello");

    private const decimal FullCall = 0.002002m;

    private static ThreadReasoningConfig Thread(CostPreferences costs) => new()
    {
        InstanceId = "cloud-a",
        Parameters = new ModelParameters { MaxOutputTokens = 1000 },
        CostPreferences = costs,
        ModelPreferences = new ModelPreferences { AllowCrossProviderFallback = false },
    };

    [Fact]
    public async Task CallAsync_FiftyConcurrentCallsUnderHardThreadLimit_NeverOvershootAndLeaveNoReservation()
    {
        const decimal limit = 0.02m;
        await using var f = await ArtCoreFixture.CreateAsync(new ArtCoreSetup
        {
            Engine = new ReasoningEngineOptions { MaxRetriesPerInstance = 0, BaseBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.Zero },
            Circuit = new CircuitBreakerOptions { FailureThreshold = 1000 },
        }, Ct);
        await f.CreateThreadAsync("t", Thread(new CostPreferences { MaxCostPerThread = limit }), Ct);

        // A fixed shuffled mix: full answers (usage = the reservation), errors before any usage, errors after partial
        // usage, and calls that hang after partial usage until they are cancelled.
        // The first four requests always get a hang, a hang, an error before usage and an error after usage (the first
        // calls always fit the budget); the rest is shuffled.
        var answer = ScriptedResponse.Text("ok").Usage(2, 1000);
        var invalid = ScriptedResponse.Failure(ProviderErrorKind.BadRequest, "invalid");
        var dropped = ScriptedResponse.Create().Usage(2, 500).Fail(ProviderErrorKind.Transient, "dropped");
        var hang = ScriptedResponse.Create().Usage(2, 300).HangUntilCancelled();
        var rest = new List<ScriptedResponse>();
        rest.AddRange(Enumerable.Repeat(answer, 20));
        rest.AddRange(Enumerable.Repeat(invalid, 9));
        rest.AddRange(Enumerable.Repeat(dropped, 9));
        rest.AddRange(Enumerable.Repeat(hang, 8));
        var adapter = f.Adapter("cloud-a").Enqueue([hang, hang, invalid, dropped, .. rest.OrderBy(_ => Random.Shared.Next())]);
        using var events = f.RecordModelEvents("t");

        var sources = Enumerable.Range(0, 50).Select(_ => CancellationTokenSource.CreateLinkedTokenSource(Ct)).ToArray();
        var calls = sources.Select((cts, i) => Task.Run(
            () => f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t", RequestId = "r" + i, AllowFallback = false }, cts.Token), Ct)).ToArray();

        // Every call is either finished or streaming (the hanging ones): then cancel whatever still runs.
        await WaitUntilAsync(() => calls.Count(c => c.IsCompleted) + adapter.ActiveStreams == calls.Length);
        foreach (var cts in sources)
        {
            await cts.CancelAsync();
        }

        await Task.WhenAll(calls.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(Wait, Ct);
        foreach (var cts in sources)
        {
            cts.Dispose();
        }

        var succeeded = calls.Where(c => c.IsCompletedSuccessfully).Select(c => c.Result).ToList();
        var errors = calls.Where(c => !c.IsCompletedSuccessfully).Select(c => c.Exception?.InnerException ?? new OperationCanceledException()).ToList();
        var refused = errors.OfType<BudgetExceededException>().ToList();
        var cancelled = errors.Count(e => e is OperationCanceledException);
        var providerErrors = errors.OfType<ProviderException>().ToList();
        TestContext.Current.TestOutputHelper?.WriteLine($"succeeded {succeeded.Count}, refused {refused.Count}, cancelled {cancelled}, provider errors {providerErrors.Count}");
        Assert.Equal(calls.Length, succeeded.Count + refused.Count + cancelled + providerErrors.Count);
        Assert.NotEmpty(refused);
        Assert.NotEmpty(succeeded);
        Assert.True(cancelled >= 2, $"{cancelled} cancelled");
        Assert.Contains(providerErrors, e => e.Kind == ProviderErrorKind.BadRequest);
        Assert.Contains(providerErrors, e => e.Kind == ProviderErrorKind.Transient);
        Assert.All(refused, r => Assert.Equal(BudgetLimitKind.CostPerThread, r.LimitKind));

        var usage = await f.Costs.GetThreadUsageAsync("t", Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"settled {usage.Total.Cost} USD in {usage.Total.Calls} ledger entries");
        Assert.True(usage.Total.Cost <= limit, $"settled {usage.Total.Cost} USD exceeds the {limit} USD limit");
        Assert.Equal(0m, usage.ReservedCost);

        // The ledger holds exactly what the answers and the partial usages cost.
        Assert.Equal(succeeded.Sum(r => r.Cost!.Value), succeeded.Count * FullCall);
        var partialCalls = usage.Total.Calls - succeeded.Count;
        Assert.True(partialCalls >= 0);
        Assert.Equal(adapter.Requests.Count, succeeded.Count + providerErrors.Count + cancelled);
        Assert.Equal(calls.Length - refused.Count, adapter.Requests.Count);

        // Every refusal was observed once (COST_LIMIT_REACHED on the socket), and nothing was sent for it.
        Assert.Equal(refused.Count, events.OfType(ModelEventType.CostLimitReached).Count);

        // A new call still sees the budget as it is: refused when the remainder does not fit, else answered.
        adapter.Reset();
        adapter.Enqueue(ScriptedResponse.Text("last").Usage(2, 1000));
        if (usage.Total.Cost + FullCall > limit)
        {
            await Assert.ThrowsAsync<BudgetExceededException>(() => f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct));
        }
        else
        {
            Assert.Equal("last", (await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct)).Content);
        }

        Assert.True((await f.Costs.GetThreadUsageAsync("t", Ct)).Total.Cost <= limit);
    }

    [Fact]
    public async Task CallAsync_ConcurrentCallsCrossWarnThreshold_OneCostWarningPerCrossing()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        await f.CreateThreadAsync("t", Thread(new CostPreferences { WarnCostThreshold = 0.005m }), Ct);
        f.Adapter("cloud-a").DefaultResponse = ScriptedResponse.Text("ok").Usage(2, 1000);
        using var events = f.RecordModelEvents("t");

        // Ten calls at once: the total goes from 0 to 0.02002 and crosses 0.005 exactly once.
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct), Ct)));
        var first = Assert.Single(events.OfType(ModelEventType.CostWarning));
        Assert.Equal(0.005m, first.Content.GetProperty("threshold").GetDecimal());
        Assert.True(first.Content.GetProperty("totalCost").GetDecimal() >= 0.005m);

        // More calls below the next threshold: no new warning. A raised threshold fires again when crossed.
        await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);
        Assert.Single(events.OfType(ModelEventType.CostWarning));
        await f.State.UpdateThreadReasoningPreferencesAsync("t", costPreferences: new CostPreferences { WarnCostThreshold = 0.03m }, cancellationToken: Ct);
        for (var i = 0; i < 5; i++)
        {
            await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);
        }

        var warnings = events.OfType(ModelEventType.CostWarning);
        Assert.Equal([0.005m, 0.03m], warnings.Select(w => w.Content.GetProperty("threshold").GetDecimal()));
        Assert.Equal(2, (await f.ObservationsAsync("t", ObservationType.CostWarning)).Count);
        Assert.Equal(16 * FullCall, (await f.Costs.GetThreadUsageAsync("t", Ct)).Total.Cost);
    }

    [Fact]
    public async Task CallAsync_AfterRestartOnSameSqliteFile_TotalsSurviveAndLimitStillHolds()
    {
        var path = Path.Combine(_dir, "art.db");
        var limit = new CostPreferences { MaxCostPerThread = 0.005m, WarnCostThreshold = 0.003m };
        ThreadUsage before;
        await using (var storage = new SqliteStorageAdapter(path))
        {
            await using var f = await ArtCoreFixture.CreateAsync(new ArtCoreSetup { Storage = storage }, Ct);
            await f.CreateThreadAsync("t", Thread(limit), Ct);
            f.Adapter("cloud-a").DefaultResponse = ScriptedResponse.Text("ok").Usage(2, 1000);
            await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);
            await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);
            before = await f.Costs.GetThreadUsageAsync("t", Ct);
            Assert.Equal(2 * FullCall, before.Total.Cost);
            Assert.Single(await f.ObservationsAsync("t", ObservationType.CostWarning));
        }

        await using (var storage = new SqliteStorageAdapter(path))
        {
            // New storage, tracker, registry, router and engine; the thread and the ledger come from the file.
            await using var f = await ArtCoreFixture.CreateAsync(new ArtCoreSetup { Storage = storage }, Ct);
            var after = await f.Costs.GetThreadUsageAsync("t", Ct);
            Assert.Equal(before.Total, after.Total);
            Assert.Equal(before.ByModel["cloud-a/alpha-small"], after.ByModel["cloud-a/alpha-small"]);

            // 0.004004 spent + 0.002002 > 0.005: refused before anything is sent.
            var adapter = f.Adapter("cloud-a");
            adapter.DefaultResponse = ScriptedResponse.Text("ok").Usage(2, 1000);
            var refused = await Assert.ThrowsAsync<BudgetExceededException>(() => f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct));
            Assert.Equal(2 * FullCall, refused.Committed);
            Assert.Empty(adapter.Requests);

            // A cheaper call still fits, and the warning already crossed before the restart does not fire again.
            adapter.Enqueue(ScriptedResponse.Text("short").Usage(2, 100));
            await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t", Parameters = new ModelParameters { MaxOutputTokens = 100 } }, Ct);
            var total = (await f.Costs.GetThreadUsageAsync("t", Ct)).Total;
            Assert.Equal(3, total.Calls);
            Assert.Equal((2 * FullCall) + 0.000202m, total.Cost);
            Assert.Single(await f.ObservationsAsync("t", ObservationType.CostWarning));
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Wait);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
