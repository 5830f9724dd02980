using System.Diagnostics;
using System.Text.Json;
using Art.Reasoning;
using Art.Testing.Servers;
using Art.Tools;
using static Art.Providers.Tests.Ollama.OllamaTestKit;

namespace Art.Providers.Tests.Ollama;

public sealed class OllamaChatTests
{
    [Fact]
    public async Task StreamAsync_TextChunks_ReturnsExactContentUsageAndStop()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.Enqueue(ScriptedTurn.Text("Hel", "lo, ", "world") with { Usage = new ScriptedUsage(12, 3) });

        var result = await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("hi"), Options(), Ct));

        Assert.Equal("Hello, world", result.Content);
        Assert.Equal(["Hel", "lo, ", "world"], result.Events.OfType<ContentDelta>().Select(e => e.Text));
        Assert.Empty(result.Thoughts);
        Assert.Equal(12, result.Usage!.InputTokens);
        Assert.Equal(3, result.Usage.OutputTokens);
        Assert.Equal(0m, result.Events.OfType<UsageReported>().Single().ProviderCost);
        Assert.Equal(new Completed(FinishReason.Stop, "ollama-local", "llama3.2"), result.Completed);
        Assert.Equal("/api/chat", server.LastRequest.Path);
        Assert.True(server.LastRequest.Json.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task StreamAsync_NativeThinkingField_ThoughtsNeverInContent()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.Enqueue(new ScriptedTurn { Parts = [new ScriptedThought("The user wants"), new ScriptedThought(" a greeting."), new ScriptedContent("Hi!")], Usage = new ScriptedUsage(5, 9) });

        var result = await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("hi"), Options() with { Parameters = new ModelParameters { Think = true } }, Ct));

        Assert.Equal("The user wants a greeting.", result.Thoughts);
        Assert.Equal("Hi!", result.Content);
        Assert.True(server.LastRequest.Json.GetProperty("think").GetBoolean());
    }

    [Fact]
    public async Task StreamAsync_ThinkTagsSplitAtEveryPosition_ThoughtsNeverInContent()
    {
        const string text = "<think>a</think>b";
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        for (var split = 1; split < text.Length; split++)
        {
            server.EnqueueContentLines([text[..split], text[split..]]);

            var result = await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("hi"), Options(), Ct));

            Assert.True(result.Thoughts == "a", $"split at {split}: thoughts were '{result.Thoughts}'");
            Assert.True(result.Content == "b", $"split at {split}: content was '{result.Content}'");
        }
    }

    [Fact]
    public async Task StreamAsync_ThinkTagsOneCharacterPerLine_Split()
    {
        const string text = "<think>plan it</think>The answer<think>more</think> is 4.";
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.EnqueueContentLines(text.Select(c => c.ToString()).ToList());

        var result = await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("hi"), Options(), Ct));

        Assert.Equal("plan itmore", result.Thoughts);
        Assert.Equal("The answer is 4.", result.Content);
    }

    [Fact]
    public async Task StreamAsync_ScriptedThinkTagsInContent_SplitAsThoughts()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.ThoughtsAsThinkTags = true;
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.Enqueue(new ScriptedTurn { Parts = [new ScriptedThought("hmm"), new ScriptedContent("42")] });

        var result = await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("q"), Options(), Ct));

        Assert.Equal("hmm", result.Thoughts);
        Assert.Equal("42", result.Content);
    }

    [Fact]
    public async Task StreamAsync_ToolCalls_ParsedArgsIdsAndToolCallsFinish()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.Enqueue(new ScriptedTurn
        {
            Parts =
            [
                new ScriptedThought("call the tool"),
                ScriptedToolCall.Create("get_weather", """{"city":"Oslo","days":[1,2],"opts":{"unit":"celsius"}}""", "call_7fq2m0zd"),
                ScriptedToolCall.Create("get_time", """{"tz":"CET"}"""),
                ScriptedToolCall.Create("get_time", """{"tz":"UTC"}"""),
            ],
            Usage = new ScriptedUsage(184, 41),
        });

        var result = await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("weather?"), Options(), Ct));

        Assert.Equal("call the tool", result.Thoughts);
        Assert.Equal(3, result.ToolCalls.Count);
        var weather = result.ToolCalls[0];
        Assert.Equal("call_7fq2m0zd", weather.Id);
        Assert.Equal("get_weather", weather.Name);
        Assert.Equal("Oslo", weather.Arguments.GetProperty("city").GetString());
        Assert.Equal(2, weather.Arguments.GetProperty("days")[1].GetInt32());
        Assert.Equal("celsius", weather.Arguments.GetProperty("opts").GetProperty("unit").GetString());
        Assert.Equal("UTC", result.ToolCalls[2].Arguments.GetProperty("tz").GetString());

        // Synthesised ids: present, distinct, shaped like Ollama's.
        Assert.StartsWith("call_", result.ToolCalls[1].Id, StringComparison.Ordinal);
        Assert.NotEqual(result.ToolCalls[1].Id, result.ToolCalls[2].Id);
        Assert.Equal(FinishReason.ToolCalls, result.Completed!.Reason);
    }

    [Fact]
    public async Task StreamAsync_RequestShape_ImagesToolsFormatOptionsKeepAlive()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl, parameters: new ModelParameters { Temperature = 0.9, KeepAlive = "-1" });
        server.Enqueue(ScriptedTurn.Text("ok"));
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 1, 2, 3 };
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"items":{"type":"array","items":{"type":"object","properties":{"n":{"type":"integer"}}}}},"required":["items"]}""").RootElement;
        var toolSchema = JsonDocument.Parse("""{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string"}},"city":{"type":"string","enum":["Oslo","Rome"]}},"required":["city"]}""").RootElement;
        var prompt = new ArtPrompt(
        [
            ArtMessage.System("Be brief."),
            ArtMessage.User("What is this?", [ImageInput.FromBytes(png, "image/png"), ImageInput.FromBase64("QUJD", "image/jpeg"), ImageInput.FromUrl(new Uri("data:image/gif;base64,R0lG"))]),
            ArtMessage.Assistant(null, [new ToolCall("call_1", "lookup", JsonDocument.Parse("""{"q":"x","n":[1,{"k":true}]}""").RootElement)], [new ThoughtBlock("I should look it up")]),
            ArtMessage.ToolResult("call_1", "lookup", """{"found":true}"""),
        ]);
        var options = Options() with
        {
            Model = "llava:7b",
            Tools = [new ToolSchema { Name = "weather", Description = "Weather for a city.", InputSchema = toolSchema }],
            ResponseSchema = schema,
            Parameters = new ModelParameters { Temperature = 0.2, TopP = 0.8, TopK = 40, StopSequences = ["END"], MaxOutputTokens = 100, ContextSize = 8192, Seed = 42, Think = false },
        };

        await CollectAsync(adapter.StreamAsync(prompt, options, Ct));

        var json = server.LastRequest.Json;
        Assert.Equal("llava:7b", json.GetProperty("model").GetString());
        var messages = json.GetProperty("messages");
        Assert.Equal(["system", "user", "assistant", "tool"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal([Convert.ToBase64String(png), "QUJD", "R0lG"], messages[1].GetProperty("images").EnumerateArray().Select(i => i.GetString()));
        var call = messages[2].GetProperty("tool_calls")[0];
        Assert.Equal("lookup", call.GetProperty("function").GetProperty("name").GetString());
        Assert.True(call.GetProperty("function").GetProperty("arguments").GetProperty("n")[1].GetProperty("k").GetBoolean());
        Assert.Equal("I should look it up", messages[2].GetProperty("thinking").GetString());
        Assert.Equal("lookup", messages[3].GetProperty("tool_name").GetString());
        Assert.Equal("""{"found":true}""", messages[3].GetProperty("content").GetString());

        var tool = json.GetProperty("tools")[0];
        Assert.Equal("function", tool.GetProperty("type").GetString());
        Assert.Equal("weather", tool.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal(toolSchema.GetRawText(), tool.GetProperty("function").GetProperty("parameters").GetRawText());
        Assert.Equal(schema.GetRawText(), json.GetProperty("format").GetRawText());

        var o = json.GetProperty("options");
        Assert.Equal(0.2, o.GetProperty("temperature").GetDouble(), 5);
        Assert.Equal(0.8, o.GetProperty("top_p").GetDouble(), 5);
        Assert.Equal(40, o.GetProperty("top_k").GetInt32());
        Assert.Equal(["END"], o.GetProperty("stop").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(100, o.GetProperty("num_predict").GetInt32());
        Assert.Equal(8192, o.GetProperty("num_ctx").GetInt32());
        Assert.Equal(42, o.GetProperty("seed").GetInt32());
        Assert.Equal("-1s", json.GetProperty("keep_alive").GetString());
        Assert.False(json.GetProperty("think").GetBoolean());
    }

    [Fact]
    public async Task StreamAsync_ReasoningEffort_SendsThinkLevel()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.Enqueue(ScriptedTurn.Text("ok"));

        await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options("gpt-oss:20b") with { Parameters = new ModelParameters { ReasoningEffort = "High" } }, Ct));

        Assert.Equal("high", server.LastRequest.Json.GetProperty("think").GetString());
    }

    [Fact]
    public async Task StreamAsync_ThinkNotAskedAndUnknownModel_OmitsThink_ButShowThinkingEnablesIt()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.AddModel(new OllamaTestModel("qwen3:8b") { Capabilities = ["completion", "tools", "thinking"] });
        server.Enqueue(ScriptedTurn.Text("a"));
        server.Enqueue(ScriptedTurn.Text("b"));

        await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options("qwen3:8b"), Ct));
        Assert.False(server.LastRequest.Json.TryGetProperty("think", out _));

        await adapter.ShowModelAsync("qwen3:8b", Ct);
        await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options("qwen3:8b"), Ct));
        Assert.True(server.LastRequest.Json.GetProperty("think").GetBoolean());
    }

    [Fact]
    public async Task StreamAsync_ImageUrl_FetchedAndSentAsBase64()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var images = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.Enqueue(ScriptedTurn.Text("a cat"));

        // The second fake answers GET / with "Ollama is running": any bytes serve as an image here.
        var url = new Uri(images.InstanceBaseUrl + "/");
        await CollectAsync(adapter.StreamAsync(new ArtPrompt([ArtMessage.User("what?", [ImageInput.FromUrl(url)])]), Options(), Ct));

        var sent = server.LastRequest.Json.GetProperty("messages")[0].GetProperty("images")[0].GetString();
        Assert.Equal("Ollama is running", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(sent!)));
    }

    [Fact]
    public async Task StreamAsync_ImageUrlOverLimit_ClearBadRequestAndNoChatSent()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var images = await OllamaTestServer.StartAsync();
        await using var adapter = new Art.Ollama.OllamaProviderAdapter(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "ollama-local", Provider = "ollama", BaseUrl = server.InstanceBaseUrl, Model = "llava" },
            LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        })
        { MaxImageBytes = 5 };

        var url = new Uri(images.InstanceBaseUrl + "/?sig=secret");
        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(adapter.StreamAsync(new ArtPrompt([ArtMessage.User("what?", [ImageInput.FromUrl(url)])]), Options(), Ct)));

        Assert.Equal(ProviderErrorKind.BadRequest, ex.Kind);
        Assert.Contains("larger than the 5 bytes limit", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
        Assert.Equal(20L * 1024 * 1024, Art.Ollama.OllamaProviderAdapter.DefaultMaxImageBytes);
    }

    [Fact]
    public async Task StreamAsync_NonStreamingShapeReplayed_ReturnsThinkingAndToolCall()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.EnqueueRaw(RawResponse.Json(200, """{"model":"m","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"","thinking":"t","tool_calls":[{"function":{"name":"f","arguments":{"a":1}}}]},"done":true,"done_reason":"stop","prompt_eval_count":3,"eval_count":4}"""));

        var result = await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), Ct));

        Assert.Equal("t", result.Thoughts);
        Assert.Equal(1, Assert.Single(result.ToolCalls).Arguments.GetProperty("a").GetInt32());
        Assert.Equal(FinishReason.ToolCalls, result.Completed!.Reason);
    }

    [Fact]
    public async Task AbortRequestAsync_DuringStream_EndsWithin200msAndServerSeesDisconnect()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        // One content line, then a server that keeps the stream open without its done line.
        server.EnqueueRaw(new RawResponse(200, "application/x-ndjson", ["""{"model":"m","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"first"},"done":false}""" + "\n"])
        {
            Faults = new FaultPlan { HoldOpenAfterLastChunk = TimeSpan.FromMinutes(1) },
        });

        var stream = adapter.StreamAsync(ArtPrompt.FromUser("long"), Options(requestId: "req-42"), Ct);
        await using var enumerator = stream.GetAsyncEnumerator(Ct);
        using var setup = new CancellationTokenSource(Generous);
        Assert.True(await enumerator.MoveNextAsync().AsTask().WaitAsync(setup.Token));
        Assert.Equal("first", Assert.IsType<ContentDelta>(enumerator.Current).Text);

        var pending = enumerator.MoveNextAsync().AsTask();
        var watch = Stopwatch.StartNew();
        Assert.True(await adapter.AbortRequestAsync("req-42"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        watch.Stop();

        Assert.True(watch.ElapsedMilliseconds < 200, $"abort took {watch.ElapsedMilliseconds} ms");
        Assert.True(await server.WaitForClientDisconnectAsync(Generous));
        Assert.False(await adapter.AbortRequestAsync("req-42"));
    }

    [Fact]
    public async Task StreamAsync_CancelledToken_StopsAndServerSeesDisconnect()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.Enqueue(ScriptedTurn.Text("a", "b", "c", "d", "e", "f") with { Faults = new FaultPlan { DelayBetweenChunks = TimeSpan.FromMilliseconds(300) } });
        using var cts = new CancellationTokenSource();

        var received = new List<StreamEvent>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), cts.Token))
            {
                received.Add(e);
                await cts.CancelAsync();
            }
        });

        Assert.Single(received);
        Assert.True(await server.WaitForClientDisconnectAsync(Generous));
    }

    [Fact]
    public async Task StreamAsync_NoModelAnywhere_BadRequest()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl, model: null);

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), Ct)));

        Assert.Equal(ProviderErrorKind.BadRequest, ex.Kind);
        Assert.Empty(server.Requests);
    }
}
