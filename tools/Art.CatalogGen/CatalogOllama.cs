using Art.Models;

/// <summary>
/// Common Ollama families with the capabilities and context lengths the Ollama library lists for their default tag.
/// Zero price (local). Discovery (<c>/api/show</c>) replaces these with what the running server reports.
/// </summary>
internal static class CatalogOllama
{
    private const bool Y = true;
    private const bool N = false;

    public static IReadOnlyList<ModelInfo> Models { get; } =
    [
        Make("llama3.1", 131_072, tools: Y, vision: N, reasoning: N),
        Make("llama3.2", 131_072, tools: Y, vision: N, reasoning: N),
        Make("llama3.2-vision", 131_072, tools: N, vision: Y, reasoning: N),
        Make("llama3.3", 131_072, tools: Y, vision: N, reasoning: N),
        Make("qwen2.5", 32_768, tools: Y, vision: N, reasoning: N),
        Make("qwen2.5-coder", 32_768, tools: Y, vision: N, reasoning: N, code: Y),
        Make("qwen2.5vl", 125_000, tools: N, vision: Y, reasoning: N),
        Make("qwen3", 40_960, tools: Y, vision: N, reasoning: Y),
        Make("gemma3", 131_072, tools: N, vision: Y, reasoning: N),
        Make("mistral", 32_768, tools: Y, vision: N, reasoning: N),
        Make("mistral-nemo", 131_072, tools: Y, vision: N, reasoning: N),
        Make("phi4", 16_384, tools: N, vision: N, reasoning: N),
        Make("phi4-mini", 131_072, tools: Y, vision: N, reasoning: N),
        Make("deepseek-r1", 131_072, tools: Y, vision: N, reasoning: Y),
        Make("llava", 32_768, tools: N, vision: Y, reasoning: N),
        Make("gpt-oss", 131_072, tools: Y, vision: N, reasoning: Y),
    ];

    private static ModelInfo Make(string id, int context, bool tools, bool vision, bool reasoning, bool? code = null)
    {
        var capabilities = new Dictionary<ModelCapability, bool>
        {
            [ModelCapability.Text] = true,
            [ModelCapability.Streaming] = true,
            [ModelCapability.ToolUse] = tools,
            [ModelCapability.Vision] = vision,
            [ModelCapability.Reasoning] = reasoning,
            // Ollama's `format` takes a JSON schema for every model.
            [ModelCapability.JsonOutput] = true,
        };
        if (code is { } c)
        {
            capabilities[ModelCapability.Code] = c;
        }

        return new ModelInfo
        {
            Provider = "ollama",
            ModelId = id,
            Capabilities = capabilities,
            ContextWindow = context,
            Pricing = ModelPricing.Free,
            Source = ModelInfoSource.Seed,
        };
    }
}
