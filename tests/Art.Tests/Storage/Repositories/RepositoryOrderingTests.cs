using Art.Context;
using Art.Observation;
using Art.Reasoning;
using Art.Sqlite;
using Art.Storage;
using Art.Storage.Repositories;

namespace Art.Tests.Storage.Repositories;

/// <summary>Repositories give the same order in both adapters (numeric sort keys, UTC timestamps).</summary>
public sealed class RepositoryOrderingTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "art-repo-" + Guid.NewGuid().ToString("N"));
    private readonly List<IStorageAdapter> _adapters = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var a in _adapters)
        {
            await a.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    private IStorageAdapter Adapter(string kind)
    {
        IStorageAdapter a = kind == "sqlite" ? new SqliteStorageAdapter(Path.Combine(_dir, "db.sqlite")) : new InMemoryStorageAdapter();
        _adapters.Add(a);
        return a;
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    public async Task Conversation_MixedOffsetsAndTies_OrderedByInstantThenWriteOrder(string kind)
    {
        var repo = new ConversationRepository(Adapter(kind));
        var t = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero);
        ConversationMessage M(string id, DateTimeOffset ts) => new() { MessageId = id, ThreadId = "t", Role = MessageRole.User, Content = id, Timestamp = ts };

        // "b" is 09:30Z written as 11:30+02:00 (string order would put it last); "d" and "c" tie with "a".
        await repo.AddAsync([M("a", t), M("b", new DateTimeOffset(2026, 1, 1, 11, 30, 0, TimeSpan.FromHours(2))), M("d", t), M("c", t)], Ct);
        var got = await repo.GetAsync("t", null, Ct);
        Assert.Equal(["b", "a", "d", "c"], got.Select(m => m.MessageId));
        Assert.Equal(TimeSpan.Zero, got[0].Timestamp.Offset);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 9, 30, 0, TimeSpan.Zero), got[0].Timestamp);
        Assert.Equal(["d", "c"], (await repo.GetAsync("t", new MessageQuery { Limit = 2 }, Ct)).Select(m => m.MessageId));
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    public async Task Observations_ManyInSameMillisecond_KeepWriteOrder(string kind)
    {
        var repo = new ObservationRepository(Adapter(kind));
        var t = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero);
        var ids = Enumerable.Range(0, 30).Select(i => $"{(char)('z' - (i % 26))}{i:D2}").ToList();
        foreach (var id in ids)
        {
            await repo.AddAsync(new Art.Observation.Observation { Id = id, ThreadId = "t", Timestamp = t, Type = ObservationType.Thoughts, Title = id }, Ct);
        }

        Assert.Equal(ids, (await repo.GetAsync("t", null, Ct)).Select(o => o.Id));
        Assert.Equal(ids[^3..], (await repo.GetAsync("t", new ObservationQuery { Limit = 3 }, Ct)).Select(o => o.Id));
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    public async Task State_RoundTripsAndLists(string kind)
    {
        var repo = new StateRepository(Adapter(kind));
        Assert.Null(await repo.GetAsync("t1", Ct));
        await repo.SetAsync("t1", new ThreadContext(new ThreadConfig { Reasoning = new ThreadReasoningConfig { InstanceId = "i" } }, null), Ct);
        Assert.Equal("i", (await repo.GetAsync("t1", Ct))!.Config.Reasoning.InstanceId);
        Assert.Equal(["t1"], await repo.ListThreadIdsAsync(Ct));
    }
}
