using System.Text.Json;
using Art.OpenAI;
using Art.Providers.Tests.Conformance;
using Art.Reasoning;
using Art.Testing.Servers;

namespace Art.Providers.Tests.OpenAI;

/// <summary>The conformance suite against api.openai.com's Chat Completions dialect.</summary>
public sealed class OpenAIConformanceTests : ProviderConformanceTests
{
    protected override string ProviderName => "openai";

    protected override async Task<IProviderTestServer> StartServerAsync() => await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.OpenAI);

    protected override IProviderFactory CreateFactory() => new OpenAIProviderFactory();

    /// <summary>
    /// Overridden because OpenAI Chat Completions never returns reasoning text (only <c>reasoning_tokens</c> in usage;
    /// provider-protocols.md §2): the server sends none, so the adapter must yield no thoughts and the full answer.
    /// </summary>
    public override async Task Stream_Thoughts_ArriveAsThoughtsNeverAsContent()
    {
        Server.Enqueue(new ScriptedTurn
        {
            Parts = [new ScriptedThought("Let me think. "), new ScriptedContent("4")],
            Usage = new ScriptedUsage(10, 50) { ReasoningTokens = 40 },
        });

        var events = await CollectAsync(ArtPrompt.FromUser("2+2?"), Options() with { Parameters = new ModelParameters { ReasoningEffort = "high" } });

        Assert.Equal(string.Empty, ThoughtsOf(events));
        Assert.Equal("4", ContentOf(events));
        Assert.Equal(40, Assert.Single(events.OfType<UsageReported>()).Usage.ReasoningTokens);
        Assert.Equal("high", Server.Requests[^1].Json.GetProperty("reasoning_effort").GetString());
    }
}

/// <summary>The conformance suite against DeepSeek's dialect (reasoning_content, cache hit/miss, 400 "Model Not Exist").</summary>
public sealed class DeepSeekConformanceTests : ProviderConformanceTests
{
    protected override string ProviderName => "deepseek";

    protected override async Task<IProviderTestServer> StartServerAsync() => await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.DeepSeek);

    protected override IProviderFactory CreateFactory() => new OpenAIProviderFactory();

    /// <summary>
    /// Overridden because DeepSeek has no <c>json_schema</c> response format, only JSON mode (<c>json_object</c>): the
    /// schema travels as an instruction (a JSON string inside a message), so the base's raw <c>"age"</c> check cannot hold.
    /// </summary>
    public override async Task Stream_ResponseSchema_IsSentAndContentIsTheJson()
    {
        Server.Enqueue(ScriptedTurn.Text("""{"name":"Ada",""", """ "age":36}"""));
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""").RootElement;

        var events = await CollectAsync(ArtPrompt.FromUser("Who?"), Options() with { ResponseSchema = schema });

        using var doc = JsonDocument.Parse(ContentOf(events));
        Assert.Equal(36, doc.RootElement.GetProperty("age").GetInt32());
        var json = Server.Requests[^1].Json;
        Assert.Equal("json_object", json.GetProperty("response_format").GetProperty("type").GetString());
        Assert.Contains(json.GetProperty("messages").EnumerateArray(), m => m.GetProperty("content").ToString().Contains("\"age\"", StringComparison.Ordinal));
    }
}

/// <summary>The conformance suite against OpenRouter's dialect (reasoning, usage.cost, processing comments, numeric error codes).</summary>
public sealed class OpenRouterConformanceTests : ProviderConformanceTests
{
    protected override string ProviderName => "openrouter";

    protected override string Model => "fake/test-model";

    protected override async Task<IProviderTestServer> StartServerAsync() => await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.OpenRouter);

    protected override IProviderFactory CreateFactory() => new OpenAIProviderFactory();
}

/// <summary>The conformance suite against a generic local OpenAI-compatible server (vLLM-style errors, reasoning_content).</summary>
public sealed class OpenAICompatibleConformanceTests : ProviderConformanceTests
{
    protected override string ProviderName => "openai-compatible";

    protected override async Task<IProviderTestServer> StartServerAsync() => await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic);

    protected override IProviderFactory CreateFactory() => new OpenAIProviderFactory();
}
