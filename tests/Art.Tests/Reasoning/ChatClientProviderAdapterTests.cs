using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Art.Models;
using Art.Reasoning;
using Art.Tools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Tests.Reasoning;

public sealed class ChatClientProviderAdapterTests
{
    private sealed class ScriptedChatClient(Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, IAsyncEnumerable<ChatResponseUpdate>> stream) : IChatClient
    {
        public List<ChatMessage> LastMessages { get; } = [];

        public ChatOptions? LastOptions { get; private set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("streaming only");

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            LastMessages.Clear();
            LastMessages.AddRange(messages);
            LastOptions = options;
            return stream(messages, options, cancellationToken);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class TestAdapter(ProviderInstanceConfig config, IChatClient client, bool split = false)
        : ChatClientProviderAdapter(config, client, NullLogger.Instance)
    {
        protected override bool SplitThinkTags => split;

        public override Task<IReadOnlyList<ProviderModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<ProviderModelInfo>>([]);

        protected override ProviderException ClassifyError(Exception exception) =>
            exception is HttpRequestException { StatusCode: { } status }
                ? ProviderErrors.FromHttpStatus("test", InstanceId, (int)status, exception.Message, apiKey: Config.ApiKey)
                : new ProviderException(ProviderErrorKind.Transient, exception.Message, "test", InstanceId);
    }

    private static readonly ProviderInstanceConfig Config = new() { Id = "t1", Provider = "test", Model = "m1", ApiKey = "secret-key-xyz" };

    private static async IAsyncEnumerable<ChatResponseUpdate> Updates(IEnumerable<ChatResponseUpdate> updates, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var u in updates)
        {
            ct.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return u;
        }
    }

    private static async Task<List<StreamEvent>> Collect(IProviderAdapter adapter, ArtPrompt prompt, CallOptions options)
    {
        var list = new List<StreamEvent>();
        await foreach (var e in adapter.StreamAsync(prompt, options))
        {
            list.Add(e);
        }

        return list;
    }

    [Fact]
    public async Task StreamAsync_MixedUpdates_MapsToEventsInOrder()
    {
        var client = new ScriptedChatClient((_, _, ct) => Updates(
        [
            new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent("hmm")]),
            new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent(string.Empty) { ProtectedData = "sig" }]),
            new ChatResponseUpdate(ChatRole.Assistant, "Hi"),
            new ChatResponseUpdate(ChatRole.Assistant, [new FunctionCallContent("c1", "calc", new Dictionary<string, object?> { ["x"] = 2 })]),
            new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, CachedInputTokenCount = 3 })], FinishReason = ChatFinishReason.ToolCalls },
        ], ct));
        await using var adapter = new TestAdapter(Config, client);

        var events = await Collect(adapter, ArtPrompt.FromUser("q"), new CallOptions { ThreadId = "t" });

        Assert.Collection(events,
            e => Assert.Equal("hmm", Assert.IsType<ThoughtDelta>(e).Text),
            e => Assert.Equal("sig", Assert.IsType<ThoughtDelta>(e).Signature),
            e => Assert.Equal("Hi", Assert.IsType<ContentDelta>(e).Text),
            e =>
            {
                var call = Assert.IsType<ToolCallRequested>(e).Call;
                Assert.Equal(("c1", "calc", 2), (call.Id, call.Name, call.Arguments.GetProperty("x").GetInt32()));
            },
            e =>
            {
                var usage = Assert.IsType<UsageReported>(e).Usage;
                Assert.Equal((10L, 5L, 3L), (usage.InputTokens, usage.OutputTokens, usage.CachedInputTokens));
            },
            e => Assert.Equal(new Completed(FinishReason.ToolCalls, "t1", "m1"), e));
    }

    [Fact]
    public async Task StreamAsync_PromptAndOptions_MappedToChatMessagesAndOptions()
    {
        var client = new ScriptedChatClient((_, _, ct) => Updates([new ChatResponseUpdate(ChatRole.Assistant, "ok")], ct));
        await using var adapter = new TestAdapter(Config with { Parameters = new ModelParameters { Temperature = 0.1, TopK = 7 } }, client);
        var schema = JsonDocument.Parse("""{"type":"object"}""").RootElement;
        var prompt = new ArtPrompt(
        [
            ArtMessage.System("sys"),
            ArtMessage.User("look", [ImageInput.FromBytes(new byte[] { 1, 2, 3 }, "image/png")]),
            ArtMessage.Assistant("calling", [new ToolCall("c9", "f", JsonDocument.Parse("""{"a":1}""").RootElement)], [new ThoughtBlock("t") { Signature = "s1" }]),
            ArtMessage.ToolResult("c9", "f", "42"),
        ]);
        var options = new CallOptions
        {
            ThreadId = "t",
            Model = "m2",
            Parameters = new ModelParameters { Temperature = 0.7, MaxOutputTokens = 99, StopSequences = ["END"], ReasoningEffort = "high" },
            Tools = [new ToolSchema { Name = "f", Description = "d", InputSchema = schema }],
            ResponseSchema = schema,
        };

        var events = await Collect(adapter, prompt, options);

        Assert.Equal("m2", Assert.IsType<Completed>(events[^1]).ModelId);
        var o = client.LastOptions!;
        Assert.Equal(("m2", 0.7f, 7, 99), (o.ModelId, o.Temperature, o.TopK, o.MaxOutputTokens));
        Assert.Equal(["END"], o.StopSequences!);
        Assert.Equal(ReasoningEffort.High, o.Reasoning!.Effort);
        Assert.Equal("f", Assert.Single(o.Tools!).Name);
        Assert.IsType<ChatResponseFormatJson>(o.ResponseFormat);
        var m = client.LastMessages;
        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.Tool], m.Select(x => x.Role));
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(m[1].Contents.OfType<DataContent>()).Data.ToArray());
        Assert.Equal("s1", Assert.Single(m[2].Contents.OfType<TextReasoningContent>()).ProtectedData);
        Assert.Equal("c9", Assert.Single(m[2].Contents.OfType<FunctionCallContent>()).CallId);
        Assert.Equal("42", Assert.Single(m[3].Contents.OfType<FunctionResultContent>()).Result);
    }

    [Fact]
    public async Task StreamAsync_ThinkTagsSplitAcrossUpdates_WhenEnabled()
    {
        var client = new ScriptedChatClient((_, _, ct) => Updates(
            new[] { "<thi", "nk>why", "</th", "ink>\n\nbecause" }.Select(t => new ChatResponseUpdate(ChatRole.Assistant, t)), ct));
        await using var adapter = new TestAdapter(Config, client, split: true);

        var events = await Collect(adapter, ArtPrompt.FromUser("q"), new CallOptions { ThreadId = "t" });

        Assert.Equal("why", string.Concat(events.OfType<ThoughtDelta>().Select(t => t.Text)));
        Assert.Equal("because", string.Concat(events.OfType<ContentDelta>().Select(t => t.Text)));
    }

    [Fact]
    public async Task StreamAsync_ErrorMidStream_ClassifiedAndKeyRedacted()
    {
        static async IAsyncEnumerable<ChatResponseUpdate> Failing([EnumeratorCancellation] CancellationToken ct = default)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, "par");
            throw new HttpRequestException("bad key secret-key-xyz", null, HttpStatusCode.Unauthorized);
        }

        await using var adapter = new TestAdapter(Config, new ScriptedChatClient((_, _, ct) => Failing(ct)));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => Collect(adapter, ArtPrompt.FromUser("q"), new CallOptions { ThreadId = "t" }));

        Assert.Equal(ProviderErrorKind.Auth, ex.Kind);
        Assert.DoesNotContain("secret-key-xyz", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AbortRequestAsync_RunningRequest_CancelsAndUnregisters()
    {
        static async IAsyncEnumerable<ChatResponseUpdate> Endless([EnumeratorCancellation] CancellationToken ct = default)
        {
            while (true)
            {
                await Task.Delay(20, ct);
                yield return new ChatResponseUpdate(ChatRole.Assistant, "x");
            }
        }

        await using var adapter = new TestAdapter(Config, new ScriptedChatClient((_, _, ct) => Endless(ct)));
        var seen = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in adapter.StreamAsync(ArtPrompt.FromUser("q"), new CallOptions { ThreadId = "t", RequestId = "r1" }))
            {
                if (++seen == 2)
                {
                    Assert.True(await adapter.AbortRequestAsync("r1"));
                }
            }
        });

        Assert.False(await adapter.AbortRequestAsync("r1"));
        Assert.False(await adapter.AbortRequestAsync("never-started"));
    }

    [Fact]
    public async Task StreamAsync_NoModelAnywhere_ConfigurationErrorNamingInstance()
    {
        await using var adapter = new TestAdapter(Config with { Model = null }, new ScriptedChatClient((_, _, ct) => Updates([], ct)));

        var ex = await Assert.ThrowsAsync<ArtConfigurationException>(() => Collect(adapter, ArtPrompt.FromUser("q"), new CallOptions { ThreadId = "t" }));

        Assert.Contains("t1", ex.Message, StringComparison.Ordinal);
    }
}
