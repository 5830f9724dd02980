using Art.Context;
using Art.Reasoning;
using Art.Storage;
using Art.Storage.Repositories;
using Art.UI;

namespace Art.Tests.Context;

public sealed class ConversationManagerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly InMemoryStorageAdapter _storage = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ConversationMessage Msg(string id, MessageRole role, int seconds, string thread = "t1") => new()
    {
        MessageId = id,
        ThreadId = thread,
        Role = role,
        Content = "text " + id,
        Timestamp = T0.AddSeconds(seconds),
    };

    private async Task<ConversationManager> SeededAsync(ConversationSocket? socket = null)
    {
        var manager = new ConversationManager(new ConversationRepository(_storage), socket);
        await manager.AddMessagesAsync("t1",
        [
            Msg("m1", MessageRole.User, 1),
            Msg("m2", MessageRole.Assistant, 2),
            Msg("m3", MessageRole.User, 3),
            Msg("m4", MessageRole.Tool, 4),
            Msg("m5", MessageRole.Assistant, 5),
        ], Ct);
        await manager.AddMessagesAsync("t2", [Msg("x1", MessageRole.User, 0, "t2")], Ct);
        return manager;
    }

    private static string[] Ids(IEnumerable<ConversationMessage> m) => m.Select(x => x.MessageId).ToArray();

    [Fact]
    public async Task GetMessages_All_AscendingAndOnlyThatThread()
    {
        var manager = await SeededAsync();
        var all = await manager.GetMessagesAsync("t1", null, Ct);
        Assert.Equal(["m1", "m2", "m3", "m4", "m5"], Ids(all));
        Assert.Equal(MessageRole.Tool, all[3].Role);
        Assert.Equal(T0.AddSeconds(4), all[3].Timestamp);
    }

    [Fact]
    public async Task GetMessages_Limit_MostRecentStillAscending()
    {
        var manager = await SeededAsync();
        Assert.Equal(["m4", "m5"], Ids(await manager.GetMessagesAsync("t1", new MessageQuery { Limit = 2 }, Ct)));
        Assert.Equal(5, (await manager.GetMessagesAsync("t1", new MessageQuery { Limit = 0 }, Ct)).Count);
    }

    [Fact]
    public async Task GetMessages_BeforeAfter_Strict()
    {
        var manager = await SeededAsync();
        var q = new MessageQuery { After = T0.AddSeconds(2), Before = T0.AddSeconds(5) };
        Assert.Equal(["m3", "m4"], Ids(await manager.GetMessagesAsync("t1", q, Ct)));
        Assert.Equal(["m4"], Ids(await manager.GetMessagesAsync("t1", q with { Limit = 1 }, Ct)));
    }

    [Fact]
    public async Task GetMessages_Roles_Honoured()
    {
        var manager = await SeededAsync();
        Assert.Equal(["m1", "m3"], Ids(await manager.GetMessagesAsync("t1", new MessageQuery { Roles = [MessageRole.User] }, Ct)));
        Assert.Equal(["m2", "m4", "m5"], Ids(await manager.GetMessagesAsync("t1", new MessageQuery { Roles = [MessageRole.Assistant, MessageRole.Tool] }, Ct)));
        Assert.Equal(["m3"], Ids(await manager.GetMessagesAsync("t1", new MessageQuery { Roles = [MessageRole.User], Limit = 1 }, Ct)));
        Assert.Equal(["m4", "m5"], Ids(await manager.GetMessagesAsync("t1", new MessageQuery { Roles = [MessageRole.Assistant, MessageRole.Tool], Limit = 2 }, Ct)));
    }

    [Fact]
    public async Task GetMessages_SameTimestamp_KeepsInsertionOrder()
    {
        var manager = new ConversationManager(new ConversationRepository(_storage));
        // Ids deliberately sort against insertion order.
        await manager.AddMessagesAsync("t1", [Msg("z", MessageRole.User, 0), Msg("y", MessageRole.Assistant, 0)], Ct);
        await manager.AddMessagesAsync("t1", [Msg("a", MessageRole.User, 0)], Ct);
        Assert.Equal(["z", "y", "a"], Ids(await manager.GetMessagesAsync("t1", null, Ct)));
        Assert.Equal(["y", "a"], Ids(await manager.GetMessagesAsync("t1", new MessageQuery { Limit = 2 }, Ct)));
    }

    [Fact]
    public async Task AddMessages_NotifiesSocketAfterPersist_ThrowingSubscriberDoesNotFailAdd()
    {
        var socket = new ConversationSocket();
        var seen = new List<(string Id, int Stored)>();
        var repo = new ConversationRepository(_storage);
        using var a = socket.Subscribe(_ => throw new InvalidOperationException("ui broke"));
        using var b = socket.Subscribe(m => seen.Add((m.MessageId, repo.GetAsync("t1", null, Ct).GetAwaiter().GetResult().Count)), threadId: "t1");
        var manager = new ConversationManager(repo, socket);

        await manager.AddMessagesAsync("t1", [Msg("m1", MessageRole.User, 1), Msg("m2", MessageRole.Assistant, 2)], Ct);

        Assert.Equal([("m1", 2), ("m2", 2)], seen);
    }

    [Fact]
    public async Task AddMessages_WrongThread_ThrowsAndStoresNothing()
    {
        var manager = new ConversationManager(new ConversationRepository(_storage));
        await Assert.ThrowsAsync<ArgumentException>(() => manager.AddMessagesAsync("t1", [Msg("m1", MessageRole.User, 1), Msg("m2", MessageRole.User, 2, "t2")], Ct));
        Assert.Empty(await manager.GetMessagesAsync("t1", null, Ct));
        await manager.AddMessagesAsync("t1", [], Ct);
    }
}
