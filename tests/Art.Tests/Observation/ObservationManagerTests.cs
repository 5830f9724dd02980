using System.Text.Json;
using Art.Observation;
using Art.Storage;
using Art.Storage.Repositories;
using Art.UI;
using Microsoft.Extensions.Time.Testing;

namespace Art.Tests.Observation;

public sealed class ObservationManagerTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly InMemoryStorageAdapter _storage = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private (ObservationManager Manager, UISystem Ui) Create()
    {
        var repo = new ObservationRepository(_storage);
        var ui = new UISystem(repo);
        return (new ObservationManager(repo, ui, _time), ui);
    }

    [Fact]
    public async Task Record_FillsIdTimestampTitle_PersistsAndNotifies()
    {
        var (manager, ui) = Create();
        var seen = new List<Art.Observation.Observation>();
        using var sub = ui.GetObservationSocket().Subscribe(seen.Add);

        var recorded = await manager.RecordAsync(NewObservation.Create(ObservationType.ToolCall, new { tool = "calc" }, threadId: "t1", traceId: "tr"), Ct);

        Assert.True(Guid.TryParse(recorded.Id, out var id));
        Assert.Equal(7, id.Version);
        Assert.Equal(Start, recorded.Timestamp);
        Assert.Equal("tool_call recorded", recorded.Title);
        Assert.Same(recorded, Assert.Single(seen));
        var stored = Assert.Single(await manager.GetObservationsAsync("t1", null, Ct));
        Assert.Equal(recorded.Id, stored.Id);
        Assert.Equal("calc", stored.Content.GetProperty("tool").GetString());

        var titled = await manager.RecordAsync(new NewObservation { Type = ObservationType.Plan, Title = "My plan", ThreadId = "t1" }, Ct);
        Assert.Equal("My plan", titled.Title);
    }

    [Fact]
    public async Task Record_ModelType_MapsOntoModelSocket_AgentTypeDoesNot()
    {
        var (manager, ui) = Create();
        var events = new List<ModelEvent>();
        using var sub = ui.GetModelSocket().Subscribe(events.Add);

        await manager.RecordAsync(NewObservation.Create(ObservationType.Thoughts, new { text = "hm" }, threadId: "t1"), Ct);
        await manager.RecordAsync(NewObservation.Create(ObservationType.FinalResponse, new { }, threadId: "t1"), Ct);
        Assert.Empty(events);

        var obs = await manager.RecordAsync(NewObservation.Create(ObservationType.ModelFallbackAttempt, new { from = "a", to = "b" }, threadId: "t1", instanceId: "b", modelId: "m"), Ct);
        var e = Assert.Single(events);
        Assert.Equal(ModelEventType.ModelFallbackAttempt, e.Type);
        Assert.Equal("b", e.InstanceId);
        Assert.Equal("m", e.ModelId);
        Assert.Equal("t1", e.ThreadId);
        Assert.Equal(obs.Id, e.ObservationId);
        Assert.Equal("a", e.Content.GetProperty("from").GetString());

        var history = await ui.GetModelSocket().GetHistoryAsync(null, "t1", null, Ct);
        Assert.Equal(obs.Id, Assert.Single(history).ObservationId);
    }

    [Fact]
    public async Task Record_ThrowingSubscribers_DoNotFailRecord()
    {
        var (manager, ui) = Create();
        using var a = ui.GetObservationSocket().Subscribe(_ => throw new InvalidOperationException("x"));
        using var b = ui.GetModelSocket().Subscribe(_ => throw new InvalidOperationException("y"));
        var obs = await manager.RecordAsync(NewObservation.Create(ObservationType.CostWarning, new { spent = 1.2m }), Ct);
        Assert.Single(await manager.GetObservationsAsync(null, null, Ct));
        Assert.Equal(ObservationType.CostWarning, obs.Type);
    }

    [Fact]
    public async Task Record_StorageFails_ThrowsStorageException_AndNotifiesNothing()
    {
        var repo = new ObservationRepository(new FailingStorage());
        var ui = new UISystem(repo);
        var manager = new ObservationManager(repo, ui, _time);
        var seen = 0;
        using var sub = ui.GetObservationSocket().Subscribe(_ => seen++);
        var ex = await Assert.ThrowsAsync<StorageException>(() => manager.RecordAsync(NewObservation.Create(ObservationType.Intent, new { }, threadId: "t1"), Ct));
        Assert.IsType<IOException>(ex.InnerException);
        Assert.Equal(0, seen);
    }

    [Fact]
    public async Task GetObservations_TypesTraceBeforeAfterLimit()
    {
        var (manager, _) = Create();
        var ids = new List<string>();
        foreach (var (type, trace) in new[]
        {
            (ObservationType.Intent, "a"), (ObservationType.Plan, "a"), (ObservationType.ToolCall, "a"),
            (ObservationType.Intent, "b"), (ObservationType.FinalResponse, "a"),
        })
        {
            ids.Add((await manager.RecordAsync(new NewObservation { Type = type, TraceId = trace, ThreadId = "t1" }, Ct)).Id);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        await manager.RecordAsync(new NewObservation { Type = ObservationType.Intent, ThreadId = "other" }, Ct);

        string[] Got(IEnumerable<Art.Observation.Observation> o) => o.Select(x => x.Id).ToArray();
        Assert.Equal(ids, Got(await manager.GetObservationsAsync("t1", null, Ct)));
        Assert.Equal([ids[0], ids[3]], Got(await manager.GetObservationsAsync("t1", new ObservationQuery { Types = [ObservationType.Intent] }, Ct)));
        Assert.Equal([ids[0], ids[1], ids[3]], Got(await manager.GetObservationsAsync("t1", new ObservationQuery { Types = [ObservationType.Intent, ObservationType.Plan] }, Ct)));
        Assert.Equal([ids[0], ids[1], ids[2], ids[4]], Got(await manager.GetObservationsAsync("t1", new ObservationQuery { TraceId = "a" }, Ct)));
        Assert.Equal([ids[2], ids[4]], Got(await manager.GetObservationsAsync("t1", new ObservationQuery { TraceId = "a", Limit = 2 }, Ct)));
        Assert.Equal([ids[2]], Got(await manager.GetObservationsAsync("t1", new ObservationQuery { After = Start.AddSeconds(1), Before = Start.AddSeconds(3) }, Ct)));
        Assert.Equal([ids[3], ids[4]], Got(await manager.GetObservationsAsync("t1", new ObservationQuery { After = Start, Limit = 2 }, Ct)));
        Assert.Empty(await manager.GetObservationsAsync("t1", new ObservationQuery { Limit = 0 }, Ct));
        Assert.Equal(6, (await manager.GetObservationsAsync(null, null, Ct)).Count);
    }

    [Fact]
    public async Task Record_SameInstant_OneTrace_KeepsOrder()
    {
        var (manager, _) = Create();
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add((await manager.RecordAsync(new NewObservation { Type = ObservationType.Thoughts, TraceId = "tr", ThreadId = "t1" }, Ct)).Id);
        }

        Assert.Equal(ids, (await manager.GetObservationsAsync("t1", new ObservationQuery { TraceId = "tr" }, Ct)).Select(o => o.Id));
    }

    private sealed class FailingStorage : IStorageAdapter
    {
        public Task<JsonElement?> GetAsync(string collection, string id, CancellationToken cancellationToken = default) => throw new IOException("disk gone");

        public Task SetAsync(string collection, string id, JsonElement document, CancellationToken cancellationToken = default) => throw new IOException("disk gone");

        public Task DeleteAsync(string collection, string id, CancellationToken cancellationToken = default) => throw new IOException("disk gone");

        public Task<IReadOnlyList<JsonElement>> QueryAsync(string collection, FilterOptions? filter = null, CancellationToken cancellationToken = default) => throw new IOException("disk gone");

        public Task WriteBatchAsync(IReadOnlyList<StorageWrite> writes, CancellationToken cancellationToken = default) => throw new IOException("disk gone");

        public Task ClearAsync(string? collection = null, CancellationToken cancellationToken = default) => throw new IOException("disk gone");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
