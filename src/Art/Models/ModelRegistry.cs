using Art.Reasoning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Models;

/// <summary>
/// The model catalog in memory: an immutable snapshot (by key and by provider) swapped on every write, so the router's
/// lookups never take a lock. Seeded from the embedded <c>default-models.json</c>; persisted entries override seeds.
/// </summary>
/// <remarks>
/// Source precedence on import: a price-map import never replaces an entry that was <see cref="ModelInfoSource.Discovered"/>
/// or registered by the application (<see cref="ModelInfoSource.User"/>); explicit <see cref="RegisterModelAsync"/> calls
/// always replace. Prices: an unknown price stays null (cost unknown); only local instances get zero by default.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The SemaphoreSlim never allocates its wait handle (only WaitAsync is used), so there is nothing to dispose.")]
public sealed partial class ModelRegistry : IModelRegistry
{
    private readonly IModelRegistryRepository _repository;
    private readonly Func<CancellationToken, Task<ModelCatalogFile>> _seed;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private volatile Snapshot _snapshot = Snapshot.Empty;
    private volatile bool _initialized;

    /// <param name="repository">Persistence of entries.</param>
    /// <param name="seed">Seed catalog; the embedded <c>default-models.json</c> when null.</param>
    /// <param name="timeProvider">Stamps <see cref="ModelInfo.UpdatedAt"/> of imports.</param>
    /// <param name="logger">Logs initialisation counts and import results.</param>
    public ModelRegistry(IModelRegistryRepository repository, Func<CancellationToken, Task<ModelCatalogFile>>? seed = null, TimeProvider? timeProvider = null, ILogger<ModelRegistry>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(repository);
        _repository = repository;
        _seed = seed ?? ModelCatalogFile.ReadEmbeddedAsync;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public int Count => _snapshot.ByKey.Count;

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_initialized)
        {
            return;
        }

        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            var catalog = await _seed(cancellationToken).ConfigureAwait(false);
            var persisted = await _repository.QueryModelsAsync(null, cancellationToken).ConfigureAwait(false);
            var byKey = new Dictionary<string, ModelInfo>(catalog.Models.Count + persisted.Count, StringComparer.OrdinalIgnoreCase);
            foreach (var model in catalog.Models)
            {
                // Whatever the file says (an entry without "source" would read as User): catalog entries are Seed, so the
                // router never takes them for models installed on a local server.
                byKey[model.Key] = model.Source == ModelInfoSource.Seed ? model : model with { Source = ModelInfoSource.Seed };
            }

            foreach (var model in persisted)
            {
                byKey[model.Key] = model;
            }

            // Anything registered before initialisation (already persisted, so also in 'persisted') stays.
            foreach (var model in _snapshot.ByKey.Values)
            {
                byKey[model.Key] = model;
            }

            _snapshot = Snapshot.Create(byKey);
            _initialized = true;
            Log.Initialized(_logger, catalog.Models.Count, persisted.Count, byKey.Count);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public ModelInfo? GetModelInfo(string provider, string modelId)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(modelId);
        return _snapshot.ByKey.TryGetValue(ModelInfo.MakeKey(provider, modelId), out var model) ? model : null;
    }

    public IReadOnlyList<ModelInfo> GetModelsForProvider(string provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return _snapshot.ByProvider.TryGetValue(provider, out var models) ? models : [];
    }

    public Task RegisterModelAsync(ModelInfo model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return RegisterModelsAsync([model], cancellationToken);
    }

    public async Task RegisterModelsAsync(IReadOnlyList<ModelInfo> models, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(models);
        foreach (var model in models)
        {
            ArgumentNullException.ThrowIfNull(model, nameof(models));
            ArgumentException.ThrowIfNullOrWhiteSpace(model.Provider, nameof(models));
            ArgumentException.ThrowIfNullOrWhiteSpace(model.ModelId, nameof(models));
        }

        if (models.Count == 0)
        {
            return;
        }

        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _repository.SaveModelsAsync(models, cancellationToken).ConfigureAwait(false);
            _snapshot = _snapshot.With(models);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public Task<IReadOnlyList<ModelInfo>> FindModelsWithCapabilitiesAsync(IReadOnlyCollection<ModelCapability> capabilities, string? provider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var source = provider is null ? _snapshot.All : GetModelsForProvider(provider);
        var result = new List<ModelInfo>();
        foreach (var model in source)
        {
            var all = true;
            foreach (var capability in capabilities)
            {
                if (model.Supports(capability) != CapabilitySupport.Yes)
                {
                    all = false;
                    break;
                }
            }

            if (all)
            {
                result.Add(model);
            }
        }

        return Task.FromResult<IReadOnlyList<ModelInfo>>(result);
    }

    public Task<CapabilityValidation> ValidateModelCapabilitiesAsync(string provider, string modelId, IReadOnlyCollection<ModelCapability> capabilities, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var model = GetModelInfo(provider, modelId);
        var support = new Dictionary<ModelCapability, CapabilitySupport>();
        foreach (var capability in capabilities)
        {
            support[capability] = model?.Supports(capability) ?? CapabilitySupport.Unknown;
        }

        return Task.FromResult(new CapabilityValidation(model is not null, support));
    }

    public Task<IReadOnlyList<ModelUIInfo>> GetAllModelsForUIAsync(CancellationToken cancellationToken = default)
    {
        var all = _snapshot.All;
        var result = new List<ModelUIInfo>(all.Length);
        foreach (var model in all)
        {
            var capabilities = new List<ModelCapability>();
            foreach (var capability in Enum.GetValues<ModelCapability>())
            {
                if (model.Supports(capability) == CapabilitySupport.Yes)
                {
                    capabilities.Add(capability);
                }
            }

            result.Add(new ModelUIInfo(
                model.Key,
                model.DisplayName ?? ModelDisplayNames.For(model.Provider, model.ModelId),
                model.Provider,
                model.ModelId,
                capabilities,
                model.ContextWindow,
                model.Pricing,
                model.Deprecated));
        }

        result.Sort(static (a, b) =>
        {
            var byProvider = string.CompareOrdinal(a.Provider, b.Provider);
            return byProvider != 0 ? byProvider : string.Compare(a.DisplayName, b.DisplayName, StringComparison.OrdinalIgnoreCase);
        });
        return Task.FromResult<IReadOnlyList<ModelUIInfo>>(result);
    }

    public async Task<int> ImportPriceMapAsync(Stream priceMapJson, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(priceMapJson);
        var parsed = await LiteLlmPriceMap.ParseAsync(priceMapJson, ModelInfoSource.Imported, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        List<ModelInfo> accepted;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Filter under the write gate so a concurrent discovery or user registration is never overwritten.
            var current = _snapshot;
            accepted = new List<ModelInfo>(parsed.Count);
            foreach (var model in parsed)
            {
                if (current.ByKey.TryGetValue(model.Key, out var existing) && existing.Source > ModelInfoSource.Imported)
                {
                    continue;
                }

                accepted.Add(model);
            }

            if (accepted.Count > 0)
            {
                await _repository.SaveModelsAsync(accepted, cancellationToken).ConfigureAwait(false);
                _snapshot = current.With(accepted);
            }
        }
        finally
        {
            _writeGate.Release();
        }

        Log.Imported(_logger, accepted.Count, parsed.Count - accepted.Count);
        return accepted.Count;
    }

    public ModelPricing? ResolvePricing(ProviderInstanceConfig instance, string modelId)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(modelId);
        if (instance.Pricing is { } overrides && overrides.TryGetValue(modelId, out var overridden))
        {
            return overridden;
        }

        var known = GetModelInfo(instance.Provider, modelId)?.Pricing;
        if (known is { IsKnown: true })
        {
            return known;
        }

        return IsLocal(instance) ? ModelPricing.Free : known;
    }

    /// <summary>Local rule of the architecture: explicit <c>IsLocal</c>, else Ollama or a loopback base URL.</summary>
    internal static bool IsLocal(ProviderInstanceConfig instance)
    {
        if (instance.IsLocal is { } explicitLocal)
        {
            return explicitLocal;
        }

        if (string.Equals(instance.Provider, "ollama", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return instance.BaseUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.IsLoopback;
    }

    /// <summary>One immutable view: readers grab the reference once and never see a half-applied write.</summary>
    private sealed class Snapshot
    {
        public static readonly Snapshot Empty = Create(new Dictionary<string, ModelInfo>(StringComparer.OrdinalIgnoreCase));

        private Snapshot(Dictionary<string, ModelInfo> byKey, Dictionary<string, ModelInfo[]> byProvider, ModelInfo[] all)
        {
            ByKey = byKey;
            ByProvider = byProvider;
            All = all;
        }

        public Dictionary<string, ModelInfo> ByKey { get; }

        public Dictionary<string, ModelInfo[]> ByProvider { get; }

        /// <summary>Every entry, sorted by provider then model id.</summary>
        public ModelInfo[] All { get; }

        public static Snapshot Create(Dictionary<string, ModelInfo> byKey)
        {
            var all = new ModelInfo[byKey.Count];
            byKey.Values.CopyTo(all, 0);
            Array.Sort(all, LiteLlmPriceMap.CompareByKey);
            var byProvider = new Dictionary<string, ModelInfo[]>(StringComparer.OrdinalIgnoreCase);
            var start = 0;
            for (var i = 1; i <= all.Length; i++)
            {
                if (i == all.Length || !string.Equals(all[i].Provider, all[start].Provider, StringComparison.OrdinalIgnoreCase))
                {
                    var provider = all[start].Provider;
                    var slice = all[start..i];
                    byProvider[provider] = byProvider.TryGetValue(provider, out var earlier) ? [.. earlier, .. slice] : slice;
                    start = i;
                }
            }

            return new Snapshot(byKey, byProvider, all);
        }

        public Snapshot With(IReadOnlyList<ModelInfo> models)
        {
            var byKey = new Dictionary<string, ModelInfo>(ByKey, StringComparer.OrdinalIgnoreCase);
            foreach (var model in models)
            {
                byKey[model.Key] = model;
            }

            return Create(byKey);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Model registry initialised: {SeedCount} seed entries, {PersistedCount} persisted, {Total} in total")]
        public static partial void Initialized(ILogger logger, int seedCount, int persistedCount, int total);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Price map imported: {Accepted} entries added or updated, {Skipped} kept (discovered or user entries win)")]
        public static partial void Imported(ILogger logger, int accepted, int skipped);
    }
}
