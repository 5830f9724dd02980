using System.Text.Json;
using Art.Costs;
using Art.Models;
using Art.OpenAI;
using Art.Reasoning;
using Art.Testing.Servers;
using Art.Tools;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Providers.Tests.OpenAI;

/// <summary>The JSON each flavour actually sends, the headers, and usage/cost rules, over real HTTP.</summary>
public sealed class OpenAIRequestShapeTests
{
    private const string Key = "sk-shape-test-0123456789";

    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");

    private static OpenAICompatibleFlavor ServerFlavor(string provider) => provider switch
    {
        "deepseek" => OpenAICompatibleFlavor.DeepSeek,
        "openrouter" => OpenAICompatibleFlavor.OpenRouter,
        "openai-compatible" => OpenAICompatibleFlavor.Generic,
        _ => OpenAICompatibleFlavor.OpenAI,
    };

    private static IProviderAdapter Adapter(OpenAICompatibleTestServer server, string provider, string? key = Key, IReadOnlyDictionary<string, string>? headers = null) =>
        new OpenAIProviderFactory().Create(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "shape-" + provider, Provider = provider, BaseUrl = server.InstanceBaseUrl, ApiKey = key, Model = "m-1", Headers = headers },
            LoggerFactory = NullLoggerFactory.Instance,
        });

    private static async Task<List<StreamEvent>> RunAsync(IProviderAdapter adapter, ArtPrompt prompt, CallOptions options)
    {
        var events = new List<StreamEvent>();
        await foreach (var e in adapter.StreamAsync(prompt, options))
        {
            events.Add(e);
        }

        return events;
    }

    private static CallOptions Call(ModelParameters? parameters = null) => new() { ThreadId = "t", Parameters = parameters };

    [Theory]
    [InlineData("openai", "/v1/chat/completions")]
    [InlineData("deepseek", "/chat/completions")]
    [InlineData("openrouter", "/api/v1/chat/completions")]
    [InlineData("openai-compatible", "/v1/chat/completions")]
    public async Task Stream_AnyFlavour_PostsToItsPathWithBearerKeyStreamAndIncludeUsage(string provider, string path)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ServerFlavor(provider));
        await using var adapter = Adapter(server, provider);
        server.Enqueue(ScriptedTurn.Text("ok"));

        await RunAsync(adapter, ArtPrompt.FromUser("hi"), Call());

        var request = server.LastRequest;
        Assert.Equal(path, request.Path);
        Assert.Equal("Bearer " + Key, request.Header("Authorization"));
        var json = request.Json;
        Assert.True(json.GetProperty("stream").GetBoolean());
        Assert.True(json.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Equal("m-1", json.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("openai", "max_completion_tokens", "max_tokens")]
    [InlineData("deepseek", "max_tokens", "max_completion_tokens")]
    [InlineData("openrouter", "max_tokens", "max_completion_tokens")]
    [InlineData("openai-compatible", "max_tokens", "max_completion_tokens")]
    public async Task Stream_MaxOutputTokens_UsesTheFieldEachFlavourDocuments(string provider, string sent, string absent)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(ServerFlavor(provider));
        await using var adapter = Adapter(server, provider);
        server.Enqueue(ScriptedTurn.Text("ok"));

        await RunAsync(adapter, ArtPrompt.FromUser("hi"), Call(new ModelParameters { MaxOutputTokens = 321, Temperature = 0.25 }));

        var json = server.LastRequest.Json;
        Assert.Equal(321, json.GetProperty(sent).GetInt32());
        Assert.False(json.TryGetProperty(absent, out _));
        Assert.Equal(0.25, json.GetProperty("temperature").GetDouble(), 3);
    }

    [Fact]
    public async Task Stream_Images_BytesAsDataUriAndUrlsAsUrls()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync();
        await using var adapter = Adapter(server, "openai");
        server.Enqueue(ScriptedTurn.Text("two images"));
        var prompt = new ArtPrompt([ArtMessage.User("Compare", [ImageInput.FromBytes(Png, "image/png"), ImageInput.FromUrl(new Uri("https://example.com/cat.jpg"))])]);

        await RunAsync(adapter, prompt, Call());

        var parts = server.LastRequest.Json.GetProperty("messages")[0].GetProperty("content").EnumerateArray().ToArray();
        Assert.Equal("text", parts[0].GetProperty("type").GetString());
        Assert.Equal("Compare", parts[0].GetProperty("text").GetString());
        var urls = parts.Where(p => p.GetProperty("type").GetString() == "image_url").Select(p => p.GetProperty("image_url").GetProperty("url").GetString()).ToArray();
        Assert.Equal(["data:image/png;base64," + Convert.ToBase64String(Png), "https://example.com/cat.jpg"], urls);
    }

    [Fact]
    public async Task Stream_ToolsAndHistory_SentAsFunctionToolsCallsAndResults()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync();
        await using var adapter = Adapter(server, "openai");
        server.Enqueue(ScriptedTurn.Text("done"));
        var tool = new ToolSchema
        {
            Name = "get_weather",
            Description = "Weather by city",
            InputSchema = JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""").RootElement,
        };
        var prompt = new ArtPrompt(
        [
            ArtMessage.System("sys"),
            ArtMessage.User("Weather?"),
            ArtMessage.Assistant(null, [new ToolCall("call_9", "get_weather", JsonDocument.Parse("""{"city":"Oslo"}""").RootElement)]),
            ArtMessage.ToolResult("call_9", "get_weather", """{"t":3}"""),
        ]);

        await RunAsync(adapter, prompt, Call() with { Tools = [tool] });

        var json = server.LastRequest.Json;
        var fn = json.GetProperty("tools")[0];
        Assert.Equal("function", fn.GetProperty("type").GetString());
        Assert.Equal("get_weather", fn.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("string", fn.GetProperty("function").GetProperty("parameters").GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        var messages = json.GetProperty("messages");
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        var call = messages[2].GetProperty("tool_calls")[0];
        Assert.Equal("call_9", call.GetProperty("id").GetString());
        Assert.Equal("Oslo", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement.GetProperty("city").GetString());
        Assert.Equal("tool", messages[3].GetProperty("role").GetString());
        Assert.Equal("call_9", messages[3].GetProperty("tool_call_id").GetString());
        Assert.Contains("\"t\":3", messages[3].GetProperty("content").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_FailedToolResult_SentAsPlainToolMessageWithItsText()
    {
        // OpenAI's tool message has no error flag: the result text is what tells the model the tool failed.
        await using var server = await OpenAICompatibleTestServer.StartAsync();
        await using var adapter = Adapter(server, "openai");
        server.Enqueue(ScriptedTurn.Text("done"));
        var prompt = new ArtPrompt(
        [
            ArtMessage.User("Weather?"),
            ArtMessage.Assistant(null, [new ToolCall("call_9", "get_weather", JsonDocument.Parse("""{"city":"Oslo"}""").RootElement)]),
            ArtMessage.ToolResult("call_9", "get_weather", """{"error":"service down"}""", isError: true),
        ]);

        await RunAsync(adapter, prompt, Call());

        var tool = server.LastRequest.Json.GetProperty("messages")[2];
        Assert.Equal("tool", tool.GetProperty("role").GetString());
        Assert.Equal("call_9", tool.GetProperty("tool_call_id").GetString());
        Assert.Equal("""{"error":"service down"}""", tool.GetProperty("content").ValueKind == JsonValueKind.String ? tool.GetProperty("content").GetString() : tool.GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Stream_ResponseSchema_SentAsStrictJsonSchema()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync();
        await using var adapter = Adapter(server, "openai");
        server.Enqueue(ScriptedTurn.Text("""{"a":1}"""));
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false}""").RootElement;

        await RunAsync(adapter, ArtPrompt.FromUser("json"), Call() with { ResponseSchema = schema });

        var format = server.LastRequest.Json.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        var jsonSchema = format.GetProperty("json_schema");
        Assert.True(jsonSchema.GetProperty("strict").GetBoolean());
        Assert.Equal("integer", jsonSchema.GetProperty("schema").GetProperty("properties").GetProperty("a").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Stream_OpenAIReasoningEffort_SentOnlyWhenNamed()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync();
        await using var adapter = Adapter(server, "openai");
        server.Enqueue(ScriptedTurn.Text("a"));
        server.Enqueue(ScriptedTurn.Text("b"));

        await RunAsync(adapter, ArtPrompt.FromUser("x"), Call(new ModelParameters { Think = true }));
        await RunAsync(adapter, ArtPrompt.FromUser("x"), Call(new ModelParameters { ReasoningEffort = "low" }));

        Assert.False(server.Requests[0].Json.TryGetProperty("reasoning_effort", out _), "gpt-4o rejects reasoning_effort: Think alone must not send it");
        Assert.Equal("low", server.Requests[1].Json.GetProperty("reasoning_effort").GetString());
    }

    [Fact]
    public async Task Stream_DeepSeekThink_SendsThinkingObject()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.DeepSeek);
        await using var adapter = Adapter(server, "deepseek");
        server.Enqueue(ScriptedTurn.Text("a"));
        server.Enqueue(ScriptedTurn.Text("b"));

        await RunAsync(adapter, ArtPrompt.FromUser("x"), Call(new ModelParameters { Think = true }));
        await RunAsync(adapter, ArtPrompt.FromUser("x"), Call(new ModelParameters { Think = false }));

        Assert.Equal("enabled", server.Requests[0].Json.GetProperty("thinking").GetProperty("type").GetString());
        Assert.False(server.Requests[0].Json.TryGetProperty("reasoning_effort", out _));
        Assert.Equal("disabled", server.Requests[1].Json.GetProperty("thinking").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Stream_OpenRouter_ReasoningObjectAndAttributionHeaders()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.OpenRouter);
        await using var adapter = Adapter(server, "openrouter", headers: new Dictionary<string, string> { ["HTTP-Referer"] = "https://art.example", ["X-Title"] = "ART tests" });
        server.Enqueue(ScriptedTurn.Text("a"));
        server.Enqueue(ScriptedTurn.Text("b"));

        await RunAsync(adapter, ArtPrompt.FromUser("x"), Call(new ModelParameters { ReasoningEffort = "high" }));
        await RunAsync(adapter, ArtPrompt.FromUser("x"), Call(new ModelParameters { Think = true, ThinkingBudgetTokens = 2048 }));

        var first = server.Requests[0];
        Assert.Equal("high", first.Json.GetProperty("reasoning").GetProperty("effort").GetString());
        Assert.False(first.Json.TryGetProperty("reasoning_effort", out _));
        Assert.Equal("https://art.example", first.Header("HTTP-Referer"));
        Assert.Equal("ART tests", first.Header("X-Title"));
        Assert.Equal(2048, server.Requests[1].Json.GetProperty("reasoning").GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public async Task Stream_ParallelToolCallFragments_AssembledPerIndex()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync();
        await using var adapter = Adapter(server, "openai");
        server.Enqueue(new ScriptedTurn
        {
            Parts =
            [
                ScriptedToolCall.Create("get_weather", """{"city":"Oslo","unit":"celsius","days":3}""", "call_a"),
                ScriptedToolCall.Create("get_time", """{"zone":"Europe/Oslo"}""", "call_b"),
            ],
            FinishReason = "tool_calls",
        });

        var events = await RunAsync(adapter, ArtPrompt.FromUser("x"), Call());

        var calls = events.OfType<ToolCallRequested>().Select(c => c.Call).ToArray();
        Assert.Equal(2, calls.Length);
        Assert.Equal(("call_a", "get_weather"), (calls[0].Id, calls[0].Name));
        Assert.Equal(3, calls[0].Arguments.GetProperty("days").GetInt32());
        Assert.Equal("celsius", calls[0].Arguments.GetProperty("unit").GetString());
        Assert.Equal(("call_b", "get_time"), (calls[1].Id, calls[1].Name));
        Assert.Equal("Europe/Oslo", calls[1].Arguments.GetProperty("zone").GetString());
    }

    [Theory]
    [InlineData(OpenAICompatibleFlavor.DeepSeek, "deepseek")]
    [InlineData(OpenAICompatibleFlavor.OpenRouter, "openrouter")]
    public async Task Stream_KeepAliveComments_AreIgnored(OpenAICompatibleFlavor flavor, string provider)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(flavor);
        server.KeepAliveComments = 25;
        await using var adapter = Adapter(server, provider);
        server.Enqueue(ScriptedTurn.Text("a", "b") with { Usage = new ScriptedUsage(5, 2) });

        var events = await RunAsync(adapter, ArtPrompt.FromUser("x"), Call());

        Assert.Equal("ab", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
        Assert.IsType<Completed>(events[^1]);
    }

    [Fact]
    public async Task Usage_OpenAICachedAndReasoningTokens_GoldenCost()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync();
        await using var adapter = Adapter(server, "openai");
        server.Enqueue(ScriptedTurn.Text("ok") with { Usage = new ScriptedUsage(1000, 500) { CachedInputTokens = 400, ReasoningTokens = 200 } });

        var usage = Assert.Single((await RunAsync(adapter, ArtPrompt.FromUser("x"), Call())).OfType<UsageReported>()).Usage;

        Assert.Equal((1000, 500, 400, 200), (usage.InputTokens, usage.OutputTokens, usage.CachedInputTokens, usage.ReasoningTokens));

        // cached_tokens are inside prompt_tokens and reasoning_tokens inside completion_tokens:
        // 600 * 2.50 + 400 * 1.25 + 500 * 10.00 = 1500 + 500 + 5000 = 7000 per million.
        var pricing = new ModelPricing { InputPerMillion = 2.50m, CachedInputPerMillion = 1.25m, OutputPerMillion = 10m };
        Assert.Equal(0.007m, UsagePricing.Calculate(pricing, usage));
    }

    [Fact]
    public async Task Usage_DeepSeekCacheHitMiss_GoldenCost()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.DeepSeek);
        await using var adapter = Adapter(server, "deepseek");
        server.Enqueue(ScriptedTurn.Text("ok") with { Usage = new ScriptedUsage(1000, 100) { CachedInputTokens = 300, ReasoningTokens = 60 } });

        var usage = Assert.Single((await RunAsync(adapter, ArtPrompt.FromUser("x"), Call())).OfType<UsageReported>()).Usage;

        Assert.Equal((1000, 100, 300, 60), (usage.InputTokens, usage.OutputTokens, usage.CachedInputTokens, usage.ReasoningTokens));

        // miss 700 * 0.27 + hit 300 * 0.07 + output 100 * 1.10 = 189 + 21 + 110 = 320 per million.
        var pricing = new ModelPricing { InputPerMillion = 0.27m, CachedInputPerMillion = 0.07m, OutputPerMillion = 1.10m };
        Assert.Equal(0.00032m, UsagePricing.Calculate(pricing, usage));
    }

    [Fact]
    public async Task Usage_OpenRouterCost_ReportedAsProviderCostWithCacheWrites()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.OpenRouter);
        await using var adapter = Adapter(server, "openrouter");
        server.Enqueue(ScriptedTurn.Text("ok") with { Usage = new ScriptedUsage(310, 58) { ReasoningTokens = 21, CacheWriteTokens = 100, Cost = 0.001860m } });

        var reported = Assert.Single((await RunAsync(adapter, ArtPrompt.FromUser("x"), Call())).OfType<UsageReported>());

        Assert.Equal(0.001860m, reported.ProviderCost);
        Assert.Equal((310, 58, 21, 100), (reported.Usage.InputTokens, reported.Usage.OutputTokens, reported.Usage.ReasoningTokens, reported.Usage.CacheWriteTokens));
    }

    [Theory]
    [InlineData(ScriptedErrorKind.RateLimited, ProviderErrorKind.RateLimited)]
    [InlineData(ScriptedErrorKind.ContextLengthExceeded, ProviderErrorKind.ContextLengthExceeded)]
    [InlineData(ScriptedErrorKind.InsufficientBalance, ProviderErrorKind.QuotaExceeded)]
    [InlineData(ScriptedErrorKind.ServerError, ProviderErrorKind.Transient)]
    public async Task Stream_OpenRouterMidStreamError_ClassifiedFromItsCode(ScriptedErrorKind scripted, ProviderErrorKind expected)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.OpenRouter);
        await using var adapter = Adapter(server, "openrouter");
        server.Enqueue(ScriptedTurn.Text("partial ", "rest") with { MidStreamError = new ScriptedError(scripted), ErrorAfterParts = 1 });
        var events = new List<StreamEvent>();

        var ex = await Assert.ThrowsAsync<ProviderException>(async () =>
        {
            await foreach (var e in adapter.StreamAsync(ArtPrompt.FromUser("x"), Call()))
            {
                events.Add(e);
            }
        });

        Assert.Equal(expected, ex.Kind);
        Assert.Equal("partial ", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
        Assert.DoesNotContain(events, e => e is Completed);
    }

    [Theory]
    [InlineData("retry-after-ms", "1500", 1500)]
    [InlineData("retry-after", "3", 3000)]
    public async Task Stream_RateLimitHeaders_BecomeRetryAfter(string header, string value, int expectedMs)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync();
        await using var adapter = Adapter(server, "openai");
        var body = """{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}""";
        server.EnqueueRaw(RawResponse.Json(429, body) with { Headers = new Dictionary<string, string> { [header] = value } });

        var ex = await Assert.ThrowsAsync<ProviderException>(() => RunAsync(adapter, ArtPrompt.FromUser("x"), Call()));

        Assert.Equal(ProviderErrorKind.RateLimited, ex.Kind);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), ex.RetryAfter);
        Assert.Equal("rate_limit_exceeded", ex.ProviderErrorCode);
        Assert.Single(server.Requests); // the SDK's own retries are off: ART's engine decides

    }

    [Fact]
    public async Task Stream_ErrorEchoingTheKey_KeyIsScrubbed()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync();
        await using var adapter = Adapter(server, "openai");
        server.EnqueueRaw(RawResponse.Json(401, "{\"error\":{\"message\":\"Incorrect API key provided: " + Key + "\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => RunAsync(adapter, ArtPrompt.FromUser("x"), Call()));

        Assert.Equal(ProviderErrorKind.Auth, ex.Kind);
        Assert.DoesNotContain(Key, ex.ToString(), StringComparison.Ordinal);
        Assert.Equal("Bearer " + Key, server.LastRequest.Header("Authorization"));
    }

    [Fact]
    public async Task ListModels_OpenRouter_PricesPerMillionAndContextWindow_RegisteredAsDiscovered()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.OpenRouter);
        await using var adapter = Adapter(server, "openrouter");
        server.SetModelEntries(
        [
            new OpenAICompatibleModelEntry("anthropic/claude-sonnet-4.5")
            {
                Name = "Anthropic: Claude Sonnet 4.5",
                ContextLength = 1_000_000,
                MaxCompletionTokens = 64_000,
                PromptPrice = "0.000003",
                CompletionPrice = "0.000015",
                CacheReadPrice = "0.0000003",
                CacheWritePrice = "0.00000375",
                InputModalities = ["text", "image"],
                SupportedParameters = ["tools", "reasoning", "structured_outputs"],
            },
            new OpenAICompatibleModelEntry("meta-llama/llama-3.2-3b-instruct:free") { ContextLength = 131072, PromptPrice = "0", CompletionPrice = "0" },
        ]);

        var models = await adapter.ListModelsAsync();

        Assert.Equal("/api/v1/models", server.LastRequest.Path);
        Assert.Equal("Bearer " + Key, server.LastRequest.Header("Authorization"));
        var sonnet = models.Single(m => m.Name == "anthropic/claude-sonnet-4.5");
        Assert.Equal(1_000_000, sonnet.ContextWindow);
        Assert.Equal(64_000, sonnet.MaxOutputTokens);
        Assert.Equal(3m, sonnet.Pricing!.InputPerMillion);
        Assert.Equal(15m, sonnet.Pricing.OutputPerMillion);
        Assert.Equal(0.3m, sonnet.Pricing.CachedInputPerMillion);
        Assert.Equal(3.75m, sonnet.Pricing.CacheWritePerMillion);
        Assert.True(sonnet.Capabilities![ModelCapability.Vision]);
        Assert.True(sonnet.Capabilities[ModelCapability.ToolUse]);
        var free = models.Single(m => m.Name.EndsWith(":free", StringComparison.Ordinal));
        Assert.Equal(0m, free.Pricing!.InputPerMillion);

        var infos = OpenRouterModelRegistration.ToModelInfos(models);
        Assert.All(infos, i => Assert.Equal(ModelInfoSource.Discovered, i.Source));
        Assert.Equal(3m, infos.Single(i => i.ModelId == "anthropic/claude-sonnet-4.5").Pricing!.InputPerMillion);
        Assert.Equal("openrouter", infos[0].Provider);
    }

    [Fact]
    public async Task ListModels_Unreachable_TransientNamingTheUrl()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var unreachable = new OpenAIProviderFactory().Create(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "down", Provider = "openai-compatible", BaseUrl = $"http://127.0.0.1:{port}/v1" },
            LoggerFactory = NullLoggerFactory.Instance,
        });

        var ex = await Assert.ThrowsAsync<ProviderException>(() => unreachable.ListModelsAsync());

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Factory_ServesFourProvidersWithKeysAndUrls()
    {
        var factory = new OpenAIProviderFactory();

        Assert.Equal(["openai", "deepseek", "openrouter", "openai-compatible"], factory.ProviderNames);
        Assert.Equal("OPENAI_API_KEY", factory.ApiKeyEnvironmentVariable("openai"));
        Assert.Equal("DEEPSEEK_API_KEY", factory.ApiKeyEnvironmentVariable("deepseek"));
        Assert.Equal("OPENROUTER_API_KEY", factory.ApiKeyEnvironmentVariable("openrouter"));
        Assert.Null(factory.ApiKeyEnvironmentVariable("openai-compatible"));
        Assert.False(factory.RequiresApiKey("openai-compatible"));
        Assert.True(factory.RequiresApiKey("openrouter"));
        Assert.Equal("https://api.openai.com/v1", factory.DefaultBaseUrl("openai"));
        Assert.Equal("https://api.deepseek.com", factory.DefaultBaseUrl("deepseek"));
        Assert.Equal("https://openrouter.ai/api/v1", factory.DefaultBaseUrl("openrouter"));
        Assert.Null(factory.DefaultBaseUrl("openai-compatible"));
        Assert.Throws<ArgumentException>(() => factory.Create(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "c", Provider = "openai-compatible" },
            LoggerFactory = NullLoggerFactory.Instance,
        }));
    }

    [Theory]
    [InlineData("http://localhost:1234/v1", true)]
    [InlineData("http://127.0.0.1:8000/v1", true)]
    [InlineData("https://vllm.internal.example/v1", false)]
    public async Task Compatible_IsLocal_WhenLoopback(string url, bool local)
    {
        await using var adapter = (OpenAIProviderAdapter)new OpenAIProviderFactory().Create(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "c", Provider = "openai-compatible", BaseUrl = url },
            LoggerFactory = NullLoggerFactory.Instance,
        });

        Assert.Equal(local, adapter.IsLocal);
        Assert.Equal(local, OpenAIProviderFactory.IsLocalUrl(url));
    }

    private const string ContentChunk = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"half an ans\"},\"finish_reason\":null}]}\n\n";
    private const string FinishChunk = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m-1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\": \"stop\"}]}\n\n";

    [Fact]
    public async Task Stream_CleanCloseBeforeFinishOrDone_IsTransientNeverTruncatedSuccess()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic);
        await using var adapter = Adapter(server, "openai-compatible");
        server.EnqueueRaw(new RawResponse(200, "text/event-stream", [ContentChunk]));
        var events = new List<StreamEvent>();

        var ex = await Assert.ThrowsAsync<ProviderException>(async () =>
        {
            await foreach (var e in adapter.StreamAsync(ArtPrompt.FromUser("x"), Call()))
            {
                events.Add(e);
            }
        });

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.Equal("half an ans", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
        Assert.DoesNotContain(events, e => e is Completed);
    }

    [Fact]
    public async Task Stream_CloseAfterFinishWithoutDone_CompletesNormally()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic);
        await using var adapter = Adapter(server, "openai-compatible");
        server.EnqueueRaw(new RawResponse(200, "text/event-stream", [ContentChunk, FinishChunk]));

        var events = await RunAsync(adapter, ArtPrompt.FromUser("x"), Call());

        Assert.Equal("half an ans", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
        Assert.Equal(FinishReason.Stop, Assert.IsType<Completed>(events[^1]).Reason);
    }

    [Fact]
    public async Task Stream_ErrorInside200JsonBody_IsClassified()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.OpenRouter);
        await using var adapter = Adapter(server, "openrouter");
        server.EnqueueRaw(RawResponse.Json(200, """{"error":{"code":502,"message":"Provider returned error","metadata":{"provider_name":"Fake","raw":"upstream down"}}}"""));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => RunAsync(adapter, ArtPrompt.FromUser("x"), Call()));

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.Contains("upstream down", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_DeepSeekInsufficientSystemResource_IsTransient()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.DeepSeek);
        await using var adapter = Adapter(server, "deepseek");
        var finish = FinishChunk.Replace("\"stop\"", "\"insufficient_system_resource\"", StringComparison.Ordinal);
        server.EnqueueRaw(new RawResponse(200, "text/event-stream", [ContentChunk, finish, "data: [DONE]\n\n"]));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => RunAsync(adapter, ArtPrompt.FromUser("x"), Call()));

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
    }


    [Fact]
    public async Task Stream_DeepSeekToolTurnThoughts_SentBackAsReasoningContent()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.DeepSeek);
        await using var adapter = Adapter(server, "deepseek");
        server.Enqueue(ScriptedTurn.Text("done"));
        var prompt = new ArtPrompt(
        [
            ArtMessage.User("Weather?"),
            ArtMessage.Assistant(null, [new ToolCall("call_1", "get_weather", JsonDocument.Parse("""{"city":"Oslo"}""").RootElement)], [new ThoughtBlock("I should call the tool.")]),
            ArtMessage.ToolResult("call_1", "get_weather", """{"t":3}"""),
        ]);

        await RunAsync(adapter, prompt, Call());

        var assistant = server.LastRequest.Json.GetProperty("messages")[1];
        Assert.Equal("I should call the tool.", assistant.GetProperty("reasoning_content").GetString());
        var call = assistant.GetProperty("tool_calls")[0];
        Assert.Equal("call_1", call.GetProperty("id").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("Oslo", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement.GetProperty("city").GetString());
        Assert.Equal("call_1", server.LastRequest.Json.GetProperty("messages")[2].GetProperty("tool_call_id").GetString());
    }


    [Fact]
    public async Task Stream_CompatibleWithoutKey_SendsNoAuthorization()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic);
        await using var adapter = Adapter(server, "openai-compatible", key: null);
        server.Enqueue(ScriptedTurn.Text("local"));
        server.SetModels(["qwen3:8b"]);

        var events = await RunAsync(adapter, ArtPrompt.FromUser("x"), Call());
        var models = await adapter.ListModelsAsync();

        Assert.Equal("local", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
        Assert.All(server.Requests, r => Assert.Null(r.Header("Authorization")));
        Assert.Equal("qwen3:8b", Assert.Single(models).Name);
    }


    [Fact]
    public async Task Stream_DeepSeekResponseSchema_JsonModeWithSchemaInstruction()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.DeepSeek);
        await using var adapter = Adapter(server, "deepseek");
        server.Enqueue(ScriptedTurn.Text("""{"a":1}"""));
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}""").RootElement;

        var events = await RunAsync(adapter, ArtPrompt.FromUser("give a"), Call() with { ResponseSchema = schema });

        var json = server.LastRequest.Json;
        Assert.Equal("json_object", json.GetProperty("response_format").GetProperty("type").GetString());
        var instruction = json.GetProperty("messages").EnumerateArray().Last().GetProperty("content").ToString();
        Assert.Contains("JSON", instruction, StringComparison.Ordinal);
        Assert.Contains("\"required\":[\"a\"]", instruction, StringComparison.Ordinal);
        Assert.Equal("""{"a":1}""", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
    }

}
