using System.Text.Json;
using Art.Anthropic;
using Art.Costs;
using Art.Models;
using Art.Reasoning;
using Art.Testing.Servers;
using Art.Tools;
using Microsoft.Extensions.Logging.Abstractions;
using static Art.Providers.Tests.Anthropic.AnthropicRecordings;

namespace Art.Providers.Tests.Anthropic;

/// <summary>
/// Every recording in <c>Recorded/anthropic/</c> replayed through <see cref="AnthropicTestServer"/>: the adapter must
/// yield exactly the content, thoughts (with signatures and redacted data), tool calls, usage or error it holds, and,
/// where the recording has the request, send what the real client sent.
/// </summary>
public sealed class AnthropicRecordedTrafficTests : IAsyncLifetime
{
    private const string Key = "sk-ant-recorded-0c8f1e";
    private AnthropicTestServer _server = null!;
    private IProviderAdapter _adapter = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await AnthropicTestServer.StartAsync();
        _adapter = new AnthropicProviderFactory().Create(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "claude", Provider = "anthropic", BaseUrl = _server.InstanceBaseUrl, ApiKey = Key, Model = "claude-sonnet-4-5" },
            LoggerFactory = NullLoggerFactory.Instance,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _adapter.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<List<StreamEvent>> RunAsync(ArtPrompt prompt, ModelParameters? parameters = null, string? model = null, IReadOnlyList<ToolSchema>? tools = null)
    {
        var events = new List<StreamEvent>();
        await foreach (var e in _adapter.StreamAsync(prompt, new CallOptions { ThreadId = "t", Parameters = parameters, Model = model, Tools = tools }))
        {
            events.Add(e);
        }

        return events;
    }

    private static JsonElement RecordedRequest(JsonElement cassette, int interaction) =>
        cassette.GetProperty("interactions")[interaction].GetProperty("request").GetProperty("parsed_body");

    private static JsonElement RecordedResponse(JsonElement cassette, int interaction) =>
        cassette.GetProperty("interactions")[interaction].GetProperty("response").GetProperty("parsed_body");

    private static string UserText(JsonElement request, int message = 0) =>
        request.GetProperty("messages")[message].GetProperty("content")[0].GetProperty("text").GetString()!;

    private static void AssertJsonEqual(JsonElement expected, JsonElement actual) =>
        Assert.True(JsonElement.DeepEquals(expected, actual), $"expected {expected.GetRawText()}\nactual   {actual.GetRawText()}");

    [Fact]
    public async Task SdkFixture_TextThenToolUse_YieldsTextAndAssembledToolInput()
    {
        var sse = Text("messages-streaming-text-then-tool-use.sse");
        _server.EnqueueRaw(Sse(sse));

        var events = await RunAsync(ArtPrompt.FromUser("What's the weather in Paris?"));

        var expected = FromSse(sse);
        AssertMatches(expected, events);

        // Checked by hand against the file as well.
        Assert.Equal("I'll check the current weather in Paris for you.", expected.Content.ToString());
        var call = Assert.Single(events.OfType<ToolCallRequested>()).Call;
        Assert.Equal("toolu_01NRLabsLyVHZPKxbKvkfSMn", call.Id);
        Assert.Equal("Paris", call.Arguments.GetProperty("location").GetString());
        Assert.Equal(377, Assert.Single(events.OfType<UsageReported>()).Usage.InputTokens);
        Assert.Equal(65, Assert.Single(events.OfType<UsageReported>()).Usage.OutputTokens);
    }

    [Fact]
    public async Task StreamingThinking_YieldsThoughtsWithSignatureOnClosingDeltaAndSendsTheRecordedThinkingRequest()
    {
        var cassette = Json("messages-streaming-thinking.json");
        var sse = Text("messages-streaming-thinking.sse");
        Assert.Equal(sse, cassette.GetProperty("interactions")[0].GetProperty("response").GetProperty("body").GetProperty("string").GetString());
        var recorded = RecordedRequest(cassette, 0);
        _server.EnqueueRaw(Sse(sse));

        var events = await RunAsync(
            ArtPrompt.FromUser(UserText(recorded)),
            new ModelParameters { ThinkingBudgetTokens = recorded.GetProperty("thinking").GetProperty("budget_tokens").GetInt32(), MaxOutputTokens = recorded.GetProperty("max_tokens").GetInt32() },
            recorded.GetProperty("model").GetString());

        var expected = FromSse(sse);
        AssertMatches(expected, events);
        Assert.NotEmpty(expected.Thoughts.ToString());
        Assert.Single(expected.Signatures);

        // The signature arrives on the delta that closes the thinking block: after every piece of its text,
        // before any answer text.
        var signatureAt = events.FindIndex(e => e is ThoughtDelta { Signature: not null });
        Assert.True(signatureAt > events.FindLastIndex(e => e is ThoughtDelta { Text.Length: > 0 }));
        Assert.True(signatureAt < events.FindIndex(e => e is ContentDelta));

        var sent = _server.LastRequest.Json;
        AssertJsonEqual(recorded.GetProperty("thinking"), sent.GetProperty("thinking"));
        AssertJsonEqual(recorded.GetProperty("messages"), sent.GetProperty("messages"));
        Assert.Equal(recorded.GetProperty("max_tokens").GetInt32(), sent.GetProperty("max_tokens").GetInt32());
        Assert.True(sent.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task StreamingRedactedThinking_YieldsRedactedDataNotSignatures()
    {
        var cassette = Json("messages-streaming-redacted-thinking.json");
        var sse = Text("messages-streaming-redacted-thinking.sse");
        Assert.Equal(sse, cassette.GetProperty("interactions")[0].GetProperty("response").GetProperty("body").GetProperty("string").GetString());
        var recorded = RecordedRequest(cassette, 0);
        _server.EnqueueRaw(Sse(sse));

        var events = await RunAsync(
            ArtPrompt.FromUser(UserText(recorded)),
            new ModelParameters { Think = true, ThinkingBudgetTokens = 1024, MaxOutputTokens = 4096 },
            recorded.GetProperty("model").GetString());

        var expected = FromSse(sse);
        Assert.Equal(2, expected.Redacted.Count); // this recording holds two redacted_thinking blocks
        AssertMatches(expected, events);
        Assert.DoesNotContain(events, e => e is ThoughtDelta { Signature: not null });
        AssertJsonEqual(recorded.GetProperty("thinking"), _server.LastRequest.Json.GetProperty("thinking"));
    }

    [Fact]
    public async Task RedactedThinking_IsSentBackAsRedactedThinkingOnTheNextTurn()
    {
        var sse = Text("messages-streaming-redacted-thinking.sse");
        _server.EnqueueRaw(Sse(sse));
        var first = await RunAsync(ArtPrompt.FromUser("trigger"), new ModelParameters { ThinkingBudgetTokens = 1024 });
        var redacted = first.OfType<ThoughtDelta>().Where(t => t.RedactedData is not null).Select(t => t.RedactedData!).ToList();
        Assert.Equal(2, redacted.Count);
        _server.Enqueue(ScriptedTurn.Text("again"));

        await RunAsync(new ArtPrompt(
        [
            ArtMessage.User("trigger"),
            ArtMessage.Assistant(string.Concat(first.OfType<ContentDelta>().Select(c => c.Text)), thoughts: ThoughtBlocksOf(first)),
            ArtMessage.User("and now?"),
        ]));

        var content = _server.LastRequest.Json.GetProperty("messages")[1].GetProperty("content");
        for (var i = 0; i < redacted.Count; i++)
        {
            Assert.Equal("redacted_thinking", content[i].GetProperty("type").GetString());
            Assert.Equal(redacted[i], content[i].GetProperty("data").GetString());
            Assert.False(content[i].TryGetProperty("signature", out _));
        }

        Assert.Equal("text", content[redacted.Count].GetProperty("type").GetString());
    }

    [Fact]
    public async Task PaddedWhitespaceSse_IsReadExactly()
    {
        var sse = Text("messages-streaming-padded-whitespace.sse");
        _server.EnqueueRaw(Sse(sse, piece: 41));

        var events = await RunAsync(ArtPrompt.FromUser("Count from 1 to 5"));

        AssertMatches(FromSse(sse), events);
        Assert.Equal("1\n2\n3\n4\n5", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
    }

    [Fact]
    public async Task HttprrStreaming_ReplayedWithRecordedHeaders_AndRequestMatchesTheRecordedOne()
    {
        var (request, response) = Assert.Single(Httprr("httprr-messages-streaming-raw-http-padded.txt"));
        var (status, headers, body) = ParseHttpResponse(response);
        Assert.Equal(body, Text("messages-streaming-padded-whitespace.sse"));
        Assert.Equal(int.Parse(headers["Content-Length"], System.Globalization.CultureInfo.InvariantCulture), System.Text.Encoding.UTF8.GetByteCount(body));
        _server.EnqueueRaw(new RawResponse(status, headers["Content-Type"], [body]) { Headers = new Dictionary<string, string> { ["request-id"] = headers["Request-Id"] } });
        var recorded = JsonDocument.Parse(request[(request.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]).RootElement;

        var events = await RunAsync(
            ArtPrompt.FromUser(recorded.GetProperty("messages")[0].GetProperty("content").GetString()!),
            new ModelParameters { MaxOutputTokens = recorded.GetProperty("max_tokens").GetInt32(), Temperature = recorded.GetProperty("temperature").GetDouble() },
            recorded.GetProperty("model").GetString());

        AssertMatches(FromSse(body), events);
        var sent = _server.LastRequest.Json;
        Assert.Equal(recorded.GetProperty("model").GetString(), sent.GetProperty("model").GetString());
        Assert.Equal(100, sent.GetProperty("max_tokens").GetInt32());
        Assert.True(sent.TryGetProperty("temperature", out var temperature), _server.LastRequest.Body);
        Assert.Equal(0, temperature.GetDouble());
        Assert.Equal("Count from 1 to 5", sent.GetProperty("messages")[0].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(Key, _server.LastRequest.Header("x-api-key"));
        Assert.NotNull(_server.LastRequest.Header("anthropic-version"));
    }

    [Fact]
    public async Task HttprrNonStreaming_MessageRenderedAsStream_YieldsItsContentAndUsage()
    {
        var (_, response) = Assert.Single(Httprr("httprr-messages-nonstreaming-raw-http.txt"));
        var (status, _, body) = ParseHttpResponse(response);
        Assert.Equal(200, status);
        var message = JsonDocument.Parse(body).RootElement;
        _server.EnqueueRaw(MessageAsSse(message));

        var events = await RunAsync(ArtPrompt.FromUser("hello"));

        AssertMatches(FromMessage(message), events);
        Assert.NotEmpty(string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
    }

    [Fact]
    public async Task VercelToolUseWithoutArgs_YieldsEmptyObjectArguments()
    {
        var framed = FrameVercelChunks(Text("vercel-anthropic-streaming-tool-use-no-args.chunks.txt"));
        _server.EnqueueRaw(Sse(framed));

        var events = await RunAsync(ArtPrompt.FromUser("update"));

        AssertMatches(FromSse(framed), events);
        var call = Assert.Single(events.OfType<ToolCallRequested>()).Call;
        Assert.Equal("updateIssueList", call.Name);
        Assert.Equal(JsonValueKind.Object, call.Arguments.ValueKind);
        Assert.Empty(call.Arguments.EnumerateObject());
        Assert.Equal("I'll update the issue list for you.", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
    }

    [Fact]
    public async Task ThinkingTwoTurns_SignedThinkingIsSentBackExactlyAsRecorded()
    {
        var cassette = Json("messages-thinking-two-turns.json");
        var request1 = RecordedRequest(cassette, 0);
        var request2 = RecordedRequest(cassette, 1);
        var parameters = new ModelParameters { ThinkingBudgetTokens = request1.GetProperty("thinking").GetProperty("budget_tokens").GetInt32(), MaxOutputTokens = request1.GetProperty("max_tokens").GetInt32() };
        var model = request1.GetProperty("model").GetString();

        _server.EnqueueRaw(MessageAsSse(RecordedResponse(cassette, 0)));
        var first = await RunAsync(ArtPrompt.FromUser(UserText(request1)), parameters, model);
        AssertMatches(FromMessage(RecordedResponse(cassette, 0)), first);
        AssertJsonEqual(request1.GetProperty("messages"), _server.LastRequest.Json.GetProperty("messages"));
        AssertJsonEqual(request1.GetProperty("thinking"), _server.LastRequest.Json.GetProperty("thinking"));

        _server.EnqueueRaw(MessageAsSse(RecordedResponse(cassette, 1)));
        var second = await RunAsync(
            new ArtPrompt(
            [
                ArtMessage.User(UserText(request1)),
                ArtMessage.Assistant(string.Concat(first.OfType<ContentDelta>().Select(c => c.Text)), thoughts: ThoughtBlocksOf(first)),
                ArtMessage.User(UserText(request2, 2)),
            ]),
            parameters,
            model);

        AssertMatches(FromMessage(RecordedResponse(cassette, 1)), second);
        AssertJsonEqual(request2.GetProperty("messages"), _server.LastRequest.Json.GetProperty("messages"));
    }

    [Fact]
    public async Task ThinkingToolUseRoundTrip_ThinkingAndToolUseAreSentBackBeforeTheToolResult()
    {
        var cassette = Json("messages-thinking-tool-use-roundtrip.json");
        var request1 = RecordedRequest(cassette, 0);
        var request2 = RecordedRequest(cassette, 1);
        var parameters = new ModelParameters { ThinkingBudgetTokens = 3000, MaxOutputTokens = 4096 };
        var recordedTool = request1.GetProperty("tools")[0];
        var tool = new ToolSchema
        {
            Name = recordedTool.GetProperty("name").GetString()!,
            Description = recordedTool.GetProperty("description").GetString()!,
            InputSchema = recordedTool.GetProperty("input_schema"),
        };

        _server.EnqueueRaw(MessageAsSse(RecordedResponse(cassette, 0)));
        var first = await RunAsync(ArtPrompt.FromUser(UserText(request1)), parameters, "claude-sonnet-4-0", [tool]);
        AssertMatches(FromMessage(RecordedResponse(cassette, 0)), first);
        var sent1 = _server.LastRequest.Json;
        AssertJsonEqual(request1.GetProperty("thinking"), sent1.GetProperty("thinking"));
        AssertJsonEqual(request1.GetProperty("messages"), sent1.GetProperty("messages"));
        Assert.Equal(tool.Name, sent1.GetProperty("tools")[0].GetProperty("name").GetString());
        AssertJsonEqual(recordedTool.GetProperty("input_schema").GetProperty("properties"), sent1.GetProperty("tools")[0].GetProperty("input_schema").GetProperty("properties"));

        var call = Assert.Single(first.OfType<ToolCallRequested>()).Call;
        var toolResult = request2.GetProperty("messages")[2].GetProperty("content")[0];
        _server.EnqueueRaw(MessageAsSse(RecordedResponse(cassette, 1)));
        var second = await RunAsync(
            new ArtPrompt(
            [
                ArtMessage.User(UserText(request1)),
                ArtMessage.Assistant(string.Concat(first.OfType<ContentDelta>().Select(c => c.Text)), [call], ThoughtBlocksOf(first)),
                ArtMessage.ToolResult(call.Id, call.Name, toolResult.GetProperty("content").GetString()!),
            ]),
            parameters,
            "claude-sonnet-4-0",
            [tool]);

        AssertMatches(FromMessage(RecordedResponse(cassette, 1)), second);
        AssertJsonEqual(request2.GetProperty("messages"), _server.LastRequest.Json.GetProperty("messages"));
    }

    [Fact]
    public async Task PromptCacheUsage_CacheReadAndWriteAreCountedOnceAndPricedApart()
    {
        var cassette = Json("messages-prompt-cache-usage.json");
        _server.EnqueueRaw(MessageAsSse(RecordedResponse(cassette, 0)));
        _server.EnqueueRaw(MessageAsSse(RecordedResponse(cassette, 1)));

        var first = await RunAsync(ArtPrompt.FromUser("Please explain what Python is."));
        var second = await RunAsync(ArtPrompt.FromUser("Please explain what Python is."));

        AssertMatches(FromMessage(RecordedResponse(cassette, 0)), first);
        AssertMatches(FromMessage(RecordedResponse(cassette, 1)), second);

        // Recorded: input_tokens 3, cache_read_input_tokens 1111, cache_creation_input_tokens 418, output_tokens 33.
        var usage = Assert.Single(second.OfType<UsageReported>()).Usage;
        Assert.Equal(3 + 1111 + 418, usage.InputTokens);
        Assert.Equal(1111, usage.CachedInputTokens);
        Assert.Equal(418, usage.CacheWriteTokens);
        Assert.Equal(33, usage.OutputTokens);

        // Golden cost (Sonnet prices, USD per million): 3 × 3 + 1111 × 0.30 + 418 × 3.75 + 33 × 15
        // = 9 + 333.3 + 1567.5 + 495 = 2404.8 per million.
        var pricing = new ModelPricing { InputPerMillion = 3m, OutputPerMillion = 15m, CachedInputPerMillion = 0.30m, CacheWritePerMillion = 3.75m };
        Assert.Equal(0.0024048m, UsagePricing.Calculate(pricing, usage));

        // Recorded first call: 3 input, 1111 read, no write, 406 output: 9 + 333.3 + 6090 = 6432.3 per million.
        Assert.Equal(0.0064323m, UsagePricing.Calculate(pricing, Assert.Single(first.OfType<UsageReported>()).Usage));
    }

    [Fact]
    public async Task ImageUrlInput_IsSentAsUrlSourceExactlyAsRecorded()
    {
        var cassette = Json("messages-image-url-input.json");
        var recorded = RecordedRequest(cassette, 0);
        var recordedContent = recorded.GetProperty("messages")[0].GetProperty("content");
        var url = new Uri(recordedContent[1].GetProperty("source").GetProperty("url").GetString()!);
        _server.EnqueueRaw(MessageAsSse(RecordedResponse(cassette, 0)));

        var events = await RunAsync(
            new ArtPrompt([ArtMessage.User(recordedContent[0].GetProperty("text").GetString()!, [ImageInput.FromUrl(url)])]),
            model: recorded.GetProperty("model").GetString());

        AssertMatches(FromMessage(RecordedResponse(cassette, 0)), events);
        AssertJsonEqual(recorded.GetProperty("messages"), _server.LastRequest.Json.GetProperty("messages"));
        Assert.Equal(4096, _server.LastRequest.Json.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public async Task RecordedError400_IsBadRequestWithTheProvidersReason()
    {
        var cassette = Json("messages-error-400-invalid-request.json");
        var response = cassette.GetProperty("interactions")[0].GetProperty("response");
        _server.EnqueueRaw(RawResponse.Json(response.GetProperty("status").GetProperty("code").GetInt32(), response.GetProperty("parsed_body").GetRawText()));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => RunAsync(ArtPrompt.FromUser("What is 2+2?")));

        Assert.Equal(ProviderErrorKind.BadRequest, ex.Kind);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal("invalid_request_error", ex.ProviderErrorCode);
        Assert.Contains("This model does not support effort level 'xhigh'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, ex.ToString(), StringComparison.Ordinal);
    }

    private static List<ThoughtBlock> ThoughtBlocksOf(IEnumerable<StreamEvent> events)
    {
        // What the engine keeps of a turn: thinking text up to the signature that closes each block.
        var blocks = new List<ThoughtBlock>();
        var text = new System.Text.StringBuilder();
        foreach (var thought in events.OfType<ThoughtDelta>())
        {
            if (thought.RedactedData is not null)
            {
                blocks.Add(new ThoughtBlock(string.Empty) { RedactedData = thought.RedactedData });
                continue;
            }

            text.Append(thought.Text);
            if (thought.Signature is not null)
            {
                blocks.Add(new ThoughtBlock(text.ToString()) { Signature = thought.Signature });
                text.Clear();
            }
        }

        return blocks;
    }
}
