using Art.Agents;
using Art.Context;
using Art.Observation;
using Art.Reasoning;
using Art.Storage;
using Art.Storage.Repositories;
using Art.Tools;
using Art.UI;

namespace Art.Tests.Agents;

/// <summary>Real state, conversation, observation and tool managers over in-memory storage, around a given engine.</summary>
internal sealed class AgentHarness
{
    public AgentHarness(Func<AgentHarness, IReasoningEngine>? engineFactory = null, string threadId = "t1", string instanceId = "inst-a", params string[] enabledTools)
    {
        ThreadId = threadId;
        Storage = new InMemoryStorageAdapter();
        Ui = new UISystem(new ObservationRepository(Storage), new ConversationRepository(Storage));
        State = new StateManager(new StateRepository(Storage));
        Conversations = new ConversationManager(new ConversationRepository(Storage), Ui.GetConversationSocket());
        Observations = new ObservationManager(new ObservationRepository(Storage), Ui);
        Tools = new ToolRegistry(State);
        Tools.Register(new CalculatorTool());
        ToolSystem = new ToolSystem(Tools, State, Observations);
        State.SetThreadConfigAsync(threadId, new ThreadConfig
        {
            Reasoning = new ThreadReasoningConfig { InstanceId = instanceId },
            EnabledTools = enabledTools.Length == 0 ? [CalculatorTool.ToolName] : enabledTools,
            SystemPrompt = "THREAD PROMPT",
        }).GetAwaiter().GetResult();
        Engine = engineFactory?.Invoke(this) ?? new FakeReasoningEngine();
    }

    public string ThreadId { get; }

    public InMemoryStorageAdapter Storage { get; }

    public UISystem Ui { get; }

    public StateManager State { get; }

    public ConversationManager Conversations { get; }

    public ObservationManager Observations { get; }

    public ToolRegistry Tools { get; }

    public ToolSystem ToolSystem { get; }

    public IReasoningEngine Engine { get; }

    public FakeReasoningEngine Fake => (FakeReasoningEngine)Engine;

    public PesAgent CreateAgent(PromptManager? prompts = null, PesAgentOptions? options = null) =>
        new(State, Conversations, Tools, ToolSystem, Engine, Observations, prompts, Ui.GetLlmStreamSocket(), options);

    public async Task<IReadOnlyList<ObservationType>> ObservationTypesAsync(string traceId) =>
        [.. (await Observations.GetObservationsAsync(ThreadId, new ObservationQuery { TraceId = traceId })).Select(o => o.Type)];
}
