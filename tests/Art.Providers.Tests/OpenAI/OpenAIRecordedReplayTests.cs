using System.Text.Json;
using System.Text.Json.Nodes;
using Art.OpenAI;
using Art.Reasoning;
using Art.Testing.Servers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Providers.Tests.OpenAI;

/// <summary>
/// Every recorded OpenAI, DeepSeek and OpenRouter Chat Completions response, replayed verbatim by the loopback
/// server, must come out of the adapter as exactly what it holds: answer, thoughts, tool calls, usage and cost, or
/// the right error. Expectations come from <see cref="RecordedExpectation"/>, a parser independent of the adapter;
/// error kinds are stated per file after reading the bodies.
/// </summary>
public sealed class OpenAIRecordedReplayTests
{
    private const string ApiKey = "sk-replay-1234567890abcdef";

    /// <summary>Recordings that hold an error, with the kind read from their status and body.</summary>
    private static readonly Dictionary<string, ProviderErrorKind> ExpectedErrors = new(StringComparer.Ordinal)
    {
        ["openai/chat-error-401-invalid-api-key.json"] = ProviderErrorKind.Auth, // 401 invalid_api_key
        ["openai/chat-error-400-strict-tool-without-schema.json"] = ProviderErrorKind.BadRequest, // 400 invalid_request_error
        ["openrouter/chat-error-429.json"] = ProviderErrorKind.RateLimited, // 429 {"code":429,"message":"Provider returned error"}
        ["openrouter/httprr-chat-streaming-processing-comments-raw-http.txt#1"] = ProviderErrorKind.RateLimited, // record 2: real 429
        ["openrouter/chat-streaming-midstream-error.json"] = ProviderErrorKind.BadRequest, // 200 stream, then {"error":{"code":400,"message":"Token limit reached"}}
        ["openrouter/chat-streaming-midstream-error.sse"] = ProviderErrorKind.BadRequest,
    };

    /// <summary>Responses API recordings: ART speaks Chat Completions, so these are not replayed (see SOURCES.md).</summary>
    private static readonly string[] NotChatCompletions = ["openai/responses-streaming-function-call.json", "openai/responses-web-search-reasoning-cached-tokens.json"];

    public static TheoryData<string> Recordings()
    {
        var data = new TheoryData<string>();
        foreach (var provider in new[] { "openai", "deepseek", "openrouter" })
        {
            foreach (var file in Directory.GetFiles(Path.Combine(RecordedExchange.Root, provider)).Order(StringComparer.Ordinal))
            {
                var relative = provider + "/" + Path.GetFileName(file);
                if (relative.EndsWith(".md", StringComparison.Ordinal) || NotChatCompletions.Contains(relative))
                {
                    continue;
                }

                data.Add(relative);
            }
        }

        return data;
    }

    [Fact]
    public void Recordings_AllChatFilesAreCovered()
    {
        var covered = Recordings().Select(r => (string)r.Data).Concat(NotChatCompletions).Order(StringComparer.Ordinal).ToArray();
        var present = new[] { "openai", "deepseek", "openrouter" }
            .SelectMany(p => Directory.GetFiles(Path.Combine(RecordedExchange.Root, p)).Select(f => p + "/" + Path.GetFileName(f)))
            .Where(f => !f.EndsWith(".md", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(32, present.Length);
        Assert.Equal(present, covered);
    }

    [Theory]
    [MemberData(nameof(Recordings))]
    public async Task Replay_Recording_YieldsExactlyWhatItHolds(string file)
    {
        var provider = file[..file.IndexOf('/', StringComparison.Ordinal)];
        var flavor = provider switch
        {
            "deepseek" => OpenAICompatibleFlavor.DeepSeek,
            "openrouter" => OpenAICompatibleFlavor.OpenRouter,
            _ => OpenAICompatibleFlavor.OpenAI,
        };
        var exchanges = RecordedExchange.Load(file);
        Assert.NotEmpty(exchanges);
        await using var server = await OpenAICompatibleTestServer.StartAsync(flavor);
        await using var adapter = new OpenAIProviderFactory().Create(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "replay", Provider = provider, BaseUrl = server.InstanceBaseUrl, ApiKey = ApiKey, Model = "recorded-model" },
            LoggerFactory = NullLoggerFactory.Instance,
        });

        foreach (var exchange in exchanges)
        {
            server.EnqueueRaw(exchange.Response);
            var expected = RecordedExpectation.From(exchange, readOpenRouterReasoning: provider == "openrouter");
            var events = new List<StreamEvent>();
            Exception? failure = null;
            try
            {
                await foreach (var e in adapter.StreamAsync(ArtPrompt.FromUser("replay"), new CallOptions { ThreadId = "replay" }))
                {
                    events.Add(e);
                }
            }
            catch (ProviderException ex)
            {
                failure = ex;
            }

            var content = string.Concat(events.OfType<ContentDelta>().Select(c => c.Text));
            var thoughts = string.Concat(events.OfType<ThoughtDelta>().Select(c => c.Text));
            if (exchange.IsError || expected.HasStreamError)
            {
                var key = ExpectedErrors.ContainsKey(file) ? file : exchange.ToString();
                var ex = Assert.IsType<ProviderException>(failure, exactMatch: false);
                Assert.Equal(ExpectedErrors[key], ex.Kind);
                Assert.DoesNotContain(ApiKey, ex.ToString(), StringComparison.Ordinal);
                Assert.DoesNotContain(events, e => e is Completed);

                // What arrived before the error event is exactly what the recording holds before it.
                Assert.Equal(expected.Content, content);
                Assert.Equal(expected.Thoughts, thoughts);
                if (exchange.Response.Headers?.TryGetValue("retry-after", out var retry) == true)
                {
                    Assert.Equal(TimeSpan.FromSeconds(double.Parse(retry, System.Globalization.CultureInfo.InvariantCulture)), ex.RetryAfter);
                }

                continue;
            }

            Assert.Null(failure);
            Assert.IsType<Completed>(events[^1]);
            Assert.Equal(expected.Content, content);
            Assert.Equal(expected.Thoughts, thoughts);

            var calls = events.OfType<ToolCallRequested>().Select(t => t.Call).ToList();
            Assert.Equal(expected.ToolCalls.Count, calls.Count);
            for (var i = 0; i < calls.Count; i++)
            {
                Assert.Equal(expected.ToolCalls[i].Name, calls[i].Name);
                Assert.True(
                    JsonNode.DeepEquals(JsonNode.Parse(expected.ToolCalls[i].Arguments), JsonNode.Parse(calls[i].Arguments.GetRawText())),
                    $"{exchange}: arguments of {calls[i].Name}: expected {expected.ToolCalls[i].Arguments}, got {calls[i].Arguments.GetRawText()}");
                Assert.False(string.IsNullOrEmpty(calls[i].Id));
            }

            var reported = events.OfType<UsageReported>().SingleOrDefault();
            if (expected.Usage is null)
            {
                Assert.Null(reported);
                continue;
            }

            Assert.NotNull(reported);
            var usage = reported.Usage;
            Assert.Equal(expected.Tokens("prompt_tokens"), usage.InputTokens);
            Assert.Equal(expected.Tokens("completion_tokens"), usage.OutputTokens);
            var cached = expected.Usage.ContainsKey("prompt_cache_hit_tokens") ? expected.Tokens("prompt_cache_hit_tokens") : expected.Detail("prompt_tokens_details", "cached_tokens");
            Assert.Equal(cached, usage.CachedInputTokens);
            Assert.Equal(expected.Detail("prompt_tokens_details", "cache_write_tokens"), usage.CacheWriteTokens);
            Assert.Equal(expected.Detail("completion_tokens_details", "reasoning_tokens"), usage.ReasoningTokens);
            if (expected.Usage["cost"] is JsonValue cost)
            {
                Assert.Equal(decimal.Parse(cost.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture), reported.ProviderCost);
            }
            else
            {
                Assert.Null(reported.ProviderCost);
            }
        }
    }
}

/// <summary>Literal spot checks of a few recordings (values read from the files by hand), guarding the generic replay's parser too.</summary>
public sealed class OpenAIRecordedSpotChecks
{
    private static async Task<(List<StreamEvent> Events, ProviderException? Error)> ReplayAsync(string file, string provider, OpenAICompatibleFlavor flavor)
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(flavor);
        server.EnqueueRaw(RecordedExchange.Load(file)[0].Response);
        await using var adapter = new OpenAIProviderFactory().Create(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "spot", Provider = provider, BaseUrl = server.InstanceBaseUrl, ApiKey = "sk-spot-check-key-123", Model = "m" },
            LoggerFactory = NullLoggerFactory.Instance,
        });
        var events = new List<StreamEvent>();
        try
        {
            await foreach (var e in adapter.StreamAsync(ArtPrompt.FromUser("x"), new CallOptions { ThreadId = "t" }))
            {
                events.Add(e);
            }
        }
        catch (ProviderException ex)
        {
            return (events, ex);
        }

        return (events, null);
    }

    [Fact]
    public async Task OpenRouterReasoningCost_YieldsReasoningAnswerAndCost()
    {
        var (events, error) = await ReplayAsync("openrouter/chat-streaming-reasoning-cost.sse", "openrouter", OpenAICompatibleFlavor.OpenRouter);

        Assert.Null(error);
        Assert.Equal("2 + 2 = 4", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
        Assert.Equal("This is a simple arithmetic question. 2+2 equals 4.", string.Concat(events.OfType<ThoughtDelta>().Select(c => c.Text)));
        var usage = Assert.Single(events.OfType<UsageReported>());
        Assert.Equal(43, usage.Usage.InputTokens);
        Assert.Equal(36, usage.Usage.OutputTokens);
        Assert.Equal(0.000669m, usage.ProviderCost);
    }

    [Fact]
    public async Task DeepSeekStreaming_ThoughtsThenAnswer()
    {
        var (events, error) = await ReplayAsync("deepseek/chat-reasoning-content-streaming.sse", "deepseek", OpenAICompatibleFlavor.DeepSeek);

        Assert.Null(error);
        Assert.Equal("Hello there! 😊 How can I help you today?", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
        var thoughts = string.Concat(events.OfType<ThoughtDelta>().Select(c => c.Text));
        Assert.StartsWith("Hmm, the user just said \"Hello\".", thoughts, StringComparison.Ordinal);
        Assert.True(events.FindLastIndex(e => e is ThoughtDelta) < events.FindIndex(e => e is ContentDelta));
        Assert.Equal(212, Assert.Single(events.OfType<UsageReported>()).Usage.OutputTokens);
    }

    [Fact]
    public async Task OpenAIStreamingToolCall_FragmentsAssembled()
    {
        var (events, error) = await ReplayAsync("openai/chat-streaming-tool-calls-two-turns.1.sse", "openai", OpenAICompatibleFlavor.OpenAI);

        Assert.Null(error);
        var call = Assert.Single(events.OfType<ToolCallRequested>()).Call;
        Assert.Equal("get_capital", call.Name);
        Assert.Equal("UK", call.Arguments.GetProperty("country").GetString());
        Assert.Equal(FinishReason.ToolCalls, Assert.IsType<Completed>(events[^1]).Reason);
    }

    [Fact]
    public async Task OpenRouterMidStreamError_ThrowsAfterTheThoughtsNeverCompletes()
    {
        var (events, error) = await ReplayAsync("openrouter/chat-streaming-midstream-error.sse", "openrouter", OpenAICompatibleFlavor.OpenRouter);

        Assert.NotNull(error);
        Assert.Equal(ProviderErrorKind.BadRequest, error.Kind);
        Assert.True(error.Message.Contains("Token limit reached", StringComparison.Ordinal), error.Message);
        Assert.Equal("We need to respond to a greeting. The user", string.Concat(events.OfType<ThoughtDelta>().Select(c => c.Text)));
        Assert.DoesNotContain(events, e => e is Completed);
    }
}
