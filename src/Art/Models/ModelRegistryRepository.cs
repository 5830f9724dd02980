using Art.Storage;

namespace Art.Models;

/// <summary>Registry entries as documents of <c>art_model_registry</c>, keyed by <c>provider/modelId</c>.</summary>
public sealed class ModelRegistryRepository : IModelRegistryRepository
{
    /// <summary>The storage collection.</summary>
    public const string Collection = "art_model_registry";

    private readonly IStorageAdapter _storage;

    public ModelRegistryRepository(IStorageAdapter storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _storage = storage;
    }

    public Task<ModelInfo?> GetModelAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return _storage.GetAsync<ModelInfo>(Collection, key, cancellationToken);
    }

    public Task SaveModelAsync(ModelInfo model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return _storage.SetAsync(Collection, model.Key, model, cancellationToken);
    }

    public Task SaveModelsAsync(IReadOnlyList<ModelInfo> models, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0)
        {
            return Task.CompletedTask;
        }

        var writes = new StorageWrite[models.Count];
        for (var i = 0; i < models.Count; i++)
        {
            writes[i] = StorageWrite.Set(Collection, models[i].Key, ArtJson.ToElement(models[i]));
        }

        return _storage.WriteBatchAsync(writes, cancellationToken);
    }

    public Task DeleteModelAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return _storage.DeleteAsync(Collection, key, cancellationToken);
    }

    public Task<IReadOnlyList<ModelInfo>> QueryModelsAsync(FilterOptions? filter = null, CancellationToken cancellationToken = default) =>
        _storage.QueryAsync<ModelInfo>(Collection, filter, cancellationToken);
}
