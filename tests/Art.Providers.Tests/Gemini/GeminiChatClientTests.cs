using System.Net;
using System.Text.Json;
using Art.Gemini;
using Art.Testing.Servers;
using Microsoft.Extensions.AI;

namespace Art.Providers.Tests.Gemini;

public sealed class GeminiChatClientTests : IAsyncLifetime
{
    private const string Key = "test-gemini-key-123";
    private GeminiTestServer _server = null!;
    private GeminiChatClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await GeminiTestServer.StartAsync();
        _client = new GeminiChatClient(new GeminiChatClientOptions { BaseUrl = _server.BaseUri, ApiKey = Key, DefaultModel = "gemini-2.5-flash" });
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<List<ChatResponseUpdate>> StreamAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _client.GetStreamingResponseAsync(messages, options, Ct))
        {
            updates.Add(update);
        }

        return updates;
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ThoughtTextToolCall_MapsPartsAndUsage()
    {
        _server.ToolCallSignatures["get_weather"] = "c2lnLTE=";
        _server.Enqueue(new ScriptedTurn
        {
            Parts = [new ScriptedThought("Thinking about Oslo."), new ScriptedContent("Let me look."), ScriptedToolCall.Create("get_weather", """{"city":"Oslo"}""")],
            Usage = new ScriptedUsage(57, 99) { ReasoningTokens = 78, CachedInputTokens = 7 },
            FinishReason = "tool_calls",
        });

        var updates = await StreamAsync([new ChatMessage(ChatRole.User, "Weather in Oslo?")]);
        var contents = updates.SelectMany(u => u.Contents).ToList();

        Assert.Equal("Thinking about Oslo.", Assert.Single(contents.OfType<TextReasoningContent>()).Text);
        Assert.Equal("Let me look.", string.Concat(contents.OfType<TextContent>().Select(t => t.Text)));
        var call = Assert.Single(contents.OfType<FunctionCallContent>());
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Oslo", ((JsonElement)call.Arguments!["city"]!).GetString());
        Assert.StartsWith(GeminiRequestBuilder.SyntheticCallIdPrefix, call.CallId, StringComparison.Ordinal);
        Assert.Equal("c2lnLTE=", call.AdditionalProperties![GeminiRequestBuilder.ThoughtSignatureKey]);
        var usage = Assert.Single(contents.OfType<UsageContent>()).Details;
        Assert.Equal(57, usage.InputTokenCount);
        Assert.Equal(99, usage.OutputTokenCount);
        Assert.Equal(78, usage.ReasoningTokenCount);
        Assert.Equal(7, usage.CachedInputTokenCount);
        Assert.Equal(ChatFinishReason.ToolCalls, updates[^1].FinishReason);
        Assert.Equal(Key, _server.LastRequest.Header("x-goog-api-key"));
        Assert.DoesNotContain(Key, _server.LastRequest.Path + _server.LastRequest.Query, StringComparison.Ordinal);
        Assert.Equal("/v1beta/models/gemini-2.5-flash:streamGenerateContent", _server.LastRequest.Path);
        Assert.Equal("?alt=sse", _server.LastRequest.Query);
    }

    [Fact]
    public async Task Build_FullOptions_RequestShape()
    {
        _server.Enqueue(ScriptedTurn.Text("ok"));
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"n":{"type":["integer","null"]}},"additionalProperties":false}""").RootElement;
        var options = new ChatOptions
        {
            ModelId = "gemini-2.5-pro",
            Temperature = 0.2f,
            TopP = 0.9f,
            TopK = 40,
            MaxOutputTokens = 256,
            StopSequences = ["END"],
            Seed = 7,
            ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "answer"),
            Tools = [AIFunctionFactory.CreateDeclaration("get_weather", "Weather", JsonDocument.Parse("""{"$schema":"x","type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}""").RootElement)],
            AdditionalProperties = new AdditionalPropertiesDictionary { [GeminiRequestBuilder.IncludeThoughtsKey] = true, [GeminiRequestBuilder.ThinkingBudgetKey] = 1024 },
        };
        var image = new DataContent(new byte[] { 1, 2, 3 }, "image/png");
        await _client.GetResponseAsync(
            [new ChatMessage(ChatRole.System, "Be terse."), new ChatMessage(ChatRole.User, [new TextContent("What is this?"), image])],
            options,
            Ct);

        var json = _server.LastRequest.Json;
        Assert.Equal("/v1beta/models/gemini-2.5-pro:generateContent", _server.LastRequest.Path);
        Assert.Equal("""{"parts":[{"text":"Be terse."}]}""", json.GetProperty("systemInstruction").GetRawText());
        Assert.Equal("""[{"role":"user","parts":[{"text":"What is this?"},{"inlineData":{"mimeType":"image/png","data":"AQID"}}]}]""", json.GetProperty("contents").GetRawText());
        var config = json.GetProperty("generationConfig");
        Assert.Equal(0.2, config.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(0.9, config.GetProperty("topP").GetDouble(), 3);
        Assert.Equal(40, config.GetProperty("topK").GetInt32());
        Assert.Equal(256, config.GetProperty("maxOutputTokens").GetInt32());
        Assert.Equal("""["END"]""", config.GetProperty("stopSequences").GetRawText());
        Assert.Equal(7, config.GetProperty("seed").GetInt64());
        Assert.Equal(1, config.GetProperty("candidateCount").GetInt32());
        Assert.Equal("application/json", config.GetProperty("responseMimeType").GetString());
        Assert.Equal("""{"type":"OBJECT","properties":{"n":{"type":"INTEGER","nullable":true}}}""", config.GetProperty("responseSchema").GetRawText());
        Assert.Equal("""{"includeThoughts":true,"thinkingBudget":1024}""", config.GetProperty("thinkingConfig").GetRawText());
        Assert.Equal(
            """[{"functionDeclarations":[{"name":"get_weather","description":"Weather","parameters":{"type":"OBJECT","properties":{"city":{"type":"STRING"}},"required":["city"]}}]}]""",
            json.GetProperty("tools").GetRawText());
    }

    [Fact]
    public async Task Build_HistoryWithSignatures_RoundTripsThoughtSignatures()
    {
        _server.Enqueue(ScriptedTurn.Text("It is 11C."));
        var call = new FunctionCallContent("gemini-call-abc", "get_weather", new Dictionary<string, object?> { ["city"] = "Oslo" })
        {
            AdditionalProperties = new AdditionalPropertiesDictionary { [GeminiRequestBuilder.ThoughtSignatureKey] = "U0lHLWNhbGw=" },
        };
        var history = new List<ChatMessage>
        {
            new(ChatRole.User, "Weather?"),
            new(ChatRole.Assistant, [new TextReasoningContent("thinking") { ProtectedData = "U0lHLXRob3VnaHQ=" }, new TextReasoningContent(string.Empty) { ProtectedData = "U0lHLXRleHQ=" }, new TextContent("Checking."), call]),
            new(ChatRole.Tool, [new FunctionResultContent("gemini-call-abc", """{"tempC":11}""")]),
        };

        await _client.GetResponseAsync(history, null, Ct);

        Assert.Equal(
            """[{"role":"user","parts":[{"text":"Weather?"}]},{"role":"model","parts":[{"text":"thinking","thought":true,"thoughtSignature":"U0lHLXRob3VnaHQ="},{"text":"Checking.","thoughtSignature":"U0lHLXRleHQ="},{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}},"thoughtSignature":"U0lHLWNhbGw="}]},{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"tempC":11}}}]}]""",
            _server.LastRequest.Json.GetProperty("contents").GetRawText());
    }

    [Fact]
    public async Task GetResponseAsync_UrlImage_IsDownloadedAndInlinedWithoutKey()
    {
        _server.AddFile("/img/cat.png", "image/png", [9, 8, 7, 6]);
        _server.Enqueue(ScriptedTurn.Text("A cat."));
        var url = new Uri(_server.BaseUri, "/img/cat.png");

        var response = await _client.GetResponseAsync([new ChatMessage(ChatRole.User, [new TextContent("What?"), new UriContent(url, "image/png")])], null, Ct);

        Assert.Equal("A cat.", response.Text);
        var download = _server.Requests.Single(r => r.Path == "/img/cat.png");
        Assert.Null(download.Header("x-goog-api-key"));
        var parts = _server.LastRequest.Json.GetProperty("contents")[0].GetProperty("parts");
        Assert.Equal("""{"inlineData":{"mimeType":"image/png","data":"CQgHBg=="}}""", parts[1].GetRawText());
    }

    [Fact]
    public async Task GetResponseAsync_UrlImageTooLarge_FailsBeforeCallingModel()
    {
        using var small = new GeminiChatClient(new GeminiChatClientOptions { BaseUrl = _server.BaseUri, ApiKey = Key, DefaultModel = "m", MaxImageBytes = 3 });
        _server.AddFile("/img/big.png", "image/png", [1, 2, 3, 4, 5]);

        var ex = await Assert.ThrowsAsync<GeminiApiException>(() => small.GetResponseAsync([new ChatMessage(ChatRole.User, [new UriContent(new Uri(_server.BaseUri, "/img/big.png"), "image/png")])], null, Ct));

        Assert.Equal("IMAGE_TOO_LARGE", ex.Reason);
        Assert.DoesNotContain(_server.Requests, r => r.Path.Contains("generateContent", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(ScriptedErrorKind.InvalidApiKey, HttpStatusCode.BadRequest, "INVALID_ARGUMENT", "API_KEY_INVALID")]
    [InlineData(ScriptedErrorKind.PermissionDenied, HttpStatusCode.Forbidden, "PERMISSION_DENIED", null)]
    [InlineData(ScriptedErrorKind.ModelNotFound, HttpStatusCode.NotFound, "NOT_FOUND", null)]
    [InlineData(ScriptedErrorKind.ServerError, HttpStatusCode.InternalServerError, "INTERNAL", null)]
    [InlineData(ScriptedErrorKind.Overloaded, HttpStatusCode.ServiceUnavailable, "UNAVAILABLE", null)]
    public async Task GetResponseAsync_ErrorStatus_ReadsRpcStatus(ScriptedErrorKind kind, HttpStatusCode status, string rpcStatus, string? reason)
    {
        _server.EnqueueError(new ScriptedError(kind));

        var ex = await Assert.ThrowsAsync<GeminiApiException>(() => _client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], null, Ct));

        Assert.Equal(status, ex.StatusCode);
        Assert.Equal(rpcStatus, ex.Status);
        Assert.Equal(reason, ex.Reason);
    }

    [Fact]
    public async Task GetResponseAsync_RateLimited_ReadsRetryInfo()
    {
        _server.EnqueueError(new ScriptedError(ScriptedErrorKind.RateLimited, "You exceeded your current quota") { RetryAfterSeconds = 7 });

        var ex = await Assert.ThrowsAsync<GeminiApiException>(() => _client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], null, Ct));

        Assert.Equal(HttpStatusCode.TooManyRequests, ex.StatusCode);
        Assert.Equal("RESOURCE_EXHAUSTED", ex.Status);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryDelay);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_CutMidStream_ThrowsIncomplete()
    {
        _server.Enqueue(ScriptedTurn.Text("a", "b", "c") with { Faults = new FaultPlan { CutAfterChunks = 2 } });

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => StreamAsync([new ChatMessage(ChatRole.User, "hi")]));

        // A reset can overtake the buffered headers (then SendAsync itself fails); either way the stream never ends cleanly.
        Assert.True(ex is GeminiApiException { IsIncompleteStream: true } or HttpRequestException, ex.ToString());
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ErrorEvent_Throws()
    {
        _server.Enqueue(ScriptedTurn.Text("a", "b") with { MidStreamError = new ScriptedError(ScriptedErrorKind.Overloaded, "The model is overloaded."), ErrorAfterParts = 1 });

        var ex = await Assert.ThrowsAsync<GeminiApiException>(() => StreamAsync([new ChatMessage(ChatRole.User, "hi")]));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.Equal("The model is overloaded.", ex.Message);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_PromptBlocked_ThrowsContentFilter()
    {
        _server.EnqueueError(new ScriptedError(ScriptedErrorKind.ContentFilter));

        var ex = await Assert.ThrowsAsync<GeminiApiException>(() => StreamAsync([new ChatMessage(ChatRole.User, "hi")]));

        Assert.True(ex.IsContentFilter);
        Assert.Equal("SAFETY", ex.Reason);
    }

    [Fact]
    public async Task ListModelsAsync_Paginated_ReadsAllPages()
    {
        _server.ModelsPageSize = 2;
        _server.SetModels([new GeminiModelEntry("gemini-2.5-flash") { InputTokenLimit = 1_048_576, OutputTokenLimit = 65_536 }, new GeminiModelEntry("gemini-2.0-flash"), new GeminiModelEntry("text-embedding-004") { SupportedGenerationMethods = ["embedContent"] }]);

        var models = await _client.ListModelsAsync(Ct);

        Assert.Equal(["gemini-2.5-flash", "gemini-2.0-flash", "text-embedding-004"], models.Select(m => m.Name));
        Assert.Equal(1_048_576, models[0].ContextWindow);
        Assert.Equal(65_536, models[0].MaxOutputTokens);
        Assert.Equal(2, _server.Requests.Count(r => r.Path == "/v1beta/models"));
    }
}
