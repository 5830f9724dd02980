namespace Art.Models;

/// <summary>
/// An adapter that can tell, at runtime, what one of its models can do (Ollama's <c>/api/show</c>: capabilities and
/// context length). The engine checks for it when a thread asks for auto-detected capabilities and the registry does
/// not know the model yet: <c>if (adapter is IModelDiscovery d) await registry.RegisterModelAsync(await d.DiscoverModelAsync(model))</c>.
/// Keeps the core free of provider SDKs.
/// </summary>
public interface IModelDiscovery
{
    /// <summary>What the provider says about <paramref name="modelId"/>, as a registry entry with <see cref="ModelInfoSource.Discovered"/>.</summary>
    Task<ModelInfo> DiscoverModelAsync(string modelId, CancellationToken cancellationToken = default);
}
