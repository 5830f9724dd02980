using Art.Models;

namespace Art.Tests.Models;

public sealed class ModelDisplayNamesTests
{
    [Theory]
    [InlineData("openai", "gpt-4o", "GPT-4o")]
    [InlineData("openai", "gpt-4o-mini", "GPT-4o Mini")]
    [InlineData("anthropic", "claude-3-5-haiku-20241022", "Claude 3.5 Haiku")]
    [InlineData("anthropic", "claude-sonnet-4-5", "Claude Sonnet 4.5")]
    [InlineData("gemini", "gemini-2.5-pro", "Gemini 2.5 Pro")]
    [InlineData("deepseek", "deepseek-chat", "DeepSeek Chat")]
    [InlineData("openrouter", "openai/gpt-4o", "OpenAI: GPT-4o")]
    [InlineData("ollama", "llama3.2:3b", "Llama3.2 (3b)")]
    [InlineData("ollama", "qwen3:latest", "Qwen3")]
    public void For_KnownIds_GiveReadableNames(string provider, string modelId, string expected) =>
        Assert.Equal(expected, ModelDisplayNames.For(provider, modelId));
}
