using Art.Models;
using Art.Reasoning;
using Art.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Art.Tests.Reasoning;

public sealed class ScriptedProviderAdapterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<StreamEvent>> CollectAsync(IAsyncEnumerable<StreamEvent> stream)
    {
        var events = new List<StreamEvent>();
        await foreach (var e in stream)
        {
            events.Add(e);
        }

        return events;
    }

    [Fact]
    public async Task StreamAsync_ScriptedResponse_YieldsStepsThenCompletedAndRecordsRequest()
    {
        var adapter = new ScriptedProviderAdapter("i1").Enqueue(
            ScriptedResponse.Create().Thought("hm", "sig").Content("a", "b").ToolCall("calc", """{"x":1}""", "c1").Usage(3, 4, 0.01m));
        var options = new CallOptions { ThreadId = "t", Model = "m1" };

        var events = await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("q"), options, Ct));

        Assert.Equal(6, events.Count);
        Assert.Equal(new ThoughtDelta("hm") { Signature = "sig" }, events[0]);
        Assert.Equal(new ContentDelta("a"), events[1]);
        var call = Assert.IsType<ToolCallRequested>(events[3]).Call;
        Assert.Equal(("c1", "calc", 1), (call.Id, call.Name, call.Arguments.GetProperty("x").GetInt32()));
        Assert.Equal(0.01m, Assert.IsType<UsageReported>(events[4]).ProviderCost);
        Assert.Equal(new Completed(FinishReason.ToolCalls, "i1", "m1"), events[5]);
        var request = Assert.Single(adapter.Requests);
        Assert.Same(options, request.Options);
        Assert.Equal("q", request.Prompt.LastUserText);
    }

    [Theory]
    [InlineData(ProviderErrorKind.RateLimited)]
    [InlineData(ProviderErrorKind.ContentFilter)]
    public async Task StreamAsync_FailureAfterChunks_ThrowsClassifiedErrorMidStream(ProviderErrorKind kind)
    {
        var adapter = new ScriptedProviderAdapter("i1", providerName: "fake").Enqueue(
            ScriptedResponse.Text("x").Fail(kind, "boom", TimeSpan.FromSeconds(2)));
        var seen = new List<StreamEvent>();

        var error = await Assert.ThrowsAsync<ProviderException>(async () =>
        {
            await foreach (var e in adapter.StreamAsync(ArtPrompt.FromUser("q"), new CallOptions { ThreadId = "t" }, Ct))
            {
                seen.Add(e);
            }
        });

        Assert.Equal(kind, error.Kind);
        Assert.Equal("fake", error.Provider);
        Assert.Equal("i1", error.InstanceId);
        Assert.Equal(TimeSpan.FromSeconds(2), error.RetryAfter);
        Assert.Equal([new ContentDelta("x")], seen);
    }

    [Fact]
    public async Task StreamAsync_EmptyQueue_FailsWithClearMessageUnlessDefaultResponse()
    {
        var adapter = new ScriptedProviderAdapter("i1");
        var options = new CallOptions { ThreadId = "t" };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("q"), options, Ct)));
        Assert.Contains("no scripted response left", error.Message, StringComparison.Ordinal);

        adapter.DefaultResponse = ScriptedResponse.Text("default");
        var events = await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("q"), options, Ct));
        Assert.Equal(new ContentDelta("default"), events[0]);
        Assert.Equal(new Completed(FinishReason.Stop, "i1", "scripted-model"), events[^1]);
    }

    [Fact]
    public async Task AbortRequestAsync_HangingRequest_CancelsIt()
    {
        var adapter = new ScriptedProviderAdapter("i1").Enqueue(ScriptedResponse.Hang());
        var run = CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("q"), new CallOptions { ThreadId = "t", RequestId = "r" }, Ct));
        while (adapter.ActiveStreams == 0)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(await adapter.AbortRequestAsync("r"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.False(await adapter.AbortRequestAsync("r"));
        Assert.Equal(0, adapter.ActiveStreams);
    }

    [Fact]
    public async Task StreamAsync_Delay_WaitsOnTheTimeProvider()
    {
        var time = new FakeTimeProvider();
        var adapter = new ScriptedProviderAdapter("i1", time).Enqueue(ScriptedResponse.Create().Delay(TimeSpan.FromSeconds(10)).Content("late"));

        var run = CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("q"), new CallOptions { ThreadId = "t" }, Ct));
        while (adapter.ActiveStreams == 0)
        {
            await Task.Delay(10, Ct);
        }

        Assert.False(run.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10));
        var events = await run.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(new ContentDelta("late"), events[0]);
    }

    [Fact]
    public async Task Factory_CreateAndFor_ReturnTheSameAdapterWithConfiguredModel()
    {
        var factory = new ScriptedProviderFactory();
        var scripted = factory.For("x");

        var created = factory.Create(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "x", Provider = "scripted", Model = "tiny" },
            LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });

        Assert.Same(scripted, created);
        Assert.Equal(["scripted"], factory.ProviderNames);
        Assert.False(factory.RequiresApiKey("scripted"));
        var models = await created.ListModelsAsync(Ct);
        Assert.Equal("tiny", Assert.Single(models).Name);
    }

    [Fact]
    public void ScriptedResponse_AfterTerminalStep_CannotBeExtended()
    {
        var failing = ScriptedResponse.Failure(ProviderErrorKind.Auth);

        Assert.Throws<InvalidOperationException>(() => failing.Content("x"));
        Assert.True(failing.IsTerminated);
        Assert.False(ScriptedResponse.Text("x").IsTerminated);
    }
}
