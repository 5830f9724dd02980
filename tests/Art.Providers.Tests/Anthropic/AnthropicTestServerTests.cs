using System.Net;
using System.Text;
using System.Text.Json;
using Art.Testing.Servers;

namespace Art.Providers.Tests.Anthropic;

/// <summary>The loopback fake speaks Anthropic's wire format, checked with a plain HttpClient (no SDK).</summary>
public sealed class AnthropicTestServerTests : IAsyncLifetime
{
    private AnthropicTestServer _server = null!;
    private readonly HttpClient _http = new();

    public async ValueTask InitializeAsync() => _server = await AnthropicTestServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<HttpResponseMessage> PostAsync(string body, bool key = true, bool version = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _server.InstanceBaseUrl + "/v1/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key)
        {
            request.Headers.Add("x-api-key", "k");
        }

        if (version)
        {
            request.Headers.Add("anthropic-version", "2023-06-01");
        }

        return await _http.SendAsync(request);
    }

    private static List<(string Event, JsonElement Data)> ParseSse(string body)
    {
        var result = new List<(string, JsonElement)>();
        foreach (var block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            result.Add((lines[0]["event: ".Length..], JsonDocument.Parse(lines[1]["data: ".Length..]).RootElement.Clone()));
        }

        return result;
    }

    [Fact]
    public async Task Streaming_NamedEventsInDocumentedOrder()
    {
        _server.Enqueue(new ScriptedTurn
        {
            Parts = [new ScriptedThought("hmm", "sig-1"), new ScriptedContent("Hello"), ScriptedToolCall.Create("f", """{"a":1}""", "toolu_9")],
            FinishReason = "tool_calls",
            Usage = new ScriptedUsage(2000, 50) { CachedInputTokens = 1111, CacheWriteTokens = 418 },
        });

        using var response = await PostAsync("""{"model":"claude-x","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        var events = ParseSse(await response.Content.ReadAsStringAsync());

        Assert.StartsWith("text/event-stream", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.All(events, e => Assert.Equal(e.Event, e.Data.GetProperty("type").GetString()));
        Assert.Equal("message_start", events[0].Event);
        Assert.Equal("ping", events[1].Event);
        Assert.Equal("message_stop", events[^1].Event);
        var usage = events[0].Data.GetProperty("message").GetProperty("usage");
        Assert.Equal(471, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(1111, usage.GetProperty("cache_read_input_tokens").GetInt32());
        Assert.Equal(418, usage.GetProperty("cache_creation_input_tokens").GetInt32());
        var delta = events[^2].Data;
        Assert.Equal("tool_use", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(50, delta.GetProperty("usage").GetProperty("output_tokens").GetInt32());

        // signature_delta comes just before the thinking block's content_block_stop.
        var signature = events.FindIndex(e => e.Event == "content_block_delta" && e.Data.GetProperty("delta").GetProperty("type").GetString() == "signature_delta");
        Assert.Equal("content_block_stop", events[signature + 1].Event);
        Assert.Equal(0, events[signature + 1].Data.GetProperty("index").GetInt32());

        // Tool input arrives as input_json_delta fragments, the first one empty, that join to the arguments.
        var fragments = events.Where(e => e.Event == "content_block_delta" && e.Data.GetProperty("index").GetInt32() == 2)
            .Select(e => e.Data.GetProperty("delta").GetProperty("partial_json").GetString()).ToList();
        Assert.Equal(string.Empty, fragments[0]);
        Assert.Equal("""{"a":1}""", string.Concat(fragments));
    }

    [Fact]
    public async Task NonStreaming_MessageObjectWithBlocksAndUsage()
    {
        _server.Enqueue(new ScriptedTurn { Parts = [new ScriptedThought("t", "s"), new AnthropicRedactedThinking("r"), new ScriptedContent("Hi")], Usage = new ScriptedUsage(10, 5) });

        using var response = await PostAsync("""{"model":"claude-x","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""");
        var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("end_turn", message.GetProperty("stop_reason").GetString());
        Assert.Equal(["thinking", "redacted_thinking", "text"], message.GetProperty("content").EnumerateArray().Select(b => b.GetProperty("type").GetString()).ToArray());
        Assert.Equal(5, message.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.NotNull(response.Headers.GetValues("request-id").Single());
    }

    [Fact]
    public async Task MidStreamError_IsAnErrorEventInA200Stream()
    {
        _server.Enqueue(ScriptedTurn.Text("a", "b") with { MidStreamError = new ScriptedError(ScriptedErrorKind.Overloaded), ErrorAfterParts = 1 });

        using var response = await PostAsync("""{"model":"m","max_tokens":10,"stream":true,"messages":[]}""");
        var events = ParseSse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("error", events[^1].Event);
        Assert.Equal("overloaded_error", events[^1].Data.GetProperty("error").GetProperty("type").GetString());
        Assert.DoesNotContain(events, e => e.Event == "message_stop");
    }

    [Theory]
    [InlineData(ScriptedErrorKind.InvalidApiKey, 401, "authentication_error")]
    [InlineData(ScriptedErrorKind.PermissionDenied, 403, "permission_error")]
    [InlineData(ScriptedErrorKind.ModelNotFound, 404, "not_found_error")]
    [InlineData(ScriptedErrorKind.RateLimited, 429, "rate_limit_error")]
    [InlineData(ScriptedErrorKind.ServerError, 500, "api_error")]
    [InlineData(ScriptedErrorKind.Overloaded, 529, "overloaded_error")]
    [InlineData(ScriptedErrorKind.ContextLengthExceeded, 400, "invalid_request_error")]
    public async Task Errors_RealStatusAndBody(ScriptedErrorKind kind, int status, string type)
    {
        _server.EnqueueError(new ScriptedError(kind) { RetryAfterSeconds = kind == ScriptedErrorKind.RateLimited ? 12 : null });

        using var response = await PostAsync("""{"model":"m","max_tokens":10,"messages":[]}""");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal(type, body.GetProperty("error").GetProperty("type").GetString());
        Assert.StartsWith("req_", body.GetProperty("request_id").GetString(), StringComparison.Ordinal);
        if (kind == ScriptedErrorKind.RateLimited)
        {
            Assert.Equal(TimeSpan.FromSeconds(12), response.Headers.RetryAfter!.Delta);
        }

        if (kind == ScriptedErrorKind.ContextLengthExceeded)
        {
            Assert.StartsWith("prompt is too long", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task MissingHeaders_AreRefusedLikeTheRealApi()
    {
        _server.Enqueue(ScriptedTurn.Text("unused"));

        using var noKey = await PostAsync("""{"model":"m","max_tokens":10,"messages":[]}""", key: false);
        using var noVersion = await PostAsync("""{"model":"m","max_tokens":10,"messages":[]}""", version: false);

        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Contains("authentication_error", await noKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noVersion.StatusCode);
        Assert.Contains("anthropic-version", await noVersion.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingMaxTokens_And_Unscripted_AreClearErrors()
    {
        _server.Enqueue(ScriptedTurn.Text("unused"));
        using var noMax = await PostAsync("""{"model":"m","messages":[]}""");
        Assert.Equal(HttpStatusCode.BadRequest, noMax.StatusCode);
        Assert.Contains("max_tokens", await noMax.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var unscripted = await PostAsync("""{"model":"m","max_tokens":1,"messages":[]}""");
        Assert.Equal(HttpStatusCode.InternalServerError, unscripted.StatusCode);
        Assert.Contains("no scripted response", await unscripted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_PagedListShape()
    {
        _server.SetModels(["a", "b", "c"]);
        using var request = new HttpRequestMessage(HttpMethod.Get, _server.InstanceBaseUrl + "/v1/models?limit=2");
        request.Headers.Add("x-api-key", "k");
        request.Headers.Add("anthropic-version", "2023-06-01");

        using var response = await _http.SendAsync(request);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(["a", "b"], body.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToArray());
        Assert.Equal("model", body.GetProperty("data")[0].GetProperty("type").GetString());
        Assert.True(body.GetProperty("has_more").GetBoolean());
        Assert.Equal("a", body.GetProperty("first_id").GetString());
        Assert.Equal("b", body.GetProperty("last_id").GetString());
    }
}
