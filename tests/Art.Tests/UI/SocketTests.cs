using System.Text.Json;
using Art.Context;
using Art.Observation;
using Art.Reasoning;
using Art.Storage;
using Art.Storage.Repositories;
using Art.UI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Art.Tests.UI;

public sealed class SocketTests
{
    private static readonly DateTimeOffset T0 = new(2026, 2, 2, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Art.Observation.Observation Obs(ObservationType type, string? thread = "t1", string id = "o") =>
        new() { Id = id, Type = type, ThreadId = thread, Timestamp = T0, Title = "x" };

    private static ConversationMessage Msg(MessageRole role, string id = "m", string thread = "t1") =>
        new() { MessageId = id, ThreadId = thread, Role = role, Content = "c", Timestamp = T0 };

    private static ModelEvent Model(ModelEventType type) => new() { Type = type, Timestamp = T0 };

    private static LlmStreamEvent Stream(StreamEvent e, string thread = "t1") => new(thread, "tr", "req", e);

    [Fact]
    public void ObservationSocket_Filter_ExcludesOtherTypes()
    {
        var socket = new ObservationSocket();
        var got = new List<ObservationType>();
        var all = 0;
        using var s1 = socket.Subscribe(o => got.Add(o.Type), [ObservationType.ToolCall, ObservationType.Error]);
        using var s2 = socket.Subscribe(_ => all++);
        foreach (var t in new[] { ObservationType.Intent, ObservationType.ToolCall, ObservationType.Plan, ObservationType.Error })
        {
            socket.Notify(Obs(t), "t1");
        }

        Assert.Equal([ObservationType.ToolCall, ObservationType.Error], got);
        Assert.Equal(4, all);
    }

    [Fact]
    public void ConversationSocket_Filter_ExcludesOtherRoles()
    {
        var socket = new ConversationSocket();
        var got = new List<MessageRole>();
        using var s = socket.Subscribe(m => got.Add(m.Role), [MessageRole.Assistant]);
        socket.Notify(Msg(MessageRole.User), "t1");
        socket.Notify(Msg(MessageRole.Assistant), "t1");
        socket.Notify(Msg(MessageRole.Tool), "t1");
        Assert.Equal([MessageRole.Assistant], got);
    }

    [Fact]
    public void LlmStreamSocket_Filter_ExcludesOtherKinds_AndTargetsEventThread()
    {
        var socket = new LlmStreamSocket();
        var got = new List<StreamEvent>();
        using var s = socket.Subscribe(e => got.Add(e.Event), [LlmStreamEventKind.Content], threadId: "t1");
        socket.Notify(Stream(new ThoughtDelta("think")));
        socket.Notify(Stream(new ContentDelta("hello")));
        socket.Notify(Stream(new ContentDelta("other thread"), thread: "t2"));
        socket.Notify(Stream(new UsageReported(TokenUsage.Zero)));
        socket.Notify(Stream(new Completed(FinishReason.Stop, "i", "m")));
        Assert.Equal([new ContentDelta("hello")], got);
    }

    [Fact]
    public void ModelSocket_Filter_ExcludesOtherTypes()
    {
        var socket = new ModelSocket();
        var got = new List<ModelEventType>();
        using var s = socket.Subscribe(e => got.Add(e.Type), [ModelEventType.CostWarning]);
        socket.Notify(Model(ModelEventType.ModelRouteDecision));
        socket.Notify(Model(ModelEventType.CostWarning));
        socket.Notify(Model(ModelEventType.ModelPullProgress));
        Assert.Equal([ModelEventType.CostWarning], got);
    }

    [Fact]
    public void Notify_ThrowingSubscriber_OthersStillReceive_CallerUnaffected_ErrorLogged()
    {
        var logger = new FakeLogger<ObservationSocket>();
        var socket = new ObservationSocket(logger: logger);
        var before = 0;
        var after = 0;
        using var a = socket.Subscribe(_ => before++);
        using var b = socket.Subscribe(_ => throw new InvalidOperationException("boom"));
        using var c = socket.Subscribe(_ => after++);

        socket.Notify(Obs(ObservationType.Plan), "t1");
        socket.Notify(Obs(ObservationType.Plan), "t1");

        Assert.Equal(2, before);
        Assert.Equal(2, after);
        Assert.Equal(2, logger.Collector.GetSnapshot().Count(r => r.Level == LogLevel.Error && r.Exception is InvalidOperationException));
    }

    [Fact]
    public async Task SlowReader_DoesNotBlockNotify_DropCountExact()
    {
        var socket = new ObservationSocket();
        using var reader = socket.OpenReader(capacity: 4);
        var callbackCount = 0;
        using var cb = socket.Subscribe(_ => callbackCount++);

        var notify = Task.Run(() =>
        {
            for (var i = 0; i < 10; i++)
            {
                socket.Notify(Obs(ObservationType.Thoughts, id: $"o{i}"), "t1");
            }
        }, Ct);
        await notify.WaitAsync(TimeSpan.FromSeconds(30), Ct); // would hang if Notify waited for the reader

        Assert.Equal(10, callbackCount);
        Assert.Equal(6, reader.DroppedCount);
        var buffered = new List<string>();
        while (reader.TryRead(out var o))
        {
            buffered.Add(o!.Id);
        }

        Assert.Equal(["o6", "o7", "o8", "o9"], buffered); // drop-oldest keeps the newest
        socket.Notify(Obs(ObservationType.Thoughts, id: "o10"), "t1");
        Assert.Equal(6, reader.DroppedCount);
    }

    [Fact]
    public async Task ReadAllAsync_StreamsMatchingEvents_UntilCancelled_ThenUnsubscribes()
    {
        var socket = new ModelSocket();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        var received = new List<ModelEventType>();
        var subscribed = new TaskCompletionSource();
        var reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in socket.ReadAllAsync([ModelEventType.ModelPullEnd, ModelEventType.ModelPullStart], null, 16, cts.Token))
                {
                    received.Add(e.Type);
                    if (received.Count == 2)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, Ct);

        // The reader registers when enumeration starts; wait for it.
        while (socket.SubscriberCount == 0)
        {
            await Task.Delay(10, Ct);
        }

        socket.Notify(Model(ModelEventType.ModelPullStart));
        socket.Notify(Model(ModelEventType.ModelPullProgress));
        socket.Notify(Model(ModelEventType.ModelPullEnd));
        await reading.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.Equal([ModelEventType.ModelPullStart, ModelEventType.ModelPullEnd], received);
        Assert.Equal(0, socket.SubscriberCount);
    }

    [Fact]
    public void Unsubscribe_StopsDelivery_DisposeIsIdempotent()
    {
        var socket = new ConversationSocket();
        var a = 0;
        var b = 0;
        var subA = socket.Subscribe(_ => a++);
        using var subB = socket.Subscribe(_ => b++);
        socket.Notify(Msg(MessageRole.User), "t1");
        subA.Dispose();
        subA.Dispose();
        socket.Notify(Msg(MessageRole.User), "t1");
        Assert.Equal(1, a);
        Assert.Equal(2, b);
        Assert.Equal(1, socket.SubscriberCount);
    }

    [Fact]
    public void Subscriber_CanUnsubscribeItselfDuringNotify()
    {
        var socket = new ModelSocket();
        var count = 0;
        IDisposable? self = null;
        self = socket.Subscribe(_ => { count++; self!.Dispose(); });
        socket.Notify(Model(ModelEventType.CostWarning));
        socket.Notify(Model(ModelEventType.CostWarning));
        Assert.Equal(1, count);
    }

    [Fact]
    public void ThreadFilter_SubscriberWithThread_GetsOnlyThatThread()
    {
        var socket = new ObservationSocket();
        var t1 = new List<string?>();
        var any = new List<string?>();
        using var a = socket.Subscribe(o => t1.Add(o.ThreadId), threadId: "t1");
        using var b = socket.Subscribe(o => any.Add(o.ThreadId));
        socket.Notify(Obs(ObservationType.Plan, "t1"), "t1");
        socket.Notify(Obs(ObservationType.Plan, "t2"), "t2");
        socket.Notify(Obs(ObservationType.ModelPullStart, null), null);
        Assert.Equal(["t1"], t1);
        Assert.Equal(["t1", "t2", null], any);
    }

    [Fact]
    public async Task ConversationSocket_History_HonoursRoleFilterAndLimit()
    {
        var repo = new ConversationRepository(new InMemoryStorageAdapter());
        await repo.AddAsync([Msg(MessageRole.User, "m1"), Msg(MessageRole.Assistant, "m2"), Msg(MessageRole.User, "m3"), Msg(MessageRole.Assistant, "m4")], Ct);
        var socket = new UISystem(null, repo).GetConversationSocket();
        Assert.Equal(["m1", "m3"], (await socket.GetHistoryAsync([MessageRole.User], "t1", null, Ct)).Select(m => m.MessageId));
        Assert.Equal(["m4"], (await socket.GetHistoryAsync([MessageRole.Assistant], "t1", 1, Ct)).Select(m => m.MessageId));
    }

    [Fact]
    public async Task ObservationSocket_History_FiltersTypes_NoRepositoryIsEmpty()
    {
        var repo = new ObservationRepository(new InMemoryStorageAdapter());
        await repo.AddAsync(Obs(ObservationType.Plan, id: "a"), Ct);
        await repo.AddAsync(Obs(ObservationType.Error, id: "b"), Ct);
        await repo.AddAsync(Obs(ObservationType.CostWarning, id: "c"), Ct);
        var ui = new UISystem(repo);
        Assert.Equal(["b"], (await ui.GetObservationSocket().GetHistoryAsync([ObservationType.Error], "t1", null, Ct)).Select(o => o.Id));
        var model = await ui.GetModelSocket().GetHistoryAsync(null, "t1", null, Ct);
        Assert.Equal(ModelEventType.CostWarning, Assert.Single(model).Type);
        Assert.Empty(await new ObservationSocket().GetHistoryAsync(null, "t1", null, Ct));
    }

    [Fact]
    public void UISystem_ReturnsSameInstances()
    {
        var ui = new UISystem();
        Assert.Same(ui.GetObservationSocket(), ui.GetObservationSocket());
        Assert.Same(ui.GetConversationSocket(), ui.GetConversationSocket());
        Assert.Same(ui.GetLlmStreamSocket(), ui.GetLlmStreamSocket());
        Assert.Same(ui.GetModelSocket(), ui.GetModelSocket());
    }

    [Fact]
    public async Task Notify_ConcurrentWithSubscribeAndUnsubscribe_NoErrors()
    {
        var socket = new ObservationSocket();
        var stop = false;
        var notifier = Task.Run(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                socket.Notify(Obs(ObservationType.Plan), "t1");
            }
        }, Ct);
        for (var i = 0; i < 500; i++)
        {
            using var s = socket.Subscribe(_ => { });
        }

        Volatile.Write(ref stop, true);
        await notifier.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(0, socket.SubscriberCount);
    }
}

public sealed class LlmStreamEventKindTests
{
    [Fact]
    public void KindOf_EveryEngineEvent_HasAKind()
    {
        Assert.Equal(Art.UI.LlmStreamEventKind.AttemptRestarted, Art.UI.LlmStreamEvent.KindOf(new Art.Reasoning.AttemptRestarted(2, "i", "m", Art.ProviderErrorKind.Transient)));
        Assert.Equal(Art.UI.LlmStreamEventKind.Thought, Art.UI.LlmStreamEvent.KindOf(new Art.Reasoning.ThoughtDelta("t")));
        Assert.Equal(Art.UI.LlmStreamEventKind.Completed, Art.UI.LlmStreamEvent.KindOf(new Art.Reasoning.Completed(Art.Reasoning.FinishReason.Stop, "i", "m")));
    }
}
