using Art.Models;

namespace Art.Ollama;

/// <summary>
/// Capability auto-detection for Ollama models: asks the server (<c>/api/show</c>) what a model can do and registers
/// it in the <see cref="IModelRegistry"/> as <see cref="ModelInfoSource.Discovered"/>, priced <see cref="ModelPricing.Free"/>.
/// The engine calls <see cref="RefreshAsync"/> when a thread's <c>AutoDetectCapabilities</c> is on and the registry does
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
        var details = await adapter.ShowModelAsync(model, cancellationToken).ConfigureAwait(false);
        var info = new ModelInfo
        {
            Provider = adapter.ProviderName,
            ModelId = model,
            DisplayName = details.ParameterSize is null ? model : $"{model} ({details.ParameterSize}{(details.QuantizationLevel is null ? string.Empty : ", " + details.QuantizationLevel)})",
            Capabilities = details.Capabilities,
            ContextWindow = details.ContextWindow,
            Pricing = ModelPricing.Free,
            Source = ModelInfoSource.Discovered,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        await registry.RegisterModelAsync(info, cancellationToken).ConfigureAwait(false);
        return info;
    }
}
