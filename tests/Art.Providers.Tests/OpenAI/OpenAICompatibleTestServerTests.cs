using System.Net;
using System.Text;
using System.Text.Json;
using Art.Testing.Servers;

namespace Art.Providers.Tests.OpenAI;

/// <summary>The fake itself speaks each flavour's wire format (checked with plain HttpClient, no SDK).</summary>
public sealed class OpenAICompatibleTestServerTests
{
    private static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> PostAsync(OpenAICompatibleTestServer server, string json)
    {
        using var client = new HttpClient();
        var response = await client.PostAsync(server.InstanceBaseUrl + "/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private static List<JsonElement> DataEvents(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(e => e.StartsWith("data: {", StringComparison.Ordinal))
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.Clone())
            .ToList();

    [Fact]
    public async Task Unscripted_Returns500SayingSo()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync();

        var (status, body, _) = await PostAsync(server, """{"model":"m","messages":[]}""");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Contains("no scripted response", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAIStream_RoleChunkFragmentsFinishUsageThenDone()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync();
        server.Enqueue(new ScriptedTurn
        {
            Parts = [new ScriptedContent("Hi"), ScriptedToolCall.Create("f", """{"city":"Oslo"}""", "call_1")],
            FinishReason = "tool_calls",
            Usage = new ScriptedUsage(10, 4) { CachedInputTokens = 6, ReasoningTokens = 1 },
        });

        var (status, body, response) = await PostAsync(server, """{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        var events = DataEvents(body);
        Assert.Equal("assistant", events[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var head = events[2].GetProperty("choices")[0].GetProperty("delta").GetProperty("tool_calls")[0];
        Assert.Equal("call_1", head.GetProperty("id").GetString());
        Assert.Equal(string.Empty, head.GetProperty("function").GetProperty("arguments").GetString());
        var fragments = events.Skip(3).TakeWhile(e => e.GetProperty("choices").GetArrayLength() > 0 && e.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.Null)
            .Select(e => e.GetProperty("choices")[0].GetProperty("delta").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString()).ToList();
        Assert.True(fragments.Count >= 2, "arguments arrive in several fragments");
        Assert.Equal("""{"city":"Oslo"}""", string.Concat(fragments));
        Assert.Equal("tool_calls", events[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usage = events[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(6, usage.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(1, usage.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
    }

    [Fact]
    public async Task OpenAIStream_WithoutIncludeUsage_HasNoUsageChunk()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync();
        server.Enqueue(ScriptedTurn.Text("x") with { Usage = new ScriptedUsage(1, 1) });

        var (_, body, _) = await PostAsync(server, """{"model":"m","stream":true,"messages":[]}""");

        Assert.DoesNotContain(DataEvents(body), e => e.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object);
    }

    [Fact]
    public async Task DeepSeekStream_KeepAliveReasoningContentAndCacheHitMiss()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.DeepSeek);
        server.Enqueue(new ScriptedTurn { Parts = [new ScriptedThought("hmm"), new ScriptedContent("ok")], Usage = new ScriptedUsage(18, 5) { CachedInputTokens = 8 } });

        var (_, body, _) = await PostAsync(server, """{"model":"deepseek-reasoner","stream":true,"messages":[]}""");

        Assert.StartsWith(": keep-alive\n\n", body, StringComparison.Ordinal);
        var events = DataEvents(body);
        Assert.Contains(events, e => e.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("reasoning_content", out var r) && r.GetString() == "hmm");
        var usage = events.Last(e => e.TryGetProperty("usage", out _)).GetProperty("usage");
        Assert.Equal(8, usage.GetProperty("prompt_cache_hit_tokens").GetInt32());
        Assert.Equal(10, usage.GetProperty("prompt_cache_miss_tokens").GetInt32());
    }

    [Fact]
    public async Task OpenRouterStream_ProcessingCommentsReasoningCostAndMidStreamError()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.OpenRouter);
        server.Enqueue(new ScriptedTurn { Parts = [new ScriptedThought("plan"), new ScriptedContent("a"), new ScriptedContent("b")], MidStreamError = new ScriptedError(ScriptedErrorKind.ServerError), ErrorAfterParts = 2 });

        using var client = new HttpClient();
        var body = await (await client.PostAsync(server.BaseUri + "api/v1/chat/completions", new StringContent("""{"model":"x/y","stream":true,"messages":[]}"""))).Content.ReadAsStringAsync();

        Assert.StartsWith(": OPENROUTER PROCESSING\n\n", body, StringComparison.Ordinal);
        var events = DataEvents(body);
        Assert.Equal("plan", events[1].GetProperty("choices")[0].GetProperty("delta").GetProperty("reasoning").GetString());
        var error = events[^1];
        Assert.Equal(500, error.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("error", error.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.DoesNotContain(events, e => e.GetProperty("choices").GetArrayLength() > 0 && e.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var c) && c.GetString() == "b");
    }

    [Theory]
    [InlineData(OpenAICompatibleFlavor.OpenAI, ScriptedErrorKind.ModelNotFound, 404, "model_not_found")]
    [InlineData(OpenAICompatibleFlavor.DeepSeek, ScriptedErrorKind.ModelNotFound, 400, "Model Not Exist")]
    [InlineData(OpenAICompatibleFlavor.DeepSeek, ScriptedErrorKind.InsufficientBalance, 402, "Insufficient Balance")]
    [InlineData(OpenAICompatibleFlavor.OpenRouter, ScriptedErrorKind.ContentFilter, 403, "flagged")]
    [InlineData(OpenAICompatibleFlavor.OpenAI, ScriptedErrorKind.ContextLengthExceeded, 400, "context_length_exceeded")]
    [InlineData(OpenAICompatibleFlavor.OpenAI, ScriptedErrorKind.ContentFilter, 400, "content_filter")]
    public async Task Errors_UseEachProvidersStatusAndBody(OpenAICompatibleFlavor flavor, ScriptedErrorKind kind, int status, string text)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(flavor);
        server.EnqueueError(new ScriptedError(kind));

        var (code, body, _) = await PostAsync(server, """{"model":"m","messages":[]}""");

        Assert.Equal(status, (int)code);
        Assert.Contains(text, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RateLimit_SendsRetryAfterHeader()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync();
        server.EnqueueError(new ScriptedError(ScriptedErrorKind.RateLimited) { RetryAfterSeconds = 12 });

        var (code, _, response) = await PostAsync(server, """{"model":"m","messages":[]}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, code);
        Assert.Equal("12", response.Headers.GetValues("retry-after").Single());
    }

    [Fact]
    public async Task Models_OpenAIListAndOpenRouterPricedList()
    {
        await using var openai = await OpenAICompatibleTestServer.StartAsync();
        openai.SetModels(["gpt-x"]);
        await using var router = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.OpenRouter);
        router.SetModelEntries([new OpenAICompatibleModelEntry("a/b") { ContextLength = 1000, PromptPrice = "0.000001", CompletionPrice = "0.000002" }]);
        using var client = new HttpClient();

        using var list = JsonDocument.Parse(await client.GetStringAsync(openai.InstanceBaseUrl + "/models"));
        using var priced = JsonDocument.Parse(await client.GetStringAsync(router.InstanceBaseUrl + "/models"));

        Assert.Equal("list", list.RootElement.GetProperty("object").GetString());
        Assert.Equal("gpt-x", list.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
        var model = priced.RootElement.GetProperty("data")[0];
        Assert.Equal("0.000001", model.GetProperty("pricing").GetProperty("prompt").GetString());
        Assert.Equal(1000, model.GetProperty("context_length").GetInt32());
    }
}
