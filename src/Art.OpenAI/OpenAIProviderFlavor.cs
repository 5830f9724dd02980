namespace Art.OpenAI;

/// <summary>
/// The Chat Completions dialect an instance speaks. They share one wire format but differ in the max-tokens field,
/// where reasoning text comes back, usage extras (cache hit/miss, cost) and error bodies, so the adapter keys off it.
/// </summary>
public enum OpenAIProviderFlavor
{
    /// <summary>api.openai.com (<c>openai</c>).</summary>
    OpenAI,

    /// <summary>api.deepseek.com (<c>deepseek</c>): <c>reasoning_content</c>, <c>prompt_cache_hit_tokens</c>.</summary>
    DeepSeek,

    /// <summary>openrouter.ai (<c>openrouter</c>): <c>reasoning</c>, <c>usage.cost</c>, live model list with prices.</summary>
    OpenRouter,

    /// <summary>Any other Chat Completions server given a base URL (<c>openai-compatible</c>): vLLM, LM Studio, llama.cpp, Ollama /v1.</summary>
    Compatible,
}
