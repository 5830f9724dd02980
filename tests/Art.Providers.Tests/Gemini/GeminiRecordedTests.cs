using System.Text.Json;
using System.Text.Json.Nodes;
using Art.Costs;
using Art.Gemini;
using Art.Models;
using Art.Reasoning;
using Art.Testing.Servers;
using Art.Tools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Providers.Tests.Gemini;

/// <summary>Every recording in <c>Recorded/gemini</c>, replayed through the loopback server into the adapter.</summary>
public sealed class GeminiRecordedTests : IAsyncLifetime
{
    private const string Key = "recorded-key-9f8e7d";
    private GeminiTestServer _server = null!;
    private IProviderAdapter _adapter = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await GeminiTestServer.StartAsync();
        _adapter = new GeminiProviderFactory().Create(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "gemini-rec", Provider = "gemini", BaseUrl = _server.InstanceBaseUrl, ApiKey = Key },
            LoggerFactory = NullLoggerFactory.Instance,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _adapter.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<List<StreamEvent>> CollectAsync(ArtPrompt prompt, CallOptions options)
    {
        var events = new List<StreamEvent>();
        await foreach (var e in _adapter.StreamAsync(prompt, options, Ct))
        {
            events.Add(e);
        }

        return events;
    }

    private static string ContentOf(IEnumerable<StreamEvent> events) => string.Concat(events.OfType<ContentDelta>().Select(c => c.Text));

    private static string ThoughtsOf(IEnumerable<StreamEvent> events) => string.Concat(events.OfType<ThoughtDelta>().Select(c => c.Text));

    /// <summary>Base64url (as pydantic-ai re-encodes signatures in its requests) or base64 to bytes.</summary>
    private static byte[] SignatureBytes(string signature)
    {
        var s = signature.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    /// <summary>The recorded request's contents with the ids pydantic-ai adds (ART sends none) and signatures normalised.</summary>
    private static JsonNode NormaliseContents(JsonElement contents)
    {
        var node = JsonNode.Parse(contents.GetRawText())!;
        foreach (var content in node.AsArray())
        {
            content!.AsObject().Remove("role");
            foreach (var part in content["parts"]!.AsArray())
            {
                (part!["functionCall"] as JsonObject)?.Remove("id");
                (part["functionResponse"] as JsonObject)?.Remove("id");
                if (part["thoughtSignature"] is JsonValue signature)
                {
                    part["thoughtSignature"] = Convert.ToBase64String(SignatureBytes(signature.GetValue<string>()));
                }
            }
        }

        return node;
    }

    private static JsonNode Roles(JsonElement contents) => new JsonArray(contents.EnumerateArray().Select(c => (JsonNode?)JsonValue.Create(c.GetProperty("role").GetString())).ToArray());

    private static (ArtPrompt Prompt, CallOptions Options) PromptFrom(GeminiRecording recording)
    {
        var body = recording.RequestBody;
        var messages = new List<ArtMessage>();
        if (body.TryGetProperty("systemInstruction", out var system))
        {
            messages.Add(ArtMessage.System(system.GetProperty("parts")[0].GetProperty("text").GetString()!));
        }

        messages.Add(ArtMessage.User(body.GetProperty("contents")[0].GetProperty("parts")[0].GetProperty("text").GetString()!));
        var options = new CallOptions { ThreadId = "recorded", Model = recording.Model };
        if (body.TryGetProperty("tools", out var tools))
        {
            options = options with { Tools = ToolsFrom(tools) };
        }

        if (body.TryGetProperty("generationConfig", out var config))
        {
            if (config.TryGetProperty("responseSchema", out var schema) || config.TryGetProperty("responseJsonSchema", out schema))
            {
                options = options with { ResponseSchema = schema };
            }

            if (config.TryGetProperty("thinkingConfig", out _))
            {
                options = options with { Parameters = new ModelParameters { Think = true } };
            }
        }

        return (new ArtPrompt(messages), options);
    }

    private static ToolSchema[] ToolsFrom(JsonElement tools) =>
        tools[0].GetProperty("functionDeclarations").EnumerateArray().Select(d => new ToolSchema
        {
            Name = d.GetProperty("name").GetString()!,
            Description = d.GetProperty("description").GetString()!,
            InputSchema = d.TryGetProperty("parameters", out var p) ? p : d.GetProperty("parameters_json_schema"),
        }).ToArray();

    private static void AssertMatches(GeminiRecording recording, List<StreamEvent> events)
    {
        Assert.Equal(recording.Content, ContentOf(events));
        Assert.Equal(recording.Thoughts, ThoughtsOf(events));
        Assert.Equal(recording.TextSignatures, events.OfType<ThoughtDelta>().Where(t => t.Text.Length == 0 && t.Signature is not null).Select(t => t.Signature!));
        var calls = events.OfType<ToolCallRequested>().Select(c => c.Call).ToArray();
        Assert.Equal(recording.Calls.Count, calls.Length);
        for (var i = 0; i < calls.Length; i++)
        {
            Assert.Equal(recording.Calls[i].Name, calls[i].Name);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(recording.Calls[i].Args.GetRawText()), JsonNode.Parse(calls[i].Arguments.GetRawText())), $"args of {calls[i].Name}");
            Assert.Equal(recording.Calls[i].Signature, calls[i].ProviderSignature);
            Assert.False(string.IsNullOrEmpty(calls[i].Id));
        }

        Assert.Equal(recording.Usage, Assert.Single(events.OfType<UsageReported>()).Usage);
        var completed = Assert.IsType<Completed>(events[^1]);
        Assert.Equal(calls.Length > 0 ? FinishReason.ToolCalls : FinishReason.Stop, completed.Reason);
        Assert.Equal(recording.Model, completed.ModelId);
    }

    public static TheoryData<string> SingleTurnFiles => new(
        "replay-generateContent-simple-text.json",
        "replay-streamGenerateContent-simple-text.json",
        "replay-generateContent-function-call.json",
        "replay-streamGenerateContent-function-call.json",
        "replay-generateContent-response-schema.json",
        "replay-streamGenerateContent-response-schema.json",
        "streamGenerateContent-thought-parts.json",
        "generateContent-response-json-schema.json");

    [Theory]
    [MemberData(nameof(SingleTurnFiles))]
    public async Task Replay_SingleTurn_YieldsExactlyTheRecordedResult(string file)
    {
        var recording = Assert.Single(GeminiRecording.Load(file));
        _server.EnqueueRaw(recording.Streaming ? recording.Raw : recording.AsOneEventStream);
        var (prompt, options) = PromptFrom(recording);

        var events = await CollectAsync(prompt, options);

        AssertMatches(recording, events);
        var sent = _server.LastRequest.Json;
        Assert.Equal($"/v1beta/models/{recording.Model}:streamGenerateContent", _server.LastRequest.Path);
        Assert.Equal(Key, _server.LastRequest.Header("x-goog-api-key"));
        Assert.True(JsonNode.DeepEquals(NormaliseContents(recording.RequestBody.GetProperty("contents")), NormaliseContents(sent.GetProperty("contents"))), "contents as recorded");
        Assert.True(JsonNode.DeepEquals(Roles(recording.RequestBody.GetProperty("contents")), Roles(sent.GetProperty("contents"))), "roles as recorded");
        if (recording.RequestBody.TryGetProperty("systemInstruction", out var system))
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(system.GetProperty("parts").GetRawText()), JsonNode.Parse(sent.GetProperty("systemInstruction").GetProperty("parts").GetRawText())), "systemInstruction as recorded");
        }

        if (recording.RequestBody.TryGetProperty("generationConfig", out var config) && config.TryGetProperty("responseSchema", out var recordedSchema))
        {
            // The recorded request already used Gemini's schema subset: converting it must leave it as it was.
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(recordedSchema.GetRawText()), JsonNode.Parse(sent.GetProperty("generationConfig").GetProperty("responseSchema").GetRawText())));
        }

        if (options.ResponseSchema is not null)
        {
            Assert.Equal("application/json", sent.GetProperty("generationConfig").GetProperty("responseMimeType").GetString());
            using var json = JsonDocument.Parse(ContentOf(events));
            Assert.Equal(JsonValueKind.Object, json.RootElement.ValueKind);
        }

        if (recording.RequestBody.TryGetProperty("tools", out var tools))
        {
            var recordedDeclarations = tools[0].GetProperty("functionDeclarations").EnumerateArray().ToArray();
            var sentDeclarations = sent.GetProperty("tools")[0].GetProperty("functionDeclarations").EnumerateArray().ToArray();
            Assert.Equal(recordedDeclarations.Select(d => d.GetProperty("name").GetString()), sentDeclarations.Select(d => d.GetProperty("name").GetString()));
            for (var i = 0; i < recordedDeclarations.Length; i++)
            {
                if (recordedDeclarations[i].TryGetProperty("parameters", out var parameters) && parameters.GetProperty("properties").EnumerateObject().Any())
                {
                    Assert.True(JsonNode.DeepEquals(JsonNode.Parse(parameters.GetRawText()), JsonNode.Parse(sentDeclarations[i].GetProperty("parameters").GetRawText())));
                }
            }
        }
    }

    public static TheoryData<string> NonStreamingFiles => new(
        "replay-generateContent-simple-text.json",
        "replay-generateContent-function-call.json",
        "replay-generateContent-response-schema.json",
        "generateContent-response-json-schema.json",
        "generateContent-thought-parts-tools-two-turns.json");

    [Theory]
    [MemberData(nameof(NonStreamingFiles))]
    public async Task ReplayNonStreaming_ThroughChatClient_YieldsRecordedResult(string file)
    {
        using var client = new GeminiChatClient(new GeminiChatClientOptions { BaseUrl = _server.BaseUri, ApiKey = Key });
        foreach (var recording in GeminiRecording.Load(file))
        {
            _server.EnqueueRaw(recording.Raw);

            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "replay")], new ChatOptions { ModelId = recording.Model }, Ct);

            var contents = response.Messages.SelectMany(m => m.Contents).ToArray();
            Assert.Equal(recording.Content, string.Concat(contents.OfType<TextContent>().Select(t => t.Text)));
            Assert.Equal(recording.Thoughts, string.Concat(contents.OfType<TextReasoningContent>().Select(t => t.Text)));
            Assert.Equal(recording.Calls.Select(c => c.Name), contents.OfType<FunctionCallContent>().Select(c => c.Name));
            Assert.Equal(recording.Usage.InputTokens, response.Usage!.InputTokenCount);
            Assert.Equal(recording.Usage.OutputTokens, response.Usage.OutputTokenCount);
            Assert.Equal(recording.Usage.ReasoningTokens, response.Usage.ReasoningTokenCount ?? 0);
            Assert.Equal($"/v1beta/models/{recording.Model}:generateContent", _server.LastRequest.Path);
        }
    }

    [Theory]
    [InlineData("replay-generateContent-error-404-wrong-model.json")]
    [InlineData("replay-streamGenerateContent-error-404-wrong-model.json")]
    public async Task Replay_404WrongModel_IsModelNotFoundWithProviderMessage(string file)
    {
        var recording = Assert.Single(GeminiRecording.Load(file));
        _server.EnqueueRaw(recording.Raw with { ContentType = "application/json; charset=UTF-8" });

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(ArtPrompt.FromUser("What is the capital of France?"), new CallOptions { ThreadId = "t", Model = recording.Model }));

        Assert.Equal(ProviderErrorKind.ModelNotFound, ex.Kind);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Contains(recording.Error!.Value.GetProperty("message").GetString()!, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_FunctionCallsMultiturn_HistoryMatchesRecordedRequests()
    {
        var turns = GeminiRecording.Load("streamGenerateContent-function-calls-multiturn.json");
        Assert.Equal(3, turns.Count);
        var (prompt, options) = PromptFrom(turns[0]);
        var messages = prompt.Messages.ToList();
        string[] results = ["""{"return_value":"Paris"}""", """{"return_value":"30°C"}"""];
        for (var t = 0; t < turns.Count; t++)
        {
            _server.EnqueueRaw(turns[t].Raw);
            var events = await CollectAsync(new ArtPrompt(messages), options);

            AssertMatches(turns[t], events);
            var sent = _server.LastRequest.Json.GetProperty("contents");
            Assert.True(JsonNode.DeepEquals(NormaliseContents(turns[t].RequestBody.GetProperty("contents")), NormaliseContents(sent)), $"turn {t + 1} contents as recorded");
            Assert.True(JsonNode.DeepEquals(Roles(turns[t].RequestBody.GetProperty("contents")), Roles(sent)), $"turn {t + 1} roles");
            if (t < results.Length)
            {
                var call = Assert.Single(events.OfType<ToolCallRequested>()).Call;
                messages.Add(ArtMessage.Assistant(null, [call]));
                messages.Add(ArtMessage.ToolResult(call.Id, call.Name, results[t]));
            }
        }

        Assert.Equal("The temperature in Paris is 30°C.\n", turns[2].Content);
    }

    [Fact]
    public async Task Replay_FunctionCallThoughtSignature_SignatureRoundTripsOnTheCallPart()
    {
        var turns = GeminiRecording.Load("streamGenerateContent-function-call-thought-signature.json");
        var (prompt, options) = PromptFrom(turns[0]);
        _server.EnqueueRaw(turns[0].Raw);

        var first = await CollectAsync(prompt, options);

        AssertMatches(turns[0], first);
        var call = Assert.Single(first.OfType<ToolCallRequested>()).Call;
        Assert.StartsWith("EpwICpkIAXLI2nx", call.ProviderSignature, StringComparison.Ordinal);
        _server.EnqueueRaw(turns[1].Raw);
        var recordedResult = turns[1].RequestBody.GetProperty("contents")[2].GetProperty("parts")[0].GetProperty("functionResponse").GetProperty("response").GetRawText();

        var second = await CollectAsync(new ArtPrompt([.. prompt.Messages, ArtMessage.Assistant(null, [call]), ArtMessage.ToolResult(call.Id, call.Name, recordedResult)]), options);

        AssertMatches(turns[1], second);
        Assert.Equal("The capital of Mexico is Mexico City.", ContentOf(second));
        var sentPart = _server.LastRequest.Json.GetProperty("contents")[1].GetProperty("parts")[0];
        Assert.Equal(call.ProviderSignature, sentPart.GetProperty("thoughtSignature").GetString());
        var recordedPart = turns[1].RequestBody.GetProperty("contents")[1].GetProperty("parts")[0];
        Assert.Equal(SignatureBytes(recordedPart.GetProperty("thoughtSignature").GetString()!), SignatureBytes(sentPart.GetProperty("thoughtSignature").GetString()!));
        Assert.True(JsonNode.DeepEquals(NormaliseContents(turns[1].RequestBody.GetProperty("contents")), NormaliseContents(_server.LastRequest.Json.GetProperty("contents"))));
    }

    [Fact]
    public async Task Replay_ThoughtPartsTwoTurns_ThoughtsAndTextSignatureGoBackAsRecorded()
    {
        var turns = GeminiRecording.Load("generateContent-thought-parts-tools-two-turns.json");
        var (prompt, options) = PromptFrom(turns[0]);
        _server.EnqueueRaw(turns[0].AsOneEventStream);

        var first = await CollectAsync(prompt, options);

        AssertMatches(turns[0], first);
        Assert.StartsWith("**A Safe Street-Crossing Guide", ThoughtsOf(first), StringComparison.Ordinal);
        Assert.DoesNotContain("**A Safe Street-Crossing Guide", ContentOf(first), StringComparison.Ordinal);

        // Thought blocks as a consumer builds them: a delta with a signature closes the block.
        var blocks = new List<ThoughtBlock>();
        var text = new System.Text.StringBuilder();
        foreach (var delta in first.OfType<ThoughtDelta>())
        {
            text.Append(delta.Text);
            if (delta.Signature is not null)
            {
                blocks.Add(new ThoughtBlock(text.ToString()) { Signature = delta.Signature });
                text.Clear();
            }
        }

        if (text.Length > 0)
        {
            blocks.Add(new ThoughtBlock(text.ToString()));
        }

        var nextUser = turns[1].RequestBody.GetProperty("contents")[2].GetProperty("parts")[0].GetProperty("text").GetString()!;
        _server.EnqueueRaw(turns[1].AsOneEventStream);

        var second = await CollectAsync(new ArtPrompt([.. prompt.Messages, ArtMessage.Assistant(ContentOf(first), thoughts: blocks), ArtMessage.User(nextUser)]), options);

        AssertMatches(turns[1], second);
        Assert.True(JsonNode.DeepEquals(NormaliseContents(turns[1].RequestBody.GetProperty("contents")), NormaliseContents(_server.LastRequest.Json.GetProperty("contents"))), "thought part and signed text part as recorded");
        Assert.Equal("""{"includeThoughts":true}""", _server.LastRequest.Json.GetProperty("generationConfig").GetProperty("thinkingConfig").GetRawText());
    }

    [Fact]
    public async Task Replay_ThoughtParts_GoldenCostCountsThoughtsAsOutput()
    {
        var recording = Assert.Single(GeminiRecording.Load("streamGenerateContent-thought-parts.json"));
        _server.EnqueueRaw(recording.Raw);
        var (prompt, options) = PromptFrom(recording);

        var events = await CollectAsync(prompt, options);

        var usage = Assert.Single(events.OfType<UsageReported>()).Usage;

        // Last usageMetadata of the recording, read by hand: prompt 34, candidates 469, thoughts 787, total 1290.
        Assert.Equal(new TokenUsage { InputTokens = 34, OutputTokens = 469 + 787, ReasoningTokens = 787 }, usage);
        Assert.Equal(1290, usage.TotalTokens);

        // gemini-2.5-pro list price (<=200k prompt): $1.25 in, $10 out (thinking billed as output):
        // 34 * 1.25 + 1256 * 10 = 42.5 + 12560 = 12602.5 per million.
        Assert.Equal(0.0126025m, UsagePricing.Calculate(new ModelPricing { InputPerMillion = 1.25m, OutputPerMillion = 10m }, usage));
    }

    [Fact]
    public async Task Replay_ImageInput_UrlImageIsDownloadedAndInlinedAsRecorded()
    {
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(GeminiRecording.Folder, "generateContent-image-input.json"), Ct));
        var download = document.RootElement.GetProperty("interactions")[0];
        var imageUrl = new Uri(download.GetProperty("request").GetProperty("uri").GetString()!);
        var jpeg = Convert.FromBase64String(download.GetProperty("response").GetProperty("body").GetProperty("string").GetProperty("$binary_base64").GetString()!);
        _server.AddFile(imageUrl.AbsolutePath, "image/jpeg", jpeg);
        var recording = Assert.Single(GeminiRecording.Load("generateContent-image-input.json"));
        _server.EnqueueRaw(recording.AsOneEventStream);
        var recordedParts = recording.RequestBody.GetProperty("contents")[0].GetProperty("parts");
        var localUrl = new Uri(_server.BaseUri, imageUrl.AbsolutePath);

        var events = await CollectAsync(
            new ArtPrompt([ArtMessage.User(recordedParts[0].GetProperty("text").GetString()!, [ImageInput.FromUrl(localUrl)])]),
            new CallOptions { ThreadId = "t", Model = recording.Model });

        AssertMatches(recording, events);
        Assert.Equal("That is a potato.", ContentOf(events));
        Assert.Equal(1822, Assert.Single(events.OfType<UsageReported>()).Usage.TotalTokens);
        var sentInline = _server.LastRequest.Json.GetProperty("contents")[0].GetProperty("parts")[1].GetProperty("inlineData");
        Assert.Equal("image/jpeg", sentInline.GetProperty("mimeType").GetString());
        Assert.Equal(jpeg, Convert.FromBase64String(sentInline.GetProperty("data").GetString()!));
        Assert.Equal(SignatureBytes(recordedParts[1].GetProperty("inlineData").GetProperty("data").GetString()!), jpeg);
        Assert.Null(_server.Requests.Single(r => r.Path == imageUrl.AbsolutePath).Header("x-goog-api-key"));
    }
}
