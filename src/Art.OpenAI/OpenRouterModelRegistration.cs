using Art.Models;

namespace Art.OpenAI;

/// <summary>
/// Puts OpenRouter's live model list (prices, context windows, capability hints) into the model registry, so the
/// router can price and fit OpenRouter models it has no seed entry for.
/// </summary>
public static class OpenRouterModelRegistration
{
    /// <summary>Converts listed models to registry entries with <see cref="ModelInfoSource.Discovered"/>.</summary>
    public static IReadOnlyList<ModelInfo> ToModelInfos(IEnumerable<ProviderModelInfo> models, string provider = "openrouter", TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        return models.Select(m => new ModelInfo
        {
            Provider = provider,
            ModelId = m.Name,
            DisplayName = m.DisplayName,
            Capabilities = m.Capabilities ?? new Dictionary<ModelCapability, bool>(),
            ContextWindow = m.ContextWindow,
            MaxOutputTokens = m.MaxOutputTokens,
            Pricing = m.Pricing,
            Source = ModelInfoSource.Discovered,
            UpdatedAt = now,
        }).ToArray();
    }

    /// <summary>Lists the instance's models and registers them; returns how many were registered.</summary>
    public static async Task<int> RegisterDiscoveredModelsAsync(this IModelRegistry registry, Art.Reasoning.IProviderAdapter adapter, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(adapter);
        var listed = await adapter.ListModelsAsync(cancellationToken).ConfigureAwait(false);
        var infos = ToModelInfos(listed, adapter.ProviderName, timeProvider);
        await registry.RegisterModelsAsync(infos, cancellationToken).ConfigureAwait(false);
        return infos.Count;
    }
}
