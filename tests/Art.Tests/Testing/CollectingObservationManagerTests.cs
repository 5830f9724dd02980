using Art.Observation;
using Art.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Art.Tests.Testing;

public sealed class CollectingObservationManagerTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RecordAsync_NewObservation_ReturnedWithIdTimestampAndDefaultTitle()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var manager = new CollectingObservationManager(time);

        var recorded = await manager.RecordAsync(NewObservation.Create(ObservationType.ToolExecution, new { tool = "calc" }, threadId: "t1", traceId: "tr"), Ct);

        Assert.Equal("obs-1", recorded.Id);
        Assert.Equal(time.GetUtcNow(), recorded.Timestamp);
        Assert.Equal("tool_execution recorded", recorded.Title);
        Assert.Equal("calc", recorded.Content.GetProperty("tool").GetString());
        Assert.Equal("tr", Assert.Single(manager.Received).TraceId);
        Assert.Same(recorded, Assert.Single(manager.Recorded));
    }

    [Fact]
    public async Task WaitForAsync_RecordedLaterOnAnotherThread_CompletesWithIt()
    {
        var manager = new CollectingObservationManager();
        var waiting = manager.WaitForAsync(o => o.Type == ObservationType.ModelPullEnd, Generous, Ct);
        Assert.False(waiting.IsCompleted);

        await Task.Run(() => manager.RecordAsync(NewObservation.Create(ObservationType.ModelPullStart, new { }), Ct), Ct);
        Assert.False(waiting.IsCompleted);
        await Task.Run(() => manager.RecordAsync(NewObservation.Create(ObservationType.ModelPullEnd, new { success = true }), Ct), Ct);

        var end = await waiting;
        Assert.True(end.Content.GetProperty("success").GetBoolean());
    }

    [Fact]
    public async Task WaitForAsync_AlreadyRecorded_ReturnsTheFirstMatch()
    {
        var manager = new CollectingObservationManager();
        var first = await manager.RecordAsync(NewObservation.Create(ObservationType.CostWarning, new { n = 1 }), Ct);
        await manager.RecordAsync(NewObservation.Create(ObservationType.CostWarning, new { n = 2 }), Ct);

        Assert.Same(first, await manager.WaitForAsync(ObservationType.CostWarning, Generous, Ct));
    }

    [Fact]
    public async Task WaitForAsync_NothingMatches_TimeoutNamingWhatWasRecorded()
    {
        var manager = new CollectingObservationManager();
        await manager.RecordAsync(NewObservation.Create(ObservationType.CostWarning, new { }), Ct);

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => manager.WaitForAsync(ObservationType.CostLimitReached, TimeSpan.FromMilliseconds(50), Ct));

        Assert.Contains("CostWarning", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetObservationsAsync_ThreadTypesAndLimit_FilteredOldestFirst()
    {
        var manager = new CollectingObservationManager();
        for (var i = 0; i < 4; i++)
        {
            await manager.RecordAsync(NewObservation.Create(ObservationType.ToolExecution, new { i }, threadId: "a"), Ct);
        }

        await manager.RecordAsync(NewObservation.Create(ObservationType.CostWarning, new { i = 9 }, threadId: "a"), Ct);
        await manager.RecordAsync(NewObservation.Create(ObservationType.ToolExecution, new { i = 7 }, threadId: "b"), Ct);

        var lastTwo = await manager.GetObservationsAsync("a", new ObservationQuery { Types = [ObservationType.ToolExecution], Limit = 2 }, Ct);
        var all = await manager.GetObservationsAsync(null, cancellationToken: Ct);

        Assert.Equal([2, 3], lastTwo.Select(o => o.Content.GetProperty("i").GetInt32()));
        Assert.Equal(6, all.Count);
    }

    [Fact]
    public async Task RecordAsync_ManyThreads_KeepsEveryObservationWithUniqueIds()
    {
        var manager = new CollectingObservationManager();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(
            async () =>
            {
                for (var i = 0; i < 100; i++)
                {
                    await manager.RecordAsync(NewObservation.Create(ObservationType.ToolExecution, new { t, i }), Ct);
                }
            },
            Ct)));

        Assert.Equal(800, manager.Recorded.Count);
        Assert.Equal(800, manager.Recorded.Select(o => o.Id).Distinct().Count());
    }
}
