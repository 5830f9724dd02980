using System.Text.Json;
using Art.Gemini;
using Art.Models;
using Art.Reasoning;
using Art.Testing.Servers;
using Art.Tools;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Providers.Tests.Gemini;

public sealed class GeminiAdapterTests : IAsyncLifetime
{
    private const string Key = "adapter-key-4c3b2a19";
    private GeminiTestServer _server = null!;
    private IProviderAdapter _adapter = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await GeminiTestServer.StartAsync();
        _adapter = Create(new ProviderInstanceConfig { Id = "gem", Provider = "gemini", BaseUrl = _server.InstanceBaseUrl, ApiKey = Key, Model = "gemini-2.5-flash" });
    }

    public async ValueTask DisposeAsync()
    {
        await _adapter.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static IProviderAdapter Create(ProviderInstanceConfig config) =>
        new GeminiProviderFactory().Create(new ProviderAdapterContext { Config = config, LoggerFactory = NullLoggerFactory.Instance });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CallOptions Options => new() { ThreadId = "t" };

    private async Task<List<StreamEvent>> CollectAsync(ArtPrompt prompt, CallOptions options, IProviderAdapter? adapter = null)
    {
        var events = new List<StreamEvent>();
        await foreach (var e in (adapter ?? _adapter).StreamAsync(prompt, options, Ct))
        {
            events.Add(e);
        }

        return events;
    }

    [Fact]
    public async Task StreamAsync_AllOptions_RequestJsonIsGeminiShaped()
    {
        _server.Enqueue(ScriptedTurn.Text("{}"));
        var tool = new ToolSchema
        {
            Name = "find_pet",
            Description = "Finds a pet",
            InputSchema = JsonDocument.Parse("""{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{"Kind":{"type":"string","enum":["cat","dog"]}},"type":"object","properties":{"kind":{"$ref":"#/$defs/Kind"},"age":{"type":["integer","null"]}},"required":["kind"],"additionalProperties":false}""").RootElement,
        };
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}""").RootElement;
        var parameters = new ModelParameters { Temperature = 0.3, TopP = 0.8, TopK = 20, MaxOutputTokens = 512, StopSequences = ["STOP!"], Seed = 42, Think = true, ThinkingBudgetTokens = 2048 };
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47 };

        await CollectAsync(
            new ArtPrompt([ArtMessage.System("Answer in JSON."), ArtMessage.User("Which pet?", [ImageInput.FromBytes(png, "image/png")])]),
            Options with { Parameters = parameters, Tools = [tool], ResponseSchema = schema });

        var request = _server.LastRequest;
        Assert.Equal(Key, request.Header("x-goog-api-key"));
        Assert.DoesNotContain("key=", request.Query, StringComparison.Ordinal);
        var json = request.Json;
        Assert.Equal("""{"parts":[{"text":"Answer in JSON."}]}""", json.GetProperty("systemInstruction").GetRawText());
        Assert.Equal("""[{"role":"user","parts":[{"text":"Which pet?"},{"inlineData":{"mimeType":"image/png","data":"iVBORw=="}}]}]""", json.GetProperty("contents").GetRawText());
        Assert.Equal(
            """{"temperature":0.3,"topP":0.8,"topK":20,"maxOutputTokens":512,"stopSequences":["STOP!"],"seed":42,"candidateCount":1,"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","properties":{"name":{"type":"STRING"}},"required":["name"]},"thinkingConfig":{"includeThoughts":true,"thinkingBudget":2048}}""",
            json.GetProperty("generationConfig").GetRawText());
        Assert.Equal(
            """[{"functionDeclarations":[{"name":"find_pet","description":"Finds a pet","parameters":{"type":"OBJECT","properties":{"kind":{"type":"STRING","format":"enum","enum":["cat","dog"]},"age":{"type":"INTEGER","nullable":true}},"required":["kind"]}}]}]""",
            json.GetProperty("tools").GetRawText());
    }

    [Fact]
    public async Task StreamAsync_Gemini3Effort_SendsThinkingLevelNotBudget()
    {
        _server.Enqueue(ScriptedTurn.Text("ok"));

        await CollectAsync(ArtPrompt.FromUser("hi"), Options with { Model = "gemini-3-pro-preview", Parameters = new ModelParameters { Think = true, ReasoningEffort = "low" } });

        Assert.Equal("""{"includeThoughts":true,"thinkingLevel":"low"}""", _server.LastRequest.Json.GetProperty("generationConfig").GetProperty("thinkingConfig").GetRawText());
    }

    [Fact]
    public async Task StreamAsync_SignaturesFromATurn_AreSentBackOnTheNextTurn()
    {
        _server.ToolCallSignatures["get_weather"] = "Q2FsbFNpZw==";
        _server.Enqueue(new ScriptedTurn
        {
            Parts = [new ScriptedThought("Need the weather."), ScriptedToolCall.Create("get_weather", """{"city":"Oslo"}""")],
            FinishReason = "tool_calls",
            Usage = new ScriptedUsage(10, 30) { ReasoningTokens = 20 },
        });
        var first = await CollectAsync(ArtPrompt.FromUser("Weather in Oslo?"), Options);
        var call = Assert.Single(first.OfType<ToolCallRequested>()).Call;
        Assert.Equal("Q2FsbFNpZw==", call.ProviderSignature);
        Assert.Equal("Need the weather.", string.Concat(first.OfType<ThoughtDelta>().Select(t => t.Text)));
        Assert.Empty(first.OfType<ContentDelta>());
        _server.Enqueue(ScriptedTurn.Text("11C and cloudy."));

        await CollectAsync(
            new ArtPrompt([ArtMessage.User("Weather in Oslo?"), ArtMessage.Assistant(null, [call], [new ThoughtBlock("Need the weather.")]), ArtMessage.ToolResult(call.Id, "get_weather", """{"tempC":11}""")]),
            Options);

        Assert.Equal(
            """[{"role":"user","parts":[{"text":"Weather in Oslo?"}]},{"role":"model","parts":[{"text":"Need the weather.","thought":true},{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}},"thoughtSignature":"Q2FsbFNpZw=="}]},{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"tempC":11}}}]}]""",
            _server.LastRequest.Json.GetProperty("contents").GetRawText());
    }

    [Fact]
    public async Task StreamAsync_FailedToolResult_SentAsErrorResponse()
    {
        var call = new ToolCall("call-1", "get_weather", JsonDocument.Parse("""{"city":"Oslo"}""").RootElement);
        var other = new ToolCall("call-2", "get_time", JsonDocument.Parse("{}").RootElement);
        _server.Enqueue(ScriptedTurn.Text("The weather service is down."));

        await CollectAsync(
            new ArtPrompt(
            [
                ArtMessage.User("Weather in Oslo?"),
                ArtMessage.Assistant(null, [call, other]),
                ArtMessage.ToolResult(call.Id, "get_weather", """{"message":"weather service down"}""", isError: true),
                ArtMessage.ToolResult(other.Id, "get_time", "not json, but fine"),
            ]),
            Options);

        Assert.Equal(
            """[{"functionResponse":{"name":"get_weather","response":{"error":{"message":"weather service down"}}}},{"functionResponse":{"name":"get_time","response":{"output":"not json, but fine"}}}]""",
            _server.LastRequest.Json.GetProperty("contents")[2].GetProperty("parts").GetRawText());
    }

    [Fact]
    public async Task StreamAsync_SignedThoughtBlockBeforeAnswer_SignatureGoesOnTheAnswerPart()
    {
        _server.Enqueue(ScriptedTurn.Text("Fine."));

        await CollectAsync(
            new ArtPrompt([ArtMessage.User("a"), ArtMessage.Assistant("Answer one.", thoughts: [new ThoughtBlock("Plan.") { Signature = "VGV4dFNpZw==" }]), ArtMessage.User("b")]),
            Options);

        Assert.Equal(
            """{"role":"model","parts":[{"text":"Plan.","thought":true},{"text":"Answer one.","thoughtSignature":"VGV4dFNpZw=="}]}""",
            _server.LastRequest.Json.GetProperty("contents")[1].GetRawText());
    }

    [Fact]
    public async Task StreamAsync_Usage_ThoughtsAndCacheNormalised()
    {
        _server.Enqueue(ScriptedTurn.Text("x") with { Usage = new ScriptedUsage(1000, 300) { ReasoningTokens = 200, CachedInputTokens = 400 } });

        var events = await CollectAsync(ArtPrompt.FromUser("hi"), Options);

        // The server sends candidatesTokenCount 100, thoughtsTokenCount 200, cachedContentTokenCount 400.
        Assert.Equal(new TokenUsage { InputTokens = 1000, OutputTokens = 300, ReasoningTokens = 200, CachedInputTokens = 400 }, Assert.Single(events.OfType<UsageReported>()).Usage);
    }

    [Fact]
    public async Task StreamAsync_MaxTokens_CompletesWithLength()
    {
        _server.Enqueue(ScriptedTurn.Text("trunc") with { FinishReason = "length" });

        var events = await CollectAsync(ArtPrompt.FromUser("hi"), Options);

        Assert.Equal(FinishReason.Length, Assert.IsType<Completed>(events[^1]).Reason);
    }

    [Fact]
    public async Task StreamAsync_SafetyStopAfterContent_IsContentFilterErrorNotSuccess()
    {
        _server.Enqueue(ScriptedTurn.Text("Here is how to", " ...") with { FinishReason = "content_filter" });
        var events = new List<StreamEvent>();

        var ex = await Assert.ThrowsAsync<ProviderException>(async () =>
        {
            await foreach (var e in _adapter.StreamAsync(ArtPrompt.FromUser("bad"), Options, Ct))
            {
                events.Add(e);
            }
        });

        Assert.Equal(ProviderErrorKind.ContentFilter, ex.Kind);
        Assert.Contains("SAFETY", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(events, e => e is Completed);
    }

    [Theory]
    [InlineData(ScriptedErrorKind.RateLimited, ProviderErrorKind.RateLimited)]
    [InlineData(ScriptedErrorKind.ServerError, ProviderErrorKind.Transient)]
    [InlineData(ScriptedErrorKind.Overloaded, ProviderErrorKind.Transient)]
    [InlineData(ScriptedErrorKind.BadRequest, ProviderErrorKind.BadRequest)]
    [InlineData(ScriptedErrorKind.ContextLengthExceeded, ProviderErrorKind.ContextLengthExceeded)]
    public async Task StreamAsync_ErrorEventMidStream_RightKindNeverCompleted(ScriptedErrorKind scripted, ProviderErrorKind expected)
    {
        _server.Enqueue(ScriptedTurn.Text("part one ", "part two") with { MidStreamError = new ScriptedError(scripted, "mid-stream failure") { RetryAfterSeconds = 7 }, ErrorAfterParts = 1 });
        var events = new List<StreamEvent>();

        var ex = await Assert.ThrowsAsync<ProviderException>(async () =>
        {
            await foreach (var e in _adapter.StreamAsync(ArtPrompt.FromUser("hi"), Options, Ct))
            {
                events.Add(e);
            }
        });

        Assert.Equal(expected, ex.Kind);
        Assert.Equal("part one ", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
        Assert.DoesNotContain(events, e => e is Completed);
        if (expected == ProviderErrorKind.RateLimited)
        {
            Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        }
    }

    [Fact]
    public async Task StreamAsync_WrongKey_AuthAndKeyNeverInMessage()
    {
        _server.RequiredApiKey = "the-right-key";

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(ArtPrompt.FromUser("hi"), Options));

        Assert.Equal(ProviderErrorKind.Auth, ex.Kind);
        Assert.Equal("API_KEY_INVALID", ex.ProviderErrorCode);
        Assert.Contains("API key not valid", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamAsync_NoKeyAtAll_PermissionDeniedIsAuth()
    {
        _server.RequiredApiKey = "the-right-key";
        var gemini = Environment.GetEnvironmentVariable("GEMINI_API_KEY");
        var google = Environment.GetEnvironmentVariable("GOOGLE_API_KEY");
        try
        {
            Environment.SetEnvironmentVariable("GEMINI_API_KEY", null);
            Environment.SetEnvironmentVariable("GOOGLE_API_KEY", null);
            await using var adapter = Create(new ProviderInstanceConfig { Id = "nokey", Provider = "gemini", BaseUrl = _server.InstanceBaseUrl, Model = "m" });

            var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(ArtPrompt.FromUser("hi"), Options, adapter));

            Assert.Equal(ProviderErrorKind.Auth, ex.Kind);
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, ex.StatusCode);
            Assert.Null(_server.LastRequest.Header("x-goog-api-key"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GEMINI_API_KEY", gemini);
            Environment.SetEnvironmentVariable("GOOGLE_API_KEY", google);
        }
    }

    [Fact]
    public async Task StreamAsync_DailyQuotaExhausted_IsQuotaExceeded()
    {
        _server.EnqueueError(new ScriptedError(ScriptedErrorKind.InsufficientBalance, "You exceeded your current quota, please check your plan and billing details."));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(ArtPrompt.FromUser("hi"), Options));

        Assert.Equal(ProviderErrorKind.QuotaExceeded, ex.Kind);
        Assert.Null(ex.RetryAfter);
    }

    [Fact]
    public async Task ListModelsAsync_OnlyGenerateContentModels_ContextIsInputLimit()
    {
        _server.SetModels([new GeminiModelEntry("gemini-2.5-pro") { InputTokenLimit = 1_048_576, OutputTokenLimit = 65_536 }, new GeminiModelEntry("gemini-embedding-001") { SupportedGenerationMethods = ["embedContent"] }]);

        var models = await _adapter.ListModelsAsync(Ct);

        var model = Assert.Single(models);
        Assert.Equal("gemini-2.5-pro", model.Name);
        Assert.Equal(1_048_576, model.ContextWindow);
        Assert.Equal(65_536, model.MaxOutputTokens);
        Assert.Equal(Key, _server.LastRequest.Header("x-goog-api-key"));
    }

    [Fact]
    public async Task Create_NoKeyInConfig_UsesGoogleApiKeyAsSecondChoice()
    {
        var gemini = Environment.GetEnvironmentVariable("GEMINI_API_KEY");
        var google = Environment.GetEnvironmentVariable("GOOGLE_API_KEY");
        try
        {
            Environment.SetEnvironmentVariable("GEMINI_API_KEY", null);
            Environment.SetEnvironmentVariable("GOOGLE_API_KEY", "google-env-key");
            await using var adapter = Create(new ProviderInstanceConfig { Id = "g2", Provider = "gemini", BaseUrl = _server.InstanceBaseUrl, Model = "m" });
            _server.Enqueue(ScriptedTurn.Text("ok"));

            await CollectAsync(ArtPrompt.FromUser("hi"), Options, adapter);

            Assert.Equal("google-env-key", _server.LastRequest.Header("x-goog-api-key"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GEMINI_API_KEY", gemini);
            Environment.SetEnvironmentVariable("GOOGLE_API_KEY", google);
        }
    }

    [Theory]
    [InlineData("https://generativelanguage.googleapis.com", "https://generativelanguage.googleapis.com/", "v1beta")]
    [InlineData("https://generativelanguage.googleapis.com/v1beta/", "https://generativelanguage.googleapis.com/", "v1beta")]
    [InlineData("https://proxy.example/gemini/v1", "https://proxy.example/gemini", "v1")]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080/", "v1beta")]
    public void SplitBaseUrl_VersionSuffix_IsSplitOff(string input, string root, string version)
    {
        var (r, v) = GeminiProviderFactory.SplitBaseUrl(input);
        Assert.Equal(root, r.ToString());
        Assert.Equal(version, v);
    }

    [Fact]
    public void Factory_Describes_Gemini()
    {
        var factory = new GeminiProviderFactory();
        Assert.Equal(["gemini"], factory.ProviderNames);
        Assert.Equal("GEMINI_API_KEY", factory.ApiKeyEnvironmentVariable("gemini"));
        Assert.True(factory.RequiresApiKey("gemini"));
        Assert.False(factory.IsLocalByDefault("gemini"));
        Assert.Equal("https://generativelanguage.googleapis.com", factory.DefaultBaseUrl("gemini"));
    }
}
