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
