using System.Collections.Concurrent;
using Art.Context;
using Art.Models;
using Art.Observation;
using ArtObservation = Art.Observation.Observation;

namespace Art.Benchmarks.Support;

/// <summary>Thread configs in a concurrent dictionary.</summary>
public sealed class BenchStateManager : IStateManager
{
    private readonly ConcurrentDictionary<string, ThreadConfig> _configs = new(StringComparer.Ordinal);

    public void Set(string threadId, ThreadConfig config) => _configs[threadId] = config;

    public Task<ThreadContext> LoadThreadContextAsync(string threadId, CancellationToken cancellationToken = default) =>
        _configs.TryGetValue(threadId, out var config) ? Task.FromResult(new ThreadContext(config, null)) : throw new Art.ThreadNotFoundException(threadId);

    public Task<ThreadConfig?> GetThreadConfigAsync(string threadId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_configs.GetValueOrDefault(threadId));

    public Task SetThreadConfigAsync(string threadId, ThreadConfig config, CancellationToken cancellationToken = default)
    {
        Set(threadId, config);
        return Task.CompletedTask;
    }

    public Task UpdateThreadReasoningPreferencesAsync(string threadId, ModelPreferences? modelPreferences = null, CostPreferences? costPreferences = null, CancellationToken cancellationToken = default)
    {
        var config = _configs[threadId];
        Set(threadId, config with
        {
            Reasoning = config.Reasoning with
            {
                ModelPreferences = modelPreferences ?? config.Reasoning.ModelPreferences,
                CostPreferences = costPreferences ?? config.Reasoning.CostPreferences,
            },
        });
        return Task.CompletedTask;
    }

    public Task<AgentState?> GetAgentStateAsync(string threadId, CancellationToken cancellationToken = default) => Task.FromResult<AgentState?>(null);

    public Task SetAgentStateAsync(string threadId, AgentState state, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<bool> IsToolEnabledAsync(string threadId, string toolName, CancellationToken cancellationToken = default) => Task.FromResult(false);

    public Task<IReadOnlyList<string>> ListThreadIdsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. _configs.Keys]);
}

/// <summary>Builds each observation (as a real manager must) and counts it; keeps none, so long runs stay flat.</summary>
public sealed class BenchObservationManager : IObservationManager
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public Task<ArtObservation> RecordAsync(NewObservation observation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(observation);
        Interlocked.Increment(ref _count);
        return Task.FromResult(new ArtObservation
        {
            Id = Guid.NewGuid().ToString("N"),
            ThreadId = observation.ThreadId,
            TraceId = observation.TraceId,
            Timestamp = DateTimeOffset.UtcNow,
            Type = observation.Type,
            Title = observation.Title ?? observation.Type.ToString(),
            InstanceId = observation.InstanceId,
            ModelId = observation.ModelId,
            Content = observation.Content,
        });
    }

    public Task<IReadOnlyList<ArtObservation>> GetObservationsAsync(string? threadId, ObservationQuery? query = null, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ArtObservation>>([]);
}

/// <summary>Pricing from the instance overrides only; the catalog is empty.</summary>
public sealed class BenchRegistry : IModelRegistry
{
    public int Count => 0;

    public ModelPricing? ResolvePricing(Art.Reasoning.ProviderInstanceConfig instance, string modelId)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return instance.Pricing?.GetValueOrDefault(modelId);
    }

    public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public ModelInfo? GetModelInfo(string provider, string modelId) => null;

    public IReadOnlyList<ModelInfo> GetModelsForProvider(string provider) => [];

    public Task RegisterModelAsync(ModelInfo model, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task RegisterModelsAsync(IReadOnlyList<ModelInfo> models, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<IReadOnlyList<ModelInfo>> FindModelsWithCapabilitiesAsync(IReadOnlyCollection<ModelCapability> capabilities, string? provider = null, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ModelInfo>>([]);

    public Task<CapabilityValidation> ValidateModelCapabilitiesAsync(string provider, string modelId, IReadOnlyCollection<ModelCapability> capabilities, CancellationToken cancellationToken = default) =>
        Task.FromResult(new CapabilityValidation(false, new Dictionary<ModelCapability, CapabilitySupport>()));

    public Task<IReadOnlyList<ModelUIInfo>> GetAllModelsForUIAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ModelUIInfo>>([]);

    public Task<int> ImportPriceMapAsync(Stream priceMapJson, CancellationToken cancellationToken = default) => Task.FromResult(0);
}
