using Art.Agents;
using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Secrets;
using Art.Storage;
using Art.Storage.Repositories;
using Art.Tools;
using Art.UI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Hosting;

/// <summary>
/// Assembles an <see cref="ArtInstance"/> from <see cref="ArtOptions"/> plus what configuration cannot carry:
/// provider factories (provider packages add theirs with <c>AddOllama()</c>-style extensions), tools, storage kinds,
/// a secrets repository, logging and a clock. <see cref="BuildAsync"/> creates everything in dependency order:
/// storage → repositories → UI sockets → observation, state and conversation managers → secrets (unlocked) → model
/// registry (initialized) → provider instances (initialized; keys resolved, so secrets must be unlocked first) →
/// health tracker and router → cost tracker → reasoning engine → tools.
/// </summary>
public sealed class ArtBuilder
{
    private readonly List<Func<ArtBuildContext, IProviderFactory>> _factories = [];
    private readonly List<Func<ArtBuildContext, IToolExecutor>> _tools = [];
    private readonly Dictionary<string, Func<ArtStorageOptions, IStorageAdapter>> _storageKinds = new(StringComparer.OrdinalIgnoreCase)
    {
        [ArtStorageOptions.Memory] = _ => new InMemoryStorageAdapter(),
    };

    private Func<ArtStorageOptions, IStorageAdapter>? _storage;
    private bool _ownsStorage = true;
    private Func<ArtBuildContext, IEncryptedSecretsRepository>? _secrets;
    private string? _masterPassword;
    private bool _useEncryptedSecrets;
    private Func<CancellationToken, Task<ModelCatalogFile>>? _catalog;
    private bool _addCalculator = true;
    private Func<ArtAgentContext, IAgentCore>? _agent;

    public ArtBuilder(ArtOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The configuration being built; may still be changed by <c>configure</c> callbacks.</summary>
    public ArtOptions Options { get; }

    public ILoggerFactory LoggerFactory { get; private set; } = NullLoggerFactory.Instance;

    public TimeProvider TimeProvider { get; private set; } = TimeProvider.System;

    /// <summary>HTTP handler handed to every adapter (proxies, tests).</summary>
    public HttpMessageHandler? HttpHandler { get; private set; }

    /// <summary>Registers a provider factory (a type served by two factories is a configuration error at build).</summary>
    public ArtBuilder AddProviderFactory(IProviderFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _factories.Add(_ => factory);
        return this;
    }

    /// <summary>Registers a provider factory created during the build, when it needs the host's parts.</summary>
    public ArtBuilder AddProviderFactory(Func<ArtBuildContext, IProviderFactory> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _factories.Add(factory);
        return this;
    }

    /// <summary>Registers a tool (the calculator is registered unless <see cref="WithoutCalculator"/> is called).</summary>
    public ArtBuilder AddTool(IToolExecutor tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        _tools.Add(_ => tool);
        return this;
    }

    public ArtBuilder AddTool(Func<ArtBuildContext, IToolExecutor> tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        _tools.Add(tool);
        return this;
    }

    /// <summary>Leaves the built-in calculator tool out.</summary>
    public ArtBuilder WithoutCalculator()
    {
        _addCalculator = false;
        return this;
    }

    /// <summary>Makes <c>storage:kind</c> <paramref name="kind"/> available (Art.Sqlite registers <c>sqlite</c>).</summary>
    public ArtBuilder AddStorageKind(string kind, Func<ArtStorageOptions, IStorageAdapter> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentNullException.ThrowIfNull(factory);
        _storageKinds[kind] = factory;
        return this;
    }

    /// <summary>Uses this storage whatever <c>storage:kind</c> says. <paramref name="dispose"/>: the instance disposes it.</summary>
    public ArtBuilder UseStorage(IStorageAdapter storage, bool dispose = false)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _storage = _ => storage;
        _ownsStorage = dispose;
        return this;
    }

    /// <summary>Uses a secrets repository the caller made (and unlocked, if keys should resolve from it).</summary>
    public ArtBuilder UseSecrets(IEncryptedSecretsRepository secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _secrets = _ => secrets;
        return this;
    }

    /// <summary>
    /// Uses an <see cref="EncryptedSecretsRepository"/> on the instance's storage, unlocked with
    /// <paramref name="masterPassword"/> when one is given (before provider instances resolve their keys).
    /// The password is used once and not kept by the instance.
    /// </summary>
    public ArtBuilder UseEncryptedSecrets(string? masterPassword = null)
    {
        _useEncryptedSecrets = true;
        _masterPassword = masterPassword;
        return this;
    }

    public ArtBuilder UseLoggerFactory(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        LoggerFactory = loggerFactory;
        return this;
    }

    public ArtBuilder UseTimeProvider(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        TimeProvider = timeProvider;
        return this;
    }

    public ArtBuilder UseHttpHandler(HttpMessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        HttpHandler = handler;
        return this;
    }

    /// <summary>Replaces the embedded seed catalog of the model registry.</summary>
    public ArtBuilder UseModelCatalog(Func<CancellationToken, Task<ModelCatalogFile>> catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _catalog = catalog;
        return this;
    }

    /// <summary>Replaces the default <see cref="PesAgent"/> with another <see cref="IAgentCore"/>.</summary>
    public ArtBuilder UseAgent(Func<ArtAgentContext, IAgentCore> agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        _agent = agent;
        return this;
    }

    /// <summary>Validates the options and creates every component; on failure, what was created is disposed.</summary>
    public async Task<ArtInstance> BuildAsync(CancellationToken cancellationToken = default)
    {
        var options = Options.Validate();
        var storage = CreateStorage(options.Storage);
        var owned = new List<IAsyncDisposable>();
        if (_ownsStorage && storage is IAsyncDisposable disposableStorage)
        {
            owned.Add(disposableStorage);
        }

        try
        {
            var stateRepository = new StateRepository(storage);
            var conversationRepository = new ConversationRepository(storage);
            var observationRepository = new ObservationRepository(storage);
            var ui = new UISystem(observationRepository, conversationRepository, LoggerFactory);
            var observations = new ObservationManager(observationRepository, ui, TimeProvider, LoggerFactory.CreateLogger<ObservationManager>());
            ProviderInstanceManager? instances = null;
            var stateManager = new StateManager(stateRepository, provider => instances?.FindFirstInstanceOfProvider(provider), LoggerFactory.CreateLogger<StateManager>());
            var conversations = new ConversationManager(conversationRepository, ui.GetConversationSocket(), LoggerFactory.CreateLogger<ConversationManager>());
            var context = new ArtBuildContext(options, storage, observations, ui, LoggerFactory, TimeProvider);

            var secrets = await CreateSecretsAsync(context, cancellationToken).ConfigureAwait(false);

            var registry = new ModelRegistry(new ModelRegistryRepository(storage), _catalog, TimeProvider, LoggerFactory.CreateLogger<ModelRegistry>());
            await registry.InitializeAsync(cancellationToken).ConfigureAwait(false);

            var factories = new ProviderFactoryRegistry();
            foreach (var create in _factories)
            {
                factories.Register(create(context));
            }

            var engineOptions = options.Engine;
            var instanceDefaults = new ProviderInstanceManagerOptions();
            instances = new ProviderInstanceManager(options.Providers, factories, new ProviderInstanceManagerOptions
            {
                LoggerFactory = LoggerFactory,
                TimeProvider = TimeProvider,
                SecretsRepository = secrets,
                HttpHandler = HttpHandler,
                DefaultLocalQueueTimeout = engineOptions.LocalQueueTimeout ?? instanceDefaults.DefaultLocalQueueTimeout,
                DefaultRemoteQueueTimeout = engineOptions.RemoteQueueTimeout ?? instanceDefaults.DefaultRemoteQueueTimeout,
            });
            owned.Insert(0, instances);
            await instances.InitializeAsync(cancellationToken).ConfigureAwait(false);

            var circuitDefaults = new CircuitBreakerOptions();
            var health = new InstanceHealthTracker(TimeProvider, circuitDefaults with
            {
                FailureThreshold = engineOptions.CircuitFailureThreshold ?? circuitDefaults.FailureThreshold,
                Cooldown = engineOptions.CircuitCooldown ?? circuitDefaults.Cooldown,
            });
            var router = new ModelRouter(instances, registry, health, new ModelRouterOptions(), LoggerFactory.CreateLogger<ModelRouter>());
            var costs = new CostTrackingService(storage, observations, new CostTrackingOptions(), TimeProvider, LoggerFactory.CreateLogger<CostTrackingService>());
            var engine = new ReasoningEngine(
                stateManager,
                router,
                registry,
                costs,
                instances,
                observations,
                ToEngineOptions(engineOptions),
                TimeProvider,
                LoggerFactory.CreateLogger<ReasoningEngine>(),
                QueryAnalyzer.Analyze);

            var tools = new ToolRegistry(stateManager);
            if (_addCalculator)
            {
                tools.Register(new CalculatorTool());
            }

            foreach (var create in _tools)
            {
                tools.Register(create(context));
            }

            var toolDefaults = new ToolSystemOptions();
            var toolSystem = new ToolSystem(tools, stateManager, observations, new ToolSystemOptions { DefaultTimeout = engineOptions.ToolTimeout ?? toolDefaults.DefaultTimeout }, LoggerFactory.CreateLogger<ToolSystem>());

            var agent = _agent is null
                ? new PesAgent(stateManager, conversations, tools, toolSystem, engine, observations, new PromptManager(), ui.GetLlmStreamSocket(), null, null, TimeProvider, LoggerFactory.CreateLogger<PesAgent>())
                : _agent(new ArtAgentContext(context, stateManager, conversations, tools, toolSystem, engine));

            return new ArtInstance(new ArtInstanceParts
            {
                Agent = agent,
                Options = options,
                Storage = storage,
                StateManager = stateManager,
                ConversationManager = conversations,
                ObservationManager = observations,
                UI = ui,
                Secrets = secrets,
                ModelRegistry = registry,
                ProviderInstances = instances,
                HealthTracker = health,
                Router = router,
                CostTracker = costs,
                ReasoningEngine = engine,
                ToolRegistry = tools,
                ToolSystem = toolSystem,
                TimeProvider = TimeProvider,
                Owned = owned,
            });
        }
        catch
        {
            foreach (var item in owned)
            {
                await item.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    private IStorageAdapter CreateStorage(ArtStorageOptions storage)
    {
        if (_storage is not null)
        {
            return _storage(storage);
        }

        if (_storageKinds.TryGetValue(storage.Kind, out var create))
        {
            return create(storage);
        }

        var hint = string.Equals(storage.Kind, ArtStorageOptions.Sqlite, StringComparison.OrdinalIgnoreCase)
            ? " Reference Art.Sqlite and call builder.AddSqlite(), or set storage:kind to 'memory'."
            : string.Empty;
        throw new ArtConfigurationException(
            $"Invalid configuration: storage:kind: '{storage.Kind}' is not available (known: {string.Join(", ", _storageKinds.Keys.Order(StringComparer.Ordinal))}).{hint}",
            "storage:kind");
    }

    private async Task<IEncryptedSecretsRepository?> CreateSecretsAsync(ArtBuildContext context, CancellationToken cancellationToken)
    {
        if (_secrets is not null)
        {
            return _secrets(context);
        }

        if (!_useEncryptedSecrets)
        {
            return null;
        }

        var secrets = new EncryptedSecretsRepository(context.Storage, context.Observations, new EncryptedSecretsOptions { Iterations = context.Options.SecretsIterations }, context.TimeProvider);
        if (!string.IsNullOrEmpty(_masterPassword))
        {
            await secrets.UnlockWithPasswordAsync(_masterPassword, cancellationToken).ConfigureAwait(false);
        }

        _masterPassword = null;
        return secrets;
    }

    private static ReasoningEngineOptions ToEngineOptions(ResolvedEngineOptions o)
    {
        var d = new ReasoningEngineOptions();
        return new ReasoningEngineOptions
        {
            MaxRetriesPerInstance = o.MaxRetriesPerInstance ?? d.MaxRetriesPerInstance,
            BaseBackoff = o.BaseBackoff ?? d.BaseBackoff,
            MaxBackoff = o.MaxBackoff ?? d.MaxBackoff,
            RetryAfterCap = o.RetryAfterCap ?? d.RetryAfterCap,
            AttemptTimeout = NoneWhenZero(o.AttemptTimeout, d.AttemptTimeout),
            FirstTokenTimeout = NoneWhenZero(o.FirstTokenTimeout, d.FirstTokenTimeout),
            IdleTimeout = NoneWhenZero(o.IdleTimeout, d.IdleTimeout),
            MaxFallbacks = o.MaxFallbacks ?? d.MaxFallbacks,
            DefaultMaxOutputTokens = o.DefaultMaxOutputTokens ?? d.DefaultMaxOutputTokens,
        };

        static TimeSpan? NoneWhenZero(TimeSpan? value, TimeSpan? fallback) => value is null ? fallback : value == TimeSpan.Zero ? null : value;
    }
}
