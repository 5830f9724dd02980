using System.Net;
using System.Text.Json;
using Art.Anthropic;
using Art.Reasoning;
using Art.Testing.Servers;
using Art.Tools;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Providers.Tests.Anthropic;

/// <summary>Request shape, stream mapping, errors and the model list of the Anthropic adapter, over real HTTP.</summary>
public sealed class AnthropicAdapterTests : IAsyncLifetime
{
    private const string Key = "sk-ant-api03-secret-9d2f7c";
    private AnthropicTestServer _server = null!;
    private IProviderAdapter _adapter = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await AnthropicTestServer.StartAsync();
        _adapter = Create(_server.InstanceBaseUrl);
    }

    public async ValueTask DisposeAsync()
    {
        await _adapter.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static IProviderAdapter Create(string baseUrl, ModelParameters? defaults = null) =>
        new AnthropicProviderFactory().Create(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "claude-main", Provider = "anthropic", BaseUrl = baseUrl, ApiKey = Key, Model = "claude-sonnet-4-5", Parameters = defaults },
            LoggerFactory = NullLoggerFactory.Instance,
        });

    private async Task<List<StreamEvent>> RunAsync(ArtPrompt prompt, CallOptions? options = null)
    {
        var events = new List<StreamEvent>();
        await foreach (var e in _adapter.StreamAsync(prompt, options ?? new CallOptions { ThreadId = "t" }))
        {
            events.Add(e);
        }

        return events;
    }

    private async Task<JsonElement> SentAsync(ArtPrompt prompt, ModelParameters? parameters = null, IReadOnlyList<ToolSchema>? tools = null, JsonElement? schema = null)
    {
        _server.Enqueue(ScriptedTurn.Text("ok"));
        await RunAsync(prompt, new CallOptions { ThreadId = "t", Parameters = parameters, Tools = tools, ResponseSchema = schema });
        return _server.LastRequest.Json;
    }

    private static RawResponse Sse(params string[] events) => new(200, "text/event-stream", events);

    private const string Start = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n";
    private const string TextStart = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
    private const string TextDelta = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"partial\"}}\n\n";

    private static string ErrorEvent(string type, string message) =>
        $"event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"{type}\",\"message\":\"{message}\"}}}}\n\n";

    // ---------------------------------------------------------------- request shape

    [Fact]
    public async Task Request_KeyInXApiKeyHeader_VersionHeaderPresent_NoBearer()
    {
        await SentAsync(ArtPrompt.FromUser("hi"));

        var request = _server.LastRequest;
        Assert.Equal("/v1/messages", request.Path);
        Assert.Equal(Key, request.Header("x-api-key"));
        Assert.False(string.IsNullOrEmpty(request.Header("anthropic-version")));
        Assert.Null(request.Header("authorization"));
        Assert.True(request.Json.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task Request_SystemPrompt_IsTopLevelSystemNotAMessage()
    {
        var sent = await SentAsync(ArtPrompt.FromSystemAndUser("You are terse.", "hi"));

        Assert.Equal("You are terse.", sent.GetProperty("system")[0].GetProperty("text").GetString());
        var message = Assert.Single(sent.GetProperty("messages").EnumerateArray());
        Assert.Equal("user", message.GetProperty("role").GetString());
    }

    [Fact]
    public async Task Request_MaxTokens_AlwaysSent_DefaultOrFromParameters()
    {
        Assert.Equal(AnthropicProviderAdapter.DefaultMaxTokens, (await SentAsync(ArtPrompt.FromUser("a"))).GetProperty("max_tokens").GetInt32());
        Assert.Equal(777, (await SentAsync(ArtPrompt.FromUser("b"), new ModelParameters { MaxOutputTokens = 777 })).GetProperty("max_tokens").GetInt32());
        Assert.False((await SentAsync(ArtPrompt.FromUser("c"))).TryGetProperty("thinking", out _));
    }

    [Fact]
    public async Task Request_ThinkingBudget_SentAsEnabledWithRoomAboveTheBudget()
    {
        var sent = await SentAsync(ArtPrompt.FromUser("think"), new ModelParameters { ThinkingBudgetTokens = 2000 });

        Assert.Equal("enabled", sent.GetProperty("thinking").GetProperty("type").GetString());
        Assert.Equal(2000, sent.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());
        Assert.Equal(2000 + AnthropicProviderAdapter.DefaultMaxTokens, sent.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public async Task Request_ThinkingBudgetAboveExplicitMax_IsShrunkBelowMaxTokens()
    {
        var sent = await SentAsync(ArtPrompt.FromUser("think"), new ModelParameters { Think = true, ThinkingBudgetTokens = 5000, MaxOutputTokens = 3000 });

        Assert.Equal(3000, sent.GetProperty("max_tokens").GetInt32());
        Assert.Equal(2999, sent.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());
    }

    [Fact]
    public async Task Request_ThinkWithoutBudget_UsesDefaultBudget_ThinkFalseSendsNoThinking()
    {
        var on = await SentAsync(ArtPrompt.FromUser("think"), new ModelParameters { Think = true });
        Assert.Equal(AnthropicProviderAdapter.DefaultThinkingBudget, on.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());

        var effort = await SentAsync(ArtPrompt.FromUser("think"), new ModelParameters { ReasoningEffort = "high" });
        Assert.Equal(16384, effort.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());

        var off = await SentAsync(ArtPrompt.FromUser("no"), new ModelParameters { Think = false, ThinkingBudgetTokens = 2000 });
        Assert.False(off.TryGetProperty("thinking", out _));
    }

    [Fact]
    public async Task Request_MaxTokensTooSmallForThinking_IsBadRequestBeforeAnythingIsSent()
    {
        var ex = await Assert.ThrowsAsync<ProviderException>(() => RunAsync(ArtPrompt.FromUser("x"), new CallOptions { ThreadId = "t", Parameters = new ModelParameters { Think = true, MaxOutputTokens = 500 } }));

        Assert.Equal(ProviderErrorKind.BadRequest, ex.Kind);
        Assert.Contains("max_tokens", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Request_SamplingStopAndExtra_AreSent()
    {
        var extra = new Dictionary<string, JsonElement> { ["metadata"] = JsonDocument.Parse("""{"user_id":"u-42"}""").RootElement };
        var sent = await SentAsync(ArtPrompt.FromUser("x"), new ModelParameters { Temperature = 0.2, TopP = 0.9, TopK = 40, StopSequences = ["END"], Extra = extra });

        Assert.Equal(0.2, sent.GetProperty("temperature").GetDouble(), 6);
        Assert.Equal(0.9, sent.GetProperty("top_p").GetDouble(), 6);
        Assert.Equal(40, sent.GetProperty("top_k").GetInt32());
        Assert.Equal(["END"], sent.GetProperty("stop_sequences").EnumerateArray().Select(e => e.GetString()).ToArray());
        Assert.Equal("u-42", sent.GetProperty("metadata").GetProperty("user_id").GetString());
    }

    [Fact]
    public async Task Request_Thinking_LeavesOutTemperatureAndTopKWhichTheApiRejects()
    {
        var sent = await SentAsync(ArtPrompt.FromUser("x"), new ModelParameters { ThinkingBudgetTokens = 2048, Temperature = 0.7, TopK = 5, TopP = 0.97 });

        Assert.Equal(2048, sent.GetProperty("thinking").GetProperty("budget_tokens").GetInt32());
        Assert.False(sent.TryGetProperty("temperature", out _));
        Assert.False(sent.TryGetProperty("top_k", out _));
        Assert.Equal(0.97, sent.GetProperty("top_p").GetDouble(), 6);
    }

    [Fact]
    public async Task Request_Images_Base64AndUrlSources()
    {
        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");
        var sent = await SentAsync(new ArtPrompt([ArtMessage.User("compare", [ImageInput.FromBytes(png, "image/png"), ImageInput.FromUrl(new Uri("https://example.com/cat.jpg"), "image/jpeg")])]));

        var content = sent.GetProperty("messages")[0].GetProperty("content");
        Assert.Equal("compare", content[0].GetProperty("text").GetString());
        var inline = content[1].GetProperty("source");
        Assert.Equal("image", content[1].GetProperty("type").GetString());
        Assert.Equal("base64", inline.GetProperty("type").GetString());
        Assert.Equal("image/png", inline.GetProperty("media_type").GetString());
        Assert.Equal(Convert.ToBase64String(png), inline.GetProperty("data").GetString());
        var url = content[2].GetProperty("source");
        Assert.Equal("url", url.GetProperty("type").GetString());
        Assert.Equal("https://example.com/cat.jpg", url.GetProperty("url").GetString());
    }

    [Fact]
    public async Task Request_Tools_AndResponseSchema()
    {
        var tool = new ToolSchema
        {
            Name = "get_weather",
            Description = "Weather for a city",
            InputSchema = JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""").RootElement,
        };
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]}""").RootElement;

        var sent = await SentAsync(ArtPrompt.FromUser("x"), tools: [tool], schema: schema);

        var t = sent.GetProperty("tools")[0];
        Assert.Equal("get_weather", t.GetProperty("name").GetString());
        Assert.Equal("Weather for a city", t.GetProperty("description").GetString());
        Assert.Equal("object", t.GetProperty("input_schema").GetProperty("type").GetString());
        Assert.Equal("string", t.GetProperty("input_schema").GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        var format = sent.GetProperty("output_config").GetProperty("format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.True(format.GetProperty("schema").GetProperty("properties").TryGetProperty("answer", out _));
    }

    [Fact]
    public async Task Request_AssistantTurnBeforeToolResult_SendsThinkingWithSignatureAndRedactedThinkingBack()
    {
        var args = JsonDocument.Parse("""{"city":"Oslo"}""").RootElement;
        var prompt = new ArtPrompt(
        [
            ArtMessage.User("Weather in Oslo?"),
            ArtMessage.Assistant(
                "Let me check.",
                [new ToolCall("toolu_01A", "get_weather", args)],
                [
                    new ThoughtBlock("Need the tool.") { Signature = "EqQBCkYIBRAB-sig" },
                    new ThoughtBlock(string.Empty) { RedactedData = "EmwKAhgBEgy-redacted" },
                    new ThoughtBlock("unsigned thought from another provider"),
                ]),
            ArtMessage.ToolResult("toolu_01A", "get_weather", """{"temp":3}"""),
        ]);

        var sent = await SentAsync(prompt, new ModelParameters { ThinkingBudgetTokens = 1024 });

        var assistant = sent.GetProperty("messages")[1];
        Assert.Equal("assistant", assistant.GetProperty("role").GetString());
        var blocks = assistant.GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(["thinking", "redacted_thinking", "text", "tool_use"], blocks.Select(b => b.GetProperty("type").GetString()).ToArray());
        Assert.Equal("Need the tool.", blocks[0].GetProperty("thinking").GetString());
        Assert.Equal("EqQBCkYIBRAB-sig", blocks[0].GetProperty("signature").GetString());
        Assert.Equal("EmwKAhgBEgy-redacted", blocks[1].GetProperty("data").GetString());
        Assert.Equal("toolu_01A", blocks[3].GetProperty("id").GetString());
        Assert.Equal("Oslo", blocks[3].GetProperty("input").GetProperty("city").GetString());
        var result = sent.GetProperty("messages")[2];
        Assert.Equal("user", result.GetProperty("role").GetString());
        Assert.Equal("tool_result", result.GetProperty("content")[0].GetProperty("type").GetString());
        Assert.Equal("toolu_01A", result.GetProperty("content")[0].GetProperty("tool_use_id").GetString());
        Assert.DoesNotContain("unsigned thought", _server.LastRequest.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_FailedToolResult_SendsIsErrorTrueWithTheErrorText()
    {
        var args = JsonDocument.Parse("""{"city":"Oslo"}""").RootElement;
        var prompt = new ArtPrompt(
        [
            ArtMessage.User("Weather in Oslo?"),
            ArtMessage.Assistant(null, [new ToolCall("toolu_01A", "get_weather", args), new ToolCall("toolu_01B", "get_time", args)]),
            ArtMessage.ToolResult("toolu_01A", "get_weather", """{"error":"weather service down"}""", isError: true),
            ArtMessage.ToolResult("toolu_01B", "get_time", """{"time":"12:00"}"""),
        ]);

        var sent = await SentAsync(prompt, new ModelParameters());

        var results = sent.GetProperty("messages").EnumerateArray()
            .SelectMany(m => m.GetProperty("content").ValueKind == JsonValueKind.Array ? m.GetProperty("content").EnumerateArray() : Enumerable.Empty<JsonElement>())
            .Where(b => b.GetProperty("type").GetString() == "tool_result")
            .ToDictionary(b => b.GetProperty("tool_use_id").GetString()!);
        var failed = results["toolu_01A"];
        Assert.True(failed.GetProperty("is_error").GetBoolean());
        Assert.Equal("""{"error":"weather service down"}""", failed.GetProperty("content").GetString());
        var succeeded = results["toolu_01B"];
        Assert.False(succeeded.TryGetProperty("is_error", out var flag) && flag.GetBoolean());
        Assert.Equal("""{"time":"12:00"}""", succeeded.GetProperty("content").GetString());
    }

    // ---------------------------------------------------------------- stream mapping

    [Fact]
    public async Task Stream_SignatureArrivesOnTheClosingThoughtDelta_RedactedAsRedactedData()
    {
        _server.Enqueue(new ScriptedTurn { Parts = [new ScriptedThought("Consider the options.", "sig-abc"), new AnthropicRedactedThinking("opaque-xyz"), new ScriptedContent("Done.")] });

        var events = await RunAsync(ArtPrompt.FromUser("x"), new CallOptions { ThreadId = "t", Parameters = new ModelParameters { Think = true } });

        var thoughts = events.OfType<ThoughtDelta>().ToList();
        Assert.Equal("Consider the options.", string.Concat(thoughts.Select(t => t.Text)));
        var signed = Assert.Single(thoughts, t => t.Signature is not null);
        Assert.Equal("sig-abc", signed.Signature);
        Assert.True(events.IndexOf(signed) > events.FindLastIndex(e => e is ThoughtDelta { Text.Length: > 0 }));
        Assert.Equal("opaque-xyz", Assert.Single(thoughts, t => t.RedactedData is not null).RedactedData);
        Assert.Equal("Done.", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
    }

    [Fact]
    public async Task Stream_CacheUsage_NormalisedWithoutDoubleCounting()
    {
        _server.Enqueue(ScriptedTurn.Text("ok") with { Usage = new ScriptedUsage(2000, 50) { CachedInputTokens = 1111, CacheWriteTokens = 418 } });

        var events = await RunAsync(ArtPrompt.FromUser("x"));

        // On the wire the server sends input_tokens 471, cache_read 1111, cache_creation 418 (see AnthropicTestServerTests).
        var usage = Assert.Single(events.OfType<UsageReported>()).Usage;
        Assert.Equal(2000, usage.InputTokens);
        Assert.Equal(1111, usage.CachedInputTokens);
        Assert.Equal(418, usage.CacheWriteTokens);
        Assert.Equal(50, usage.OutputTokens);
    }

    [Theory]
    [InlineData("overloaded_error", "Overloaded", ProviderErrorKind.Transient)]
    [InlineData("api_error", "Internal server error", ProviderErrorKind.Transient)]
    [InlineData("rate_limit_error", "Rate limited", ProviderErrorKind.RateLimited)]
    [InlineData("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum", ProviderErrorKind.ContextLengthExceeded)]
    public async Task Stream_MidStreamErrorEvent_ThrowsClassifiedNeverCompletes(string type, string message, ProviderErrorKind kind)
    {
        _server.EnqueueRaw(Sse(Start, TextStart, TextDelta, ErrorEvent(type, message)));

        var events = new List<StreamEvent>();
        var ex = await Assert.ThrowsAsync<ProviderException>(async () =>
        {
            await foreach (var e in _adapter.StreamAsync(ArtPrompt.FromUser("x"), new CallOptions { ThreadId = "t" }))
            {
                events.Add(e);
            }
        });

        Assert.Equal(kind, ex.Kind);
        Assert.Equal(type, ex.ProviderErrorCode);
        Assert.Equal("partial", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
        Assert.DoesNotContain(events, e => e is Completed or UsageReported);
    }

    [Fact]
    public async Task Stream_EndsWithoutStopReasonOrMessageStop_IsTransientNeverTruncatedSuccess()
    {
        _server.EnqueueRaw(Sse(Start, TextStart, TextDelta));

        var events = new List<StreamEvent>();
        var ex = await Assert.ThrowsAsync<ProviderException>(async () =>
        {
            await foreach (var e in _adapter.StreamAsync(ArtPrompt.FromUser("x"), new CallOptions { ThreadId = "t" }))
            {
                events.Add(e);
            }
        });

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.Equal("incomplete_stream", ex.ProviderErrorCode);
        Assert.DoesNotContain(events, e => e is Completed);
    }

    // ---------------------------------------------------------------- HTTP errors

    [Fact]
    public async Task Error529Overloaded_IsTransientWithStatusAndType()
    {
        _server.EnqueueError(new ScriptedError(ScriptedErrorKind.Overloaded));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => RunAsync(ArtPrompt.FromUser("x")));

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.Equal((HttpStatusCode)529, ex.StatusCode);
        Assert.Equal("overloaded_error", ex.ProviderErrorCode);
        Assert.True(ex.IsRetryable);
        Assert.Single(_server.Requests); // no SDK retries: ART's engine owns retry and fallback
    }

    [Theory]
    [InlineData(400, "invalid_request_error", "prompt is too long: 215312 tokens > 200000 maximum", ProviderErrorKind.ContextLengthExceeded)]
    [InlineData(400, "invalid_request_error", "messages.0: bad", ProviderErrorKind.BadRequest)]
    [InlineData(401, "authentication_error", "invalid x-api-key", ProviderErrorKind.Auth)]
    [InlineData(402, "billing_error", "billing", ProviderErrorKind.QuotaExceeded)]
    [InlineData(403, "permission_error", "no access", ProviderErrorKind.Auth)]
    [InlineData(404, "not_found_error", "model: claude-foo", ProviderErrorKind.ModelNotFound)]
    [InlineData(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", ProviderErrorKind.BadRequest)]
    [InlineData(500, "api_error", "Internal server error", ProviderErrorKind.Transient)]
    [InlineData(504, "timeout_error", "timeout", ProviderErrorKind.Transient)]
    [InlineData(529, "overloaded_error", "Overloaded", ProviderErrorKind.Transient)]
    public async Task HttpError_ClassifiedFromStatusAndBody_KeyNeverInMessage(int status, string type, string message, ProviderErrorKind kind)
    {
        _server.EnqueueStatusError(status, type, message);

        var ex = await Assert.ThrowsAsync<ProviderException>(() => RunAsync(ArtPrompt.FromUser("x")));

        Assert.Equal(kind, ex.Kind);
        Assert.Equal((HttpStatusCode)status, ex.StatusCode);
        Assert.Equal(type, ex.ProviderErrorCode);
        Assert.Equal("claude-main", ex.InstanceId);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, ex.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("retry-after", "7", 7000)]
    [InlineData("retry-after-ms", "1500", 1500)]
    public async Task Error429_RetryAfterHonoured(string header, string value, int expectedMs)
    {
        _server.EnqueueStatusError(429, "rate_limit_error", "slow down", new Dictionary<string, string> { [header] = value });

        var ex = await Assert.ThrowsAsync<ProviderException>(() => RunAsync(ArtPrompt.FromUser("x")));

        Assert.Equal(ProviderErrorKind.RateLimited, ex.Kind);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), ex.RetryAfter);
    }

    [Fact]
    public async Task WrongKey_IsAuthAndTheKeyIsNotEchoed()
    {
        _server.ExpectedApiKey = "sk-ant-the-right-one";
        _server.Enqueue(ScriptedTurn.Text("never"));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => RunAsync(ArtPrompt.FromUser("x")));

        Assert.Equal(ProviderErrorKind.Auth, ex.Kind);
        Assert.Contains("invalid x-api-key", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, ex.ToString(), StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- models

    [Fact]
    public async Task ListModels_FollowsPages()
    {
        _server.SetModels(["claude-a", "claude-b", "claude-c", "claude-d", "claude-e"]);
        _server.MaxPageSize = 2;

        var models = await _adapter.ListModelsAsync();

        Assert.Equal(["claude-a", "claude-b", "claude-c", "claude-d", "claude-e"], models.Select(m => m.Name).ToArray());
        Assert.All(models, m => Assert.Equal(200000, m.ContextWindow));
        Assert.All(models, m => Assert.Equal(64000, m.MaxOutputTokens));
        Assert.Equal("Claude A", models[0].DisplayName);
        var pages = _server.Requests.Where(r => r.Path == "/v1/models").ToList();
        Assert.Equal(3, pages.Count);
        Assert.Contains("after_id=claude-b", pages[1].Query, StringComparison.Ordinal);
        Assert.All(pages, p => Assert.Equal(Key, p.Header("x-api-key")));
    }

    [Fact]
    public async Task ListModels_WrongKey_IsAuth()
    {
        _server.ExpectedApiKey = "sk-ant-other";

        var ex = await Assert.ThrowsAsync<ProviderException>(() => _adapter.ListModelsAsync());

        Assert.Equal(ProviderErrorKind.Auth, ex.Kind);
        Assert.DoesNotContain(Key, ex.ToString(), StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- factory

    [Fact]
    public void Factory_DescribesTheProvider()
    {
        var factory = new AnthropicProviderFactory();

        Assert.Equal(["anthropic"], factory.ProviderNames);
        Assert.Equal("ANTHROPIC_API_KEY", factory.ApiKeyEnvironmentVariable("anthropic"));
        Assert.Equal("https://api.anthropic.com", factory.DefaultBaseUrl("anthropic"));
        Assert.True(factory.RequiresApiKey("anthropic"));
        Assert.False(factory.IsLocalByDefault("anthropic"));
        Assert.Throws<ArgumentException>(() => factory.Create(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "x", Provider = "openai" },
            LoggerFactory = NullLoggerFactory.Instance,
        }));
    }

    [Fact]
    public async Task BaseUrlWithV1Suffix_IsAccepted()
    {
        await using var adapter = Create(_server.InstanceBaseUrl + "/v1");
        _server.Enqueue(ScriptedTurn.Text("ok"));

        var events = new List<StreamEvent>();
        await foreach (var e in adapter.StreamAsync(ArtPrompt.FromUser("x"), new CallOptions { ThreadId = "t" }))
        {
            events.Add(e);
        }

        Assert.IsType<Completed>(events[^1]);
        Assert.Equal("/v1/messages", _server.LastRequest.Path);
    }
}
