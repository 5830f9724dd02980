using Art.Anthropic;
using Art.Gemini;
using Art.Hosting;
using Art.Observation;
using Art.Ollama;
using Art.OpenAI;
using Art.Reasoning;

namespace Art.Cli;

/// <summary>Every provider type the command knows.</summary>
internal static class CliProviders
{
    public static void Register(ArtBuilder builder)
    {
        builder.AddProviderFactory(context => new OllamaProviderFactory(context.Observations));
        builder.AddProviderFactory(context => new AnthropicProviderFactory());
        builder.AddProviderFactory(context => new GeminiProviderFactory());
        builder.AddProviderFactory(context => new OpenAIProviderFactory());
    }

    /// <summary>The same factories outside a build (for probing instances one by one).</summary>
    public static ProviderFactoryRegistry CreateRegistry(IObservationManager observations)
    {
        ArgumentNullException.ThrowIfNull(observations);
        var registry = new ProviderFactoryRegistry();
        registry.Register(new OllamaProviderFactory(observations));
        registry.Register(new AnthropicProviderFactory());
        registry.Register(new GeminiProviderFactory());
        registry.Register(new OpenAIProviderFactory());
        return registry;
    }

    /// <summary><c>OLLAMA_HOST</c> as the Ollama CLI reads it, else <c>http://127.0.0.1:11434</c>.</summary>
    public static string DefaultOllamaUrl() => OllamaProviderFactory.ResolveDefaultBaseUrl();
}
