using Art.Hosting;

namespace Art.Ollama;

/// <summary>Registers provider type <c>ollama</c> with an <see cref="ArtBuilder"/>.</summary>
public static class ArtBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="OllamaProviderFactory"/>, created during the build with the host's observation manager so pulls
    /// and deletes reach the ModelSocket.
    /// </summary>
    public static ArtBuilder AddOllama(this ArtBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddProviderFactory(context => new OllamaProviderFactory(context.Observations));
    }
}
