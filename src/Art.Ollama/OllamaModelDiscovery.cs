using Art.Models;

namespace Art.Ollama;

/// <summary>
/// Capability auto-detection for Ollama models: asks the server (<c>/api/show</c>) what a model can do and registers
/// it in the <see cref="IModelRegistry"/> as <see cref="ModelInfoSource.Discovered"/>, priced <see cref="ModelPricing.Free"/>.
/// The adapter implements <see cref="IModelDiscovery"/>, so the engine can do the same without referencing this package;
/// an application calls <see cref="RefreshAsync"/> when a thread's <c>AutoDetectCapabilities</c> is on and the registry does
/// not know the routed Ollama model yet (or after a pull), before routing on capabilities; it also teaches the adapter
/// whether to send <c>think</c> for that model.
/// </summary>
public static class OllamaModelDiscovery
{
    /// <summary>Shows <paramref name="model"/> at the adapter's server and registers what it says; returns the entry.</summary>
    public static async Task<ModelInfo> RefreshAsync(IModelRegistry registry, OllamaProviderAdapter adapter, string model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        var info = await adapter.DiscoverModelAsync(model, cancellationToken).ConfigureAwait(false);
        await registry.RegisterModelAsync(info, cancellationToken).ConfigureAwait(false);
        return info;
    }
}
