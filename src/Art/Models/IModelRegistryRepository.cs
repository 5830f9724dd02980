using Art.Storage;

namespace Art.Models;

/// <summary>Persistence of registry entries (collection <c>art_model_registry</c>), keyed by <c>provider/modelId</c>.</summary>
public interface IModelRegistryRepository
{
    Task<ModelInfo?> GetModelAsync(string key, CancellationToken cancellationToken = default);

    Task SaveModelAsync(ModelInfo model, CancellationToken cancellationToken = default);

    Task SaveModelsAsync(IReadOnlyList<ModelInfo> models, CancellationToken cancellationToken = default);

    Task DeleteModelAsync(string key, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ModelInfo>> QueryModelsAsync(FilterOptions? filter = null, CancellationToken cancellationToken = default);
}
