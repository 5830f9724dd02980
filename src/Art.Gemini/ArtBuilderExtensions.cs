using Art.Hosting;

namespace Art.Gemini;

/// <summary>Registers provider type <c>gemini</c> with an <see cref="ArtBuilder"/>.</summary>
public static class ArtBuilderExtensions
{
    /// <summary>Adds <see cref="GeminiProviderFactory"/>, so instances with <c>"provider": "gemini"</c> can be configured.</summary>
    public static ArtBuilder AddGemini(this ArtBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddProviderFactory(new GeminiProviderFactory());
    }
}
