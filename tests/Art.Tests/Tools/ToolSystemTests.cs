using System.Text.Json;
using Art.Context;
using Art.Observation;
using Art.Reasoning;
using Art.Testing;
using Art.Tools;

namespace Art.Tests.Tools;

public sealed class ToolSystemTests
{
    private sealed class FakeState(params string[] enabled) : IStateManager
    {
        private readonly ThreadConfig _config = new() { Reasoning = new ThreadReasoningConfig { InstanceId = "i" }, EnabledTools = enabled };

        public Task<ThreadContext> LoadThreadContextAsync(string threadId, CancellationToken cancellationToken = default) => Task.FromResult(new ThreadContext(_config, null));

        public Task<ThreadConfig?> GetThreadConfigAsync(string threadId, CancellationToken cancellationToken = default) => Task.FromResult<ThreadConfig?>(threadId == "t" ? _config : null);

        public Task SetThreadConfigAsync(string threadId, ThreadConfig config, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task UpdateThreadReasoningPreferencesAsync(string threadId, ModelPreferences? modelPreferences = null, CostPreferences? costPreferences = null, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<AgentState?> GetAgentStateAsync(string threadId, CancellationToken cancellationToken = default) => Task.FromResult<AgentState?>(null);

        public Task SetAgentStateAsync(string threadId, AgentState state, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<bool> IsToolEnabledAsync(string threadId, string toolName, CancellationToken cancellationToken = default) => Task.FromResult(threadId == "t" && _config.EnabledTools.Contains(toolName));

        public Task<IReadOnlyList<string>> ListThreadIdsAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<string>>(["t"]);
    }

    private sealed class SlowTool : IToolExecutor
    {
        public ToolSchema Schema { get; } = new() { Name = "slow", Description = "sleeps", InputSchema = JsonDocument.Parse("""{"type":"object"}""").RootElement };

        public async Task<ToolResult> ExecuteAsync(JsonElement input, ToolExecutionContext context, CancellationToken cancellationToken = default)
        {
            await Task.Delay(TimeSpan.FromMinutes(5), cancellationToken);
            return ToolResult.Success(context.CallId, "slow", input);
        }
    }

    private sealed class ThrowingTool : IToolExecutor
    {
        public ToolSchema Schema { get; } = new() { Name = "boom", Description = "throws", InputSchema = JsonDocument.Parse("""{"type":"object"}""").RootElement };

        public Task<ToolResult> ExecuteAsync(JsonElement input, ToolExecutionContext context, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("kaboom");
    }

    private static ToolCall Call(string id, string name, string args) => new(id, name, JsonDocument.Parse(args).RootElement.Clone());

    private static (ToolSystem System, CollectingObservationManager Observations) Create(params string[] enabled)
    {
        var state = new FakeState(enabled);
        var registry = new ToolRegistry(state);
        registry.Register(new CalculatorTool());
        registry.Register(new SlowTool());
        registry.Register(new ThrowingTool());
        var observations = new CollectingObservationManager();
        var options = new ToolSystemOptions { Timeouts = new Dictionary<string, TimeSpan> { ["slow"] = TimeSpan.FromMilliseconds(200) } };
        return (new ToolSystem(registry, state, observations, options), observations);
    }

    [Fact]
    public async Task Execute_MixedCalls_ResultsInOrderWithClearErrorsAndOneObservationEach()
    {
        var (system, observations) = Create("calculator", "slow", "boom");

        var results = await system.ExecuteAsync(
        [
            Call("1", "calculator", """{"expression":"6*7"}"""),
            Call("2", "calculator", """{"expresion":"6*7"}"""),
            Call("3", "missing", "{}"),
            Call("4", "slow", "{}"),
            Call("5", "boom", "{}"),
        ], "t", "trace-1");

        Assert.Equal(["1", "2", "3", "4", "5"], results.Select(r => r.CallId));
        Assert.Equal(42, results[0].Output!.Value.GetProperty("result").GetDouble());
        Assert.Contains("Invalid arguments for tool 'calculator'", results[1].Error, StringComparison.Ordinal);
        Assert.Contains("not registered", results[2].Error, StringComparison.Ordinal);
        Assert.Contains("timed out", results[3].Error, StringComparison.Ordinal);
        Assert.Contains("kaboom", results[4].Error, StringComparison.Ordinal);
        Assert.Equal(5, observations.Recorded.Count);
        Assert.All(observations.Recorded, o => Assert.Equal(ObservationType.ToolExecution, o.Type));
        Assert.Equal("trace-1", observations.Recorded[0].TraceId);
    }

    [Fact]
    public async Task Execute_ToolNotEnabledForThread_IsRefused()
    {
        var (system, _) = Create("slow");

        var result = Assert.Single(await system.ExecuteAsync([Call("1", "calculator", """{"expression":"1+1"}""")], "t"));

        Assert.Equal(ToolResultStatus.Error, result.Status);
        Assert.Contains("not enabled for thread 't'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_CallerCancels_Throws()
    {
        var (system, _) = Create("calculator");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => system.ExecuteAsync([Call("1", "calculator", """{"expression":"1"}""")], "t", null, cts.Token));
    }

    [Fact]
    public async Task Registry_DuplicateName_IsAnErrorAndThreadFilterApplies()
    {
        var state = new FakeState("calculator");
        var registry = new ToolRegistry(state);
        registry.Register(new CalculatorTool());
        registry.Register(new SlowTool());

        var ex = Assert.Throws<ArgumentException>(() => registry.Register(new CalculatorTool()));

        Assert.Contains("already registered", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["calculator"], (await registry.GetAvailableToolsAsync("t")).Select(t => t.Name));
        Assert.Empty(await registry.GetAvailableToolsAsync("unknown-thread"));
    }
}
