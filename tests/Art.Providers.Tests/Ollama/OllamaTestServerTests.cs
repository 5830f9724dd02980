using System.Net;
using System.Text;
using System.Text.Json;
using Art.Reasoning;
using Art.Testing.Servers;
using static Art.Providers.Tests.Ollama.OllamaTestKit;

namespace Art.Providers.Tests.Ollama;

/// <summary>The fake's wire format itself, read with a plain HttpClient (no OllamaSharp in between).</summary>
public sealed class OllamaTestServerTests
{
    private static async Task<(HttpStatusCode Status, string ContentType, string Body)> PostAsync(OllamaTestServer server, string path, string json)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(server.BaseUri, path), new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? string.Empty, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Chat_StreamFalse_OneObjectWithThinkingToolCallsAndMetrics()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.Enqueue(new ScriptedTurn
        {
            Parts = [new ScriptedThought("t1"), new ScriptedThought("t2"), new ScriptedContent("c"), ScriptedToolCall.Create("f", """{"a":1}""", "call_x")],
            Usage = new ScriptedUsage(10, 20),
        });

        var (status, type, body) = await PostAsync(server, "/api/chat", """{"model":"qwen3:8b","messages":[],"stream":false}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", type);
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Equal("qwen3:8b", root.GetProperty("model").GetString());
        Assert.True(root.GetProperty("done").GetBoolean());
        Assert.Equal("stop", root.GetProperty("done_reason").GetString());
        Assert.Equal("t1t2", root.GetProperty("message").GetProperty("thinking").GetString());
        Assert.Equal("c", root.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("call_x", root.GetProperty("message").GetProperty("tool_calls")[0].GetProperty("id").GetString());
        Assert.Equal(1, root.GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetProperty("a").GetInt32());
        Assert.Equal(10, root.GetProperty("prompt_eval_count").GetInt32());
        Assert.Equal(20, root.GetProperty("eval_count").GetInt32());
        Assert.True(root.GetProperty("eval_duration").GetInt64() > 0);
    }

    [Fact]
    public async Task Chat_Stream_NdjsonLinesEndingWithDone()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.Enqueue(ScriptedTurn.Text("a", "b") with { FinishReason = "length", Usage = new ScriptedUsage(1, 2) });

        var (_, type, body) = await PostAsync(server, "/api/chat", """{"model":"m","messages":[]}""");

        Assert.Equal("application/x-ndjson", type);
        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, lines.Count);
        Assert.All(lines.Take(2), l => Assert.False(l.GetProperty("done").GetBoolean()));
        Assert.Equal("length", lines[2].GetProperty("done_reason").GetString());
        Assert.EndsWith("\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_Script_OllamaOrderWithOmittedZeroCompleted()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.EnqueuePull(new OllamaPullScript([new OllamaPullLayer("sha256:0123456789abcdef0123", 100, Steps: 2)]));

        var (_, _, body) = await PostAsync(server, "/api/pull", """{"model":"x"}""");

        var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["pulling manifest", "pulling 0123456789ab", "pulling 0123456789ab", "pulling 0123456789ab", "verifying sha256 digest", "writing manifest", "success"], lines.Select(l => l.GetProperty("status").GetString()));
        Assert.False(lines[1].TryGetProperty("completed", out _));
        Assert.Equal(50, lines[2].GetProperty("completed").GetInt32());
        Assert.Equal(100, lines[3].GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task VersionAndRoot_Answer()
    {
        await using var server = await OllamaTestServer.StartAsync();
        using var http = new HttpClient();

        Assert.Equal("""{"version":"0.12.10"}""", await http.GetStringAsync(new Uri(server.BaseUri, "/api/version"), Ct));
        Assert.Equal("Ollama is running", await http.GetStringAsync(server.BaseUri, Ct));
    }

    [Fact]
    public async Task StreamAsync_LengthDoneReason_MapsToLength()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.Enqueue(ScriptedTurn.Text("cut") with { FinishReason = "length" });

        var result = await CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), Ct));

        Assert.Equal(FinishReason.Length, result.Completed!.Reason);
    }
}
