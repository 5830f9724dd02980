using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Storage;
using Art.Storage.Repositories;
using Art.Testing;
using Art.Tests.Reasoning;
using Art.UI;
using Microsoft.Extensions.Time.Testing;

namespace Art.Tests.Integration;

/// <summary>What an <see cref="ArtCoreFixture"/> is built with; every member has a default that suits most tests.</summary>
internal sealed record ArtCoreSetup
{
    /// <summary>Storage; a fresh <see cref="InMemoryStorageAdapter"/> when null. The fixture does not dispose a given one.</summary>
    public IStorageAdapter? Storage { get; init; }

    /// <summary>Clock of every component; a <see cref="FakeTimeProvider"/> (wrapped to signal timers) when null.</summary>
    public TimeProvider? Time { get; init; }

    public IReadOnlyList<ProviderInstanceConfig> Instances { get; init; } = ArtCoreFixture.DefaultInstances;

    public IReadOnlyList<ModelInfo> Models { get; init; } = ArtCoreFixture.DefaultModels;

    /// <summary>No backoff by default, so retries do not need the clock advanced.</summary>
    public ReasoningEngineOptions Engine { get; init; } = new() { BaseBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.Zero };

    public CircuitBreakerOptions Circuit { get; init; } = new();

    public CostTrackingOptions Costs { get; init; } = new();

    /// <summary>Factories of real providers to register next to the scripted one (e.g. Ollama against its test server).</summary>
    public IReadOnlyList<IProviderFactory> ExtraFactories { get; init; } = [];

    public ModelDiscoveryOptions Discovery { get; init; } = new();

    /// <summary>Seed catalog of the registry; the embedded <c>default-models.json</c> when null.</summary>
    public Func<CancellationToken, Task<ModelCatalogFile>>? Seed { get; init; }
}

/// <summary>
/// The real reasoning core wired together, with no fake of any ART interface: storage (in-memory or SQLite), the
/// model registry seeded from the embedded catalog plus priced test models, a <see cref="ProviderInstanceManager"/>
/// whose instances are <see cref="ScriptedProviderAdapter"/>s (remote and local, several provider types), the real
/// <see cref="ModelRouter"/> with its <see cref="InstanceHealthTracker"/>, <see cref="CostTrackingService"/>,
/// <see cref="ObservationManager"/> publishing to a real <see cref="UISystem"/>, <see cref="StateManager"/>, and the
/// <see cref="ReasoningEngine"/> with <see cref="QueryAnalyzer.Analyze"/> as its capability analyzer.
/// </summary>
/// <remarks>
/// Default instances, in configuration order (the router's tie-break):
/// <list type="bullet">
/// <item><c>cloud-a</c> (provider alpha, model alpha-small: text, tools, no vision, 16k window, $1/$2 per M);</item>
/// <item><c>cloud-b</c> (beta, beta-vision: text, tools, vision, 128k, $3/$6);</item>
/// <item><c>cloud-c</c> (gamma, gamma-mini: text, vision and tools unknown, 32k, $0.5/$1);</item>
/// <item><c>cloud-a2</c> (alpha, alpha-large: text, tools, no vision, 200k, $5/$10);</item>
/// <item><c>local-1</c> and <c>local-2</c> (lan, lan-llama on one host, 127.0.0.1:11434 and localhost:11434: text only,
/// 8k, price unknown so free as local), sharing one FIFO gate of width 1 with a 30 s queue timeout.</item>
/// </list>
/// </remarks>
internal sealed class ArtCoreFixture : IAsyncDisposable
{
    public static readonly IReadOnlyList<string> ProviderNames = ["alpha", "beta", "gamma", "lan"];

    public static readonly IReadOnlyList<ProviderInstanceConfig> DefaultInstances =
    [
        new() { Id = "cloud-a", Provider = "alpha", BaseUrl = "https://alpha.scripted.test", Model = "alpha-small" },
        new() { Id = "cloud-b", Provider = "beta", BaseUrl = "https://beta.scripted.test", Model = "beta-vision" },
        new() { Id = "cloud-c", Provider = "gamma", BaseUrl = "https://gamma.scripted.test", Model = "gamma-mini" },
        new() { Id = "cloud-a2", Provider = "alpha", BaseUrl = "https://alpha2.scripted.test", Model = "alpha-large" },
        new() { Id = "local-1", Provider = "lan", BaseUrl = "http://127.0.0.1:11434", Model = "lan-llama", QueueTimeout = TimeSpan.FromSeconds(30) },
        new() { Id = "local-2", Provider = "lan", BaseUrl = "http://localhost:11434", Model = "lan-llama", QueueTimeout = TimeSpan.FromSeconds(30) },
    ];

    public static readonly IReadOnlyList<ModelInfo> DefaultModels =
    [
        Model("alpha", "alpha-small", 16_000, 1m, 2m, (ModelCapability.Text, true), (ModelCapability.ToolUse, true), (ModelCapability.Vision, false)),
        Model("alpha", "alpha-large", 200_000, 5m, 10m, (ModelCapability.Text, true), (ModelCapability.ToolUse, true), (ModelCapability.Vision, false)),
        Model("beta", "beta-vision", 128_000, 3m, 6m, (ModelCapability.Text, true), (ModelCapability.ToolUse, true), (ModelCapability.Vision, true)),
        Model("gamma", "gamma-mini", 32_000, 0.5m, 1m, (ModelCapability.Text, true)),
        Model("lan", "lan-llama", 8_192, null, null, (ModelCapability.Text, true), (ModelCapability.Vision, false), (ModelCapability.ToolUse, false)),
    ];

    private readonly bool _ownsStorage;

    private ArtCoreFixture(ArtCoreSetup setup)
    {
        _ownsStorage = setup.Storage is null;
        Storage = setup.Storage ?? new InMemoryStorageAdapter();
        if (setup.Time is null)
        {
            FakeTime = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
            Signals = new SignalingTimeProvider(FakeTime);
            Time = Signals;
        }
        else
        {
            Time = setup.Time;
        }

        Factory = new ScriptedProviderFactory(Time, ProviderNames);
        var factories = new ProviderFactoryRegistry().Register(Factory);
        foreach (var extra in setup.ExtraFactories)
        {
            factories.Register(extra);
        }

        Instances = new ProviderInstanceManager(
            setup.Instances,
            factories,
            new ProviderInstanceManagerOptions { TimeProvider = Time, EnvironmentReader = _ => null });
        Registry = new ModelRegistry(new ModelRegistryRepository(Storage), setup.Seed, Time);
        Health = new InstanceHealthTracker(Time, setup.Circuit);
        Discovery = new ModelCapabilityDiscovery(Instances, Registry, setup.Discovery, Time);
        Router = new ModelRouter(Instances, Registry, Health, discovery: Discovery);
        UI = new UISystem(new ObservationRepository(Storage), new ConversationRepository(Storage));
        Observations = new ObservationManager(new ObservationRepository(Storage), UI, Time);
        Costs = new CostTrackingService(Storage, Observations, setup.Costs, Time);
        State = new StateManager(new StateRepository(Storage), Instances.FindFirstInstanceOfProvider);
        Engine = new ReasoningEngine(State, Router, Registry, Costs, Instances, Observations, setup.Engine, Time, capabilityAnalyzer: QueryAnalyzer.Analyze);
    }

    public IStorageAdapter Storage { get; }

    public TimeProvider Time { get; }

    /// <summary>The fake clock (null when the test chose another clock).</summary>
    public FakeTimeProvider? FakeTime { get; }

    /// <summary>The fake clock's wrapper that reports timers as they are created (null when the test chose another clock).</summary>
    public SignalingTimeProvider? Signals { get; }

    public ScriptedProviderFactory Factory { get; }

    public ProviderInstanceManager Instances { get; }

    public ModelRegistry Registry { get; }

    public InstanceHealthTracker Health { get; }

    public ModelRouter Router { get; }

    public ModelCapabilityDiscovery Discovery { get; }

    public UISystem UI { get; }

    public ObservationManager Observations { get; }

    public CostTrackingService Costs { get; }

    public StateManager State { get; }

    public ReasoningEngine Engine { get; }

    /// <summary>Builds and initialises the stack (instances, then registry with the test models).</summary>
    public static async Task<ArtCoreFixture> CreateAsync(ArtCoreSetup? setup = null, CancellationToken cancellationToken = default)
    {
        var fixture = new ArtCoreFixture(setup ?? new ArtCoreSetup());
        await fixture.Instances.InitializeAsync(cancellationToken);
        await fixture.Registry.InitializeAsync(cancellationToken);
        var models = (setup ?? new ArtCoreSetup()).Models;
        if (models.Count > 0)
        {
            await fixture.Registry.RegisterModelsAsync(models, cancellationToken);
        }

        return fixture;
    }

    /// <summary>A registry entry with prices in USD per million tokens (null = unknown) and tri-state capabilities.</summary>
    public static ModelInfo Model(string provider, string modelId, int? window, decimal? input, decimal? output, params (ModelCapability Capability, bool Has)[] capabilities) => new()
    {
        Provider = provider,
        ModelId = modelId,
        ContextWindow = window,
        Pricing = input is null && output is null ? null : new ModelPricing { InputPerMillion = input, OutputPerMillion = output },
        Capabilities = capabilities.ToDictionary(c => c.Capability, c => c.Has),
        Source = ModelInfoSource.User,
    };

    /// <summary>The scripted adapter of an instance.</summary>
    public ScriptedProviderAdapter Adapter(string instanceId) => Factory.For(instanceId);

    /// <summary>Creates (or replaces) a thread.</summary>
    public Task CreateThreadAsync(string threadId, ThreadReasoningConfig reasoning, CancellationToken cancellationToken = default) =>
        State.SetThreadConfigAsync(threadId, new ThreadConfig { Reasoning = reasoning }, cancellationToken);

    /// <summary>Observations of a thread, oldest first.</summary>
    public async Task<IReadOnlyList<Art.Observation.Observation>> ObservationsAsync(string threadId, params ObservationType[] types) =>
        await Observations.GetObservationsAsync(threadId, new ObservationQuery { Types = types.Length == 0 ? null : types });

    /// <summary>Records every event of the model socket (optionally of one thread) until disposed.</summary>
    public ModelEventRecorder RecordModelEvents(string? threadId = null) => new(UI.GetModelSocket(), threadId);

    public async ValueTask DisposeAsync()
    {
        await Instances.DisposeAsync();
        if (_ownsStorage && Storage is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }
}

/// <summary>Collects model-socket events through a real subscription.</summary>
internal sealed class ModelEventRecorder : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<ModelEvent> _events = [];
    private readonly IDisposable _subscription;

    public ModelEventRecorder(ModelSocket socket, string? threadId)
    {
        _subscription = socket.Subscribe(
            e =>
            {
                lock (_gate)
                {
                    _events.Add(e);
                }
            },
            threadId: threadId);
    }

    public IReadOnlyList<ModelEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    public IReadOnlyList<ModelEvent> OfType(ModelEventType type) => [.. Events.Where(e => e.Type == type)];

    public void Dispose() => _subscription.Dispose();
}
