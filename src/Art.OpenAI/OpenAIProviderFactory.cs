using Art.Reasoning;

namespace Art.OpenAI;

/// <summary>
/// Serves the OpenAI family: <c>openai</c>, <c>deepseek</c>, <c>openrouter</c> and <c>openai-compatible</c> (any Chat
/// Completions server given a base URL). They share one adapter and differ only in <see cref="OpenAIProviderFlavor"/>.
/// </summary>
public sealed class OpenAIProviderFactory : IProviderFactory
{
    public const string OpenAI = "openai";
    public const string DeepSeek = "deepseek";
    public const string OpenRouter = "openrouter";
    public const string Compatible = "openai-compatible";

    public IReadOnlyList<string> ProviderNames { get; } = [OpenAI, DeepSeek, OpenRouter, Compatible];

    /// <summary>Remote by nature; an <c>openai-compatible</c> instance on a loopback URL is local (decided by <see cref="IsLocalUrl"/>).</summary>
    public bool IsLocalByDefault(string providerName) => false;

    public string? ApiKeyEnvironmentVariable(string providerName) => FlavorOf(providerName) switch
    {
        OpenAIProviderFlavor.OpenAI => "OPENAI_API_KEY",
        OpenAIProviderFlavor.DeepSeek => "DEEPSEEK_API_KEY",
        OpenAIProviderFlavor.OpenRouter => "OPENROUTER_API_KEY",
        _ => null,
    };

    /// <summary>Local servers (LM Studio, vLLM, llama.cpp, Ollama /v1) usually need no key.</summary>
    public bool RequiresApiKey(string providerName) => FlavorOf(providerName) != OpenAIProviderFlavor.Compatible;

    public string? DefaultBaseUrl(string providerName) => FlavorOf(providerName) switch
    {
        OpenAIProviderFlavor.OpenAI => "https://api.openai.com/v1",
        OpenAIProviderFlavor.DeepSeek => "https://api.deepseek.com",
        OpenAIProviderFlavor.OpenRouter => "https://openrouter.ai/api/v1",

        // openai-compatible has no public endpoint: the instance must name its server.
        _ => null,
    };

    public IProviderAdapter Create(ProviderAdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var flavor = FlavorOf(context.Config.Provider);
        if (flavor == OpenAIProviderFlavor.Compatible && string.IsNullOrWhiteSpace(context.Config.BaseUrl))
        {
            throw new ArgumentException($"Instance '{context.Config.Id}' (openai-compatible) needs a BaseUrl, e.g. http://localhost:1234/v1.", nameof(context));
        }

        return new OpenAIProviderAdapter(context, flavor);
    }

    /// <summary>Whether a base URL points at this machine (loopback name or address).</summary>
    public static bool IsLocalUrl(string? baseUrl) =>
        Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) && (uri.IsLoopback || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase));

    internal static OpenAIProviderFlavor FlavorOf(string providerName) => providerName?.ToLowerInvariant() switch
    {
        OpenAI => OpenAIProviderFlavor.OpenAI,
        DeepSeek => OpenAIProviderFlavor.DeepSeek,
        OpenRouter => OpenAIProviderFlavor.OpenRouter,
        Compatible => OpenAIProviderFlavor.Compatible,
        _ => throw new ArgumentException($"Unknown provider '{providerName}' for the OpenAI factory; known: openai, deepseek, openrouter, openai-compatible.", nameof(providerName)),
    };
}
