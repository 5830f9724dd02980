using Art.Hosting;

namespace Art.Anthropic;

/// <summary>Registers provider type <c>anthropic</c> with an <see cref="ArtBuilder"/>.</summary>
public static class ArtBuilderExtensions
{
    /// <summary>Adds <see cref="AnthropicProviderFactory"/>, so instances with <c>"provider": "anthropic"</c> can be configured.</summary>
    public static ArtBuilder AddAnthropic(this ArtBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddProviderFactory(new AnthropicProviderFactory());
    }
}
