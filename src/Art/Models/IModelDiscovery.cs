namespace Art.Models;

/// <summary>
/// An adapter that can tell, at runtime, what one of its models can do (Ollama's <c>/api/show</c>: capabilities and
/// context length). <see cref="ModelCapabilityDiscovery"/>, run by the <see cref="ModelRouter"/> before routing a thread
/// that asks for auto-detected capabilities, checks for it on every configured instance and registers the answer
/// (cached with a TTL) when the registry has no fresh discovered entry for the model.
/// Keeps the core free of provider SDKs.
/// </summary>
public interface IModelDiscovery
{
    /// <summary>What the provider says about <paramref name="modelId"/>, as a registry entry with <see cref="ModelInfoSource.Discovered"/>.</summary>
    Task<ModelInfo> DiscoverModelAsync(string modelId, CancellationToken cancellationToken = default);
}
