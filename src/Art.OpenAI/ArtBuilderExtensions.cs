using Art.Hosting;

namespace Art.OpenAI;

/// <summary>Registers provider types <c>openai</c>, <c>deepseek</c>, <c>openrouter</c> and <c>openai-compatible</c> with an <see cref="ArtBuilder"/>.</summary>
public static class ArtBuilderExtensions
{
    /// <summary>Adds <see cref="OpenAIProviderFactory"/> (one factory serves the whole OpenAI-compatible family).</summary>
    public static ArtBuilder AddOpenAI(this ArtBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddProviderFactory(new OpenAIProviderFactory());
    }
}
