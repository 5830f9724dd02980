using System.Net;
using System.Text.Json;
using Art.Models;
using Art.Reasoning;
using Art.Testing.Servers;
using Art.Tools;
using static Art.Providers.Tests.Ollama.OllamaTestKit;

namespace Art.Providers.Tests.Ollama;

/// <summary>Every replayable recording in Recorded/ollama, served byte for byte; expectations computed from the bytes by an independent parser.</summary>
public sealed class OllamaRecordedTests
{
    [Theory]
    [InlineData("api-chat-stream-local.response.ndjson", "gemma3:1b", "application/x-ndjson")]
    [InlineData("api-chat-stream-after-pull.response.ndjson", "gemma3:1b", "application/x-ndjson")]
    [InlineData("api-chat-format-json-schema-stream.response.ndjson", "gemma3:1b", "application/x-ndjson")]
    [InlineData("cloud-api-chat-stream-thinking.response.ndjson", "gpt-oss:120b", "application/json")] // as ollama.com served it
    [InlineData("cloud-api-chat-tool-call-thinking.response.json", "gpt-oss:120b", "application/json")]
    public async Task StreamAsync_RecordedChatBody_YieldsExactlyItsContentThoughtsToolCallsUsage(string file, string model, string contentType)
    {
        var body = ReadRecorded(file);
        var expected = ParseChatBody(body);
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl, model: model);
        server.EnqueueRaw(new RawResponse(200, contentType, Lines(body)));

        var result = await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("replay"), Options(), Ct));

        Assert.Equal(expected.Content, result.Content);
        Assert.Equal(expected.Thinking, result.Thoughts);
        Assert.Equal(expected.ToolCalls.Count, result.ToolCalls.Count);
        for (var i = 0; i < expected.ToolCalls.Count; i++)
        {
            Assert.Equal(expected.ToolCalls[i].Name, result.ToolCalls[i].Name);
            Assert.Equal(expected.ToolCalls[i].Args, result.ToolCalls[i].Arguments.GetRawText());
            if (expected.ToolCalls[i].Id is { } id)
            {
                Assert.Equal(id, result.ToolCalls[i].Id);
            }
        }

        Assert.Equal(expected.InputTokens, result.Usage!.InputTokens);
        Assert.Equal(expected.OutputTokens, result.Usage.OutputTokens);
        Assert.Equal(expected.ToolCalls.Count > 0 ? FinishReason.ToolCalls : FinishReason.Stop, result.Completed!.Reason);
        Assert.Equal(model, result.Completed.ModelId);
    }

    [Fact]
    public async Task StreamAsync_RecordedValues_CheckedByHand()
    {
        // Literal values read from the files, so the independent parser above is itself checked.
        var thinking = ParseChatBody(ReadRecorded("cloud-api-chat-stream-thinking.response.ndjson"));
        Assert.Equal(74, thinking.InputTokens);
        Assert.Equal(57, thinking.OutputTokens);
        Assert.StartsWith("User asks: \"", thinking.Thinking, StringComparison.Ordinal);
        Assert.EndsWith("5", thinking.Content.TrimEnd(), StringComparison.Ordinal);

        var tool = ParseChatBody(ReadRecorded("cloud-api-chat-tool-call-thinking.response.json"));
        Assert.Equal(("call_mo1wm122", "getWeather", """{"location":"San Francisco, CA"}"""), Assert.Single(tool.ToolCalls));
        Assert.Equal("User asks about weather in San Francisco. Use function getWeather.", tool.Thinking);

        var schema = ParseChatBody(ReadRecorded("api-chat-format-json-schema-stream.response.ndjson"));
        Assert.Equal(25, schema.InputTokens);
        Assert.Equal(10, schema.OutputTokens);
        Assert.True(JsonDocument.Parse(schema.Content).RootElement.GetProperty("feet").GetDouble() > 6000);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task StreamAsync_RecordedJsonSchemaRequest_SentFormatMatchesRecordedRequest()
    {
        var recordedRequest = JsonDocument.Parse(ReadRecorded("api-chat-format-json-schema-stream.request.json")).RootElement;
        var body = ReadRecorded("api-chat-format-json-schema-stream.response.ndjson");
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl, model: "gemma3:1b");
        server.EnqueueRaw(new RawResponse(200, "application/x-ndjson", Lines(body)));

        var result = await CollectAsync(adapter.StreamAsync(
            ArtPrompt.FromUser(recordedRequest.GetProperty("messages")[0].GetProperty("content").GetString()!),
            Options() with { ResponseSchema = recordedRequest.GetProperty("format"), Parameters = new ModelParameters { Temperature = 0 } }, Ct));

        var sent = server.LastRequest.Json;
        Assert.Equal(recordedRequest.GetProperty("format").GetRawText(), sent.GetProperty("format").GetRawText());
        Assert.Equal(recordedRequest.GetProperty("messages").GetRawText(), sent.GetProperty("messages").GetRawText());
        Assert.Equal(0, sent.GetProperty("options").GetProperty("temperature").GetDouble());
        Assert.Equal(6076.12, JsonDocument.Parse(result.Content).RootElement.GetProperty("feet").GetDouble(), 0);
    }

    [Fact]
    public async Task StreamAsync_RecordedCloudFormatSchemaThinking_FromHttprr()
    {
        var (status, body) = Assert.Single(HttprrResponses("httprr-cloud-api-chat-format-schema-thinking.txt"));
        Assert.Equal(200, status);
        Assert.Equal(1104, System.Text.Encoding.UTF8.GetByteCount(body));
        var expected = ParseChatBody(body);
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl, model: "glm-5.2");
        server.EnqueueRaw(new RawResponse(200, "application/json", [body]));

        var result = await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("capital?"), Options(), Ct));

        Assert.Equal("""{"capital": "Paris"}""", result.Content);
        Assert.Equal(expected.Content, result.Content);
        Assert.Equal(expected.Thinking, result.Thoughts);
        Assert.StartsWith("1.  **Analyze the Request:**", result.Thoughts, StringComparison.Ordinal);
        Assert.Equal(expected.InputTokens, result.Usage!.InputTokens);
        Assert.Equal(expected.OutputTokens, result.Usage.OutputTokens);
    }

    [Fact]
    public async Task StreamAsync_Recorded400ToolsNotSupported_BadRequestWithMessage()
    {
        var (status, body) = Assert.Single(HttprrResponses("httprr-api-chat-error-400-model-does-not-support-tools.txt"));
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl, model: "gemma3:1b");
        server.EnqueueRaw(RawResponse.Json(status, body));
        var tools = new[] { new ToolSchema { Name = "getTime", Description = "Get the current time.", InputSchema = JsonDocument.Parse("""{"type":"object","required":[],"properties":{}}""").RootElement } };

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("Which date do we have today?"), Options() with { Tools = tools }, Ct)));

        Assert.Equal(ProviderErrorKind.BadRequest, ex.Kind);
        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Contains("registry.ollama.ai/library/gemma3:1b does not support tools", ex.Message, StringComparison.Ordinal);
        Assert.Equal("tools_not_supported", ex.ProviderErrorCode);
        Assert.Equal("getTime", server.LastRequest.Json.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
    }

    [Fact]
    public async Task PullModelAsync_RecordedProgress_AggregatesAllLayersTo100()
    {
        var body = ReadRecorded("api-pull-progress.response.ndjson");
        var layerTotals = new Dictionary<string, long>();
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var root = JsonDocument.Parse(line).RootElement;
            if (root.TryGetProperty("digest", out var d))
            {
                layerTotals[d.GetString()!] = root.GetProperty("total").GetInt64();
            }
        }

        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.EnqueueRawPull(new RawResponse(200, "application/x-ndjson", Lines(body)));
        var reports = new List<PullProgress>();

        await adapter.PullModelAsync("gemma3:1b", new PullModelOptions { Progress = new SyncProgress(reports), ProgressInterval = TimeSpan.Zero }, Ct);

        Assert.Equal(5, layerTotals.Count);
        Assert.Equal(body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, reports.Count);
        var last = reports[^1];
        Assert.Equal("success", last.Status);
        Assert.Equal(100, last.Percent);
        Assert.Equal(layerTotals.Values.Sum(), last.TotalBytes);
        Assert.Equal(layerTotals.Values.Sum(), last.CompletedBytes);
        Assert.Equal(5, last.LayerCount);
        for (var i = 1; i < reports.Count; i++)
        {
            Assert.True(reports[i].Percent >= reports[i - 1].Percent);
        }

        Assert.Equal("""{"model":"gemma3:1b","stream":true}""", ReadRecorded("api-pull-progress.request.json"));
        Assert.Equal("gemma3:1b", server.LastRequest.Json.GetProperty("model").GetString());
    }

    private sealed class SyncProgress(List<PullProgress> reports) : IProgress<PullProgress>
    {
        public void Report(PullProgress value) => reports.Add(value);
    }
}
