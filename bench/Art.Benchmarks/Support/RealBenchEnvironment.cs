using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Storage;
using Art.Storage.Repositories;
using Art.Testing;
using Art.UI;

namespace Art.Benchmarks.Support;

/// <summary>
/// The same scenario as <see cref="BenchEnvironment"/>, built from the real components: in-memory storage,
/// <see cref="ModelRegistry"/> (embedded catalog), <see cref="ProviderInstanceManager"/> with
/// <see cref="ScriptedProviderFactory"/> instances, <see cref="ModelRouter"/>, <see cref="CostTrackingService"/>,
/// <see cref="ObservationManager"/> publishing to a <see cref="UISystem"/> (with one model-socket subscriber, as a UI
/// would have), <see cref="StateManager"/> and <see cref="QueryAnalyzer"/>. Every call therefore really routes, reserves
/// and settles against the ledger, takes a lease and stores its observations.
/// </summary>
public sealed class RealBenchEnvironment
{
    private readonly List<ProviderInstanceConfig> _configs = [];
    private readonly List<ModelInfo> _models = [];
    private string? _threadInstance;
    private string[] _fallbacks = [];

    public ScriptedProviderFactory Factory { get; } = new();

    public InMemoryStorageAdapter Storage { get; } = new();

    /// <summary>Events seen by the model-socket subscriber (keeps the delivery path honest).</summary>
    public int ModelEvents => Volatile.Read(ref _modelEvents);

    private int _modelEvents;

    /// <summary>Adds a remote scripted instance whose every request is answered by <paramref name="response"/>, with its model priced in the registry.</summary>
    public ScriptedProviderAdapter AddInstance(string id, ScriptedResponse response, ModelPricing? pricing = null)
    {
        var adapter = Factory.For(id);
        adapter.DefaultResponse = response;
        var model = "bench-" + id;
        _configs.Add(new ProviderInstanceConfig { Id = id, Provider = ScriptedProviderAdapter.DefaultProviderName, BaseUrl = "https://" + id + ".bench.test", Model = model });
        _models.Add(new ModelInfo
        {
            Provider = ScriptedProviderAdapter.DefaultProviderName,
            ModelId = model,
            ContextWindow = 128_000,
            Pricing = pricing,
            Capabilities = new Dictionary<ModelCapability, bool> { [ModelCapability.Text] = true },
            Source = ModelInfoSource.User,
        });
        return adapter;
    }

    /// <summary>The thread goes to <paramref name="instanceId"/>, then to the fallbacks in order (no cross-provider candidates).</summary>
    public void AddThread(string instanceId, params string[] fallbacks)
    {
        _threadInstance = instanceId;
        _fallbacks = fallbacks;
    }

    public ReasoningEngine CreateEngine(ReasoningEngineOptions? options = null) => CreateEngineAsync(options).GetAwaiter().GetResult();

    private async Task<ReasoningEngine> CreateEngineAsync(ReasoningEngineOptions? options)
    {
        var instances = new ProviderInstanceManager(_configs, new ProviderFactoryRegistry().Register(Factory), new ProviderInstanceManagerOptions { EnvironmentReader = _ => null });
        await instances.InitializeAsync().ConfigureAwait(false);
        var registry = new ModelRegistry(new ModelRegistryRepository(Storage));
        await registry.InitializeAsync().ConfigureAwait(false);
        await registry.RegisterModelsAsync(_models).ConfigureAwait(false);
        // The fallback scenario fails on purpose on every call: keep its circuit closed so every call really falls back.
        var router = new ModelRouter(instances, registry, new InstanceHealthTracker(options: new CircuitBreakerOptions { FailureThreshold = int.MaxValue }));
        var ui = new UISystem(new ObservationRepository(Storage), new ConversationRepository(Storage));
        ui.GetModelSocket().Subscribe(_ => Interlocked.Increment(ref _modelEvents));
        var observations = new ObservationManager(new ObservationRepository(Storage), ui);
        var costs = new CostTrackingService(Storage, observations);
        var state = new StateManager(new StateRepository(Storage), instances.FindFirstInstanceOfProvider);
        await state.SetThreadConfigAsync(BenchEnvironment.ThreadId, new ThreadConfig
        {
            Reasoning = new ThreadReasoningConfig
            {
                InstanceId = _threadInstance ?? throw new InvalidOperationException("AddThread first."),
                ModelPreferences = new ModelPreferences { FallbackInstances = _fallbacks, AllowCrossProviderFallback = false },
                CostPreferences = new CostPreferences { MaxCostPerThread = 1_000_000m },
            },
        }).ConfigureAwait(false);
        return new ReasoningEngine(
            state,
            router,
            registry,
            costs,
            instances,
            observations,
            options ?? new ReasoningEngineOptions { BaseBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.Zero },
            capabilityAnalyzer: QueryAnalyzer.Analyze);
    }
}
