using System.Text.Json;
using Art.Models;

namespace Art.Tests.Models;

public sealed class LiteLlmPriceMapTests
{
    internal static string SamplePath => Path.Combine(AppContext.BaseDirectory, "Models", "TestData", "price-map-sample.json");

    private static Dictionary<string, ModelInfo> ParseSample()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SamplePath));
        return LiteLlmPriceMap.Parse(doc.RootElement).ToDictionary(m => m.Key);
    }

    [Fact]
    public void Parse_Sample_KeepsOnlyChatModelsOfArtProviders()
    {
        var models = ParseSample();
        Assert.Equal(
            ["anthropic/claude-test-1", "deepseek/deepseek-test", "gemini/gemini-test-flash", "ollama/llama-test", "openai/gpt-4o", "openai/gpt-5-mini", "openrouter/mistralai/mistral-test"],
            models.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Parse_PricesPerToken_BecomeExactDecimalPerMillion()
    {
        var models = ParseSample();
        var gpt4o = models["openai/gpt-4o"].Pricing!;
        Assert.Equal(2.5m, gpt4o.InputPerMillion);
        Assert.Equal(10m, gpt4o.OutputPerMillion);
        Assert.Equal(1.25m, gpt4o.CachedInputPerMillion);
        Assert.Null(gpt4o.CacheWritePerMillion);
        Assert.Equal("2.5", gpt4o.InputPerMillion!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var claude = models["anthropic/claude-test-1"].Pricing!;
        Assert.Equal(3m, claude.InputPerMillion);
        Assert.Equal(15m, claude.OutputPerMillion);
        Assert.Equal(0.3m, claude.CachedInputPerMillion);
        Assert.Equal(3.75m, claude.CacheWritePerMillion);
        Assert.Equal(20m, claude.ReasoningPerMillion);

        Assert.Equal(0.28m, models["deepseek/deepseek-test"].Pricing!.InputPerMillion);
        Assert.Equal(0m, models["ollama/llama-test"].Pricing!.InputPerMillion);
    }

    [Fact]
    public void Parse_CapabilityFlags_AreTriState()
    {
        var models = ParseSample();
        var gpt4o = models["openai/gpt-4o"];
        Assert.Equal(CapabilitySupport.Yes, gpt4o.Supports(ModelCapability.Vision));
        Assert.Equal(CapabilitySupport.Yes, gpt4o.Supports(ModelCapability.ToolUse));
        Assert.Equal(CapabilitySupport.Yes, gpt4o.Supports(ModelCapability.JsonOutput));
        Assert.Equal(CapabilitySupport.Unknown, gpt4o.Supports(ModelCapability.Reasoning));
        Assert.Equal(CapabilitySupport.Yes, gpt4o.Supports(ModelCapability.Text));

        var claude = models["anthropic/claude-test-1"];
        Assert.Equal(CapabilitySupport.No, claude.Supports(ModelCapability.Vision));
        Assert.Equal(CapabilitySupport.Unknown, claude.Supports(ModelCapability.ToolUse));
    }

    [Fact]
    public void Parse_TokenLimitQuirks_GiveContextWindowAndMaxOutput()
    {
        var models = ParseSample();
        Assert.Equal(128_000, models["openai/gpt-4o"].ContextWindow);
        Assert.Equal(16_384, models["openai/gpt-4o"].MaxOutputTokens);

        // gpt-5 family: max_input is context minus output.
        Assert.Equal(400_000, models["openai/gpt-5-mini"].ContextWindow);
        Assert.Equal(128_000, models["openai/gpt-5-mini"].MaxOutputTokens);

        // max_tokens alone is the legacy output limit; the context is unknown.
        Assert.Null(models["deepseek/deepseek-test"].ContextWindow);
        Assert.Equal(8192, models["deepseek/deepseek-test"].MaxOutputTokens);
    }

    [Fact]
    public void Parse_PrefixedAndUnprefixedDuplicate_PrefixedKeyWins()
    {
        var flash = ParseSample()["gemini/gemini-test-flash"];
        Assert.Equal("gemini-test-flash", flash.ModelId);
        Assert.Equal(0.1m, flash.Pricing!.InputPerMillion);
        Assert.Equal(1_048_576, flash.ContextWindow);
    }

    [Fact]
    public void Parse_OpenRouterKey_KeepsVendorSlashModel()
    {
        var model = ParseSample()["openrouter/mistralai/mistral-test"];
        Assert.Equal("openrouter", model.Provider);
        Assert.Equal("mistralai/mistral-test", model.ModelId);
    }

    [Fact]
    public void Parse_SourceAndTimestamp_AreApplied()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SamplePath));
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var models = LiteLlmPriceMap.Parse(doc.RootElement, ModelInfoSource.Seed, at);
        Assert.All(models, m => Assert.Equal(ModelInfoSource.Seed, m.Source));
        Assert.All(models, m => Assert.Equal(at, m.UpdatedAt));
    }

    [Fact]
    public void Parse_NotAnObject_Throws()
    {
        using var doc = JsonDocument.Parse("[1,2]");
        Assert.Throws<JsonException>(() => LiteLlmPriceMap.Parse(doc.RootElement));
    }
}
