using Art.Agents;
using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Storage;
using Art.Storage.Repositories;
using Art.Testing;
using Art.Tools;
using Art.UI;

namespace Art.Tests.Agents;

/// <summary>
/// The real composition (state, conversations, observations, registry, router, cost tracker, instance manager, engine,
/// tools) over in-memory storage, with scripted and chat-client providers. Hosting builds the same graph.
/// </summary>
internal sealed class RealStack : IAsyncDisposable
{
    public static readonly ModelPricing Pricing = new() { InputPerMillion = 1m, OutputPerMillion = 2m };

    private RealStack(IReadOnlyList<ProviderInstanceConfig> instances, IReadOnlyList<IProviderFactory> extraFactories, ReasoningEngineOptions? engineOptions)
    {
        Storage = new InMemoryStorageAdapter();
        Ui = new UISystem(new ObservationRepository(Storage), new ConversationRepository(Storage));
        State = new StateManager(new StateRepository(Storage));
        Conversations = new ConversationManager(new ConversationRepository(Storage), Ui.GetConversationSocket());
        Observations = new ObservationManager(new ObservationRepository(Storage), Ui);
        Scripted = new ScriptedProviderFactory();
        var factories = new ProviderFactoryRegistry().Register(Scripted);
        foreach (var factory in extraFactories)
        {
            factories.Register(factory);
        }

        Instances = new ProviderInstanceManager(instances, factories, new ProviderInstanceManagerOptions { EnvironmentReader = _ => null });
        Registry = new ModelRegistry(new ModelRegistryRepository(Storage), _ => Task.FromResult(new ModelCatalogFile()));
        Router = new ModelRouter(Instances, Registry);
        Costs = new CostTrackingService(Storage, Observations);
        Engine = new ReasoningEngine(State, Router, Registry, Costs, Instances, Observations, engineOptions ?? new ReasoningEngineOptions { BaseBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(20) });
        Tools = new ToolRegistry(State);
        Tools.Register(new CalculatorTool());
        ToolSystem = new ToolSystem(Tools, State, Observations);
    }

    public InMemoryStorageAdapter Storage { get; }

    public UISystem Ui { get; }

    public StateManager State { get; }

    public ConversationManager Conversations { get; }

    public ObservationManager Observations { get; }

    public ScriptedProviderFactory Scripted { get; }

    public ProviderInstanceManager Instances { get; }

    public ModelRegistry Registry { get; }

    public ModelRouter Router { get; }

    public CostTrackingService Costs { get; }

    public ReasoningEngine Engine { get; }

    public ToolRegistry Tools { get; }

    public ToolSystem ToolSystem { get; }

    /// <summary>Builds the stack; every instance's model is registered with the given capabilities and <see cref="Pricing"/>.</summary>
    public static async Task<RealStack> CreateAsync(
        IReadOnlyList<ProviderInstanceConfig> instances,
        IReadOnlyDictionary<ModelCapability, bool>? capabilities = null,
        ChatClientProviderFactory? chatClients = null,
        ReasoningEngineOptions? engineOptions = null,
        IProviderFactory? extraFactory = null)
    {
        var stack = new RealStack(instances, new IProviderFactory?[] { chatClients, extraFactory }.OfType<IProviderFactory>().ToList(), engineOptions);
        await stack.Instances.InitializeAsync();
        await stack.Registry.InitializeAsync();
        var caps = capabilities ?? new Dictionary<ModelCapability, bool>
        {
            [ModelCapability.Text] = true,
            [ModelCapability.Reasoning] = true,
            [ModelCapability.ToolUse] = true,
            [ModelCapability.Streaming] = true,
        };
        foreach (var instance in instances.Where(i => i.Model is not null))
        {
            await stack.Registry.RegisterModelAsync(new ModelInfo
            {
                Provider = instance.Provider,
                ModelId = instance.Model!,
                Capabilities = caps,
                ContextWindow = 128_000,
                MaxOutputTokens = 8192,
                Pricing = Pricing,
                Source = ModelInfoSource.User,
            });
        }

        return stack;
    }

    public static ProviderInstanceConfig ScriptedInstance(string id, string model) =>
        new() { Id = id, Provider = ScriptedProviderAdapter.DefaultProviderName, Model = model, BaseUrl = "https://scripted.invalid/" };

    public Task ConfigureThreadAsync(string threadId, string instanceId, ModelPreferences? preferences = null) =>
        State.SetThreadConfigAsync(threadId, new ThreadConfig
        {
            Reasoning = new ThreadReasoningConfig { InstanceId = instanceId, ModelPreferences = preferences },
            EnabledTools = [CalculatorTool.ToolName],
        });

    public PesAgent CreateAgent() => new(State, Conversations, Tools, ToolSystem, Engine, Observations, llmStreamSocket: Ui.GetLlmStreamSocket());

    public ValueTask DisposeAsync() => Instances.DisposeAsync();
}
