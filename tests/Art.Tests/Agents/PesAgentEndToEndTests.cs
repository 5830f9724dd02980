using Art.Agents;
using Art.Context;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Testing;
using Art.UI;

namespace Art.Tests.Agents;

/// <summary>The agent over the real engine, router, registry and cost tracker with scripted provider instances.</summary>
public sealed class PesAgentEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // 100 input tokens at $1/M + 20 output tokens at $2/M.
    private const decimal CallCost = 0.00014m;

    [Fact]
    public async Task Calculator_PlanToolSynthesis_PersistsHistoryObservationsAndCost()
    {
        await using var stack = await RealStack.CreateAsync([RealStack.ScriptedInstance("sa", "sm-tools")]);
        await stack.ConfigureThreadAsync("t1", "sa");
        stack.Scripted.For("sa").Enqueue(
            ScriptedResponse.Create().Thought("I need to multiply").ToolCall("calculator", """{"expression":"12*34"}""", "call_a").Usage(100, 20),
            ScriptedResponse.Create().Content("12 × 34 = ", "408.").Usage(100, 20));
        var streamed = new List<LlmStreamEvent>();
        using var sub = stack.Ui.GetLlmStreamSocket().Subscribe(streamed.Add, threadId: "t1");

        var response = await stack.CreateAgent().ProcessAsync(new AgentProps { Query = "What is 12 times 34?", ThreadId = "t1", TraceId = "e2e-1" }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Success, response.Status);
        Assert.Equal("12 × 34 = 408.", response.Message.Content);
        Assert.Equal(2 * CallCost, response.Metadata.Cost);
        Assert.True(response.Metadata.CostIsComplete);
        Assert.Equal(["sa"], response.Metadata.InstanceIds);
        Assert.Equal(["sm-tools"], response.Metadata.ModelIds);

        // The provider saw native tools, then the tool result as a tool message.
        var requests = stack.Scripted.For("sa").Requests;
        Assert.Equal("calculator", Assert.Single(requests[0].Options.Tools!).Name);
        var toolMessage = Assert.Single(requests[1].Prompt.Messages, m => m.Role == MessageRole.Tool);
        Assert.Contains("408", toolMessage.Text);

        // Agent observations in order (engine observations interleave: route decisions per call).
        var observed = (await stack.Observations.GetObservationsAsync("t1", new ObservationQuery { TraceId = "e2e-1" }, TestContext.Current.CancellationToken)).Select(o => o.Type).ToList();
        ObservationType[] agentTypes = [ObservationType.Intent, ObservationType.Plan, ObservationType.Thoughts, ObservationType.ToolCall, ObservationType.ToolExecution, ObservationType.Synthesis, ObservationType.FinalResponse];
        Assert.Equal(agentTypes, observed.Where(agentTypes.Contains));
        Assert.Equal(2, observed.Count(t => t == ObservationType.ModelRouteDecision));

        // History and cost persisted.
        var history = await stack.Conversations.GetMessagesAsync("t1", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal([MessageRole.User, MessageRole.Assistant], history.Select(m => m.Role));
        Assert.Equal(2 * CallCost, history[1].Metadata!["cost"].GetDecimal());
        var usage = await stack.Costs.GetThreadUsageAsync("t1", TestContext.Current.CancellationToken);
        Assert.Equal(2 * CallCost, usage.Total.Cost);
        Assert.Equal(2, usage.Total.Calls);

        Assert.Equal("12 × 34 = 408.", string.Concat(streamed.Select(e => e.Event).OfType<ContentDelta>().Select(c => c.Text)));
        Assert.Equal("sa", Assert.Single(streamed, e => e.Kind == LlmStreamEventKind.Completed).InstanceId);
    }

    [Fact]
    public async Task FailingTool_IsPartial()
    {
        await using var stack = await RealStack.CreateAsync([RealStack.ScriptedInstance("sa", "sm-tools")]);
        await stack.ConfigureThreadAsync("t1", "sa");
        stack.Scripted.For("sa").Enqueue(
            ScriptedResponse.Create().ToolCall("calculator", """{"expression":"1/*2"}""", "c1").Usage(100, 20),
            ScriptedResponse.Text("The expression is invalid.").Usage(100, 20));

        var response = await stack.CreateAgent().ProcessAsync(new AgentProps { Query = "1/*2?", ThreadId = "t1" }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Partial, response.Status);
        Assert.Equal("The expression is invalid.", response.Message.Content);
        Assert.True(Assert.Single(stack.Scripted.For("sa").Requests[1].Prompt.Messages, m => m.Role == MessageRole.Tool).IsError);
    }

    [Fact]
    public async Task PlanningFailure_IsErrorWithReason()
    {
        await using var stack = await RealStack.CreateAsync([RealStack.ScriptedInstance("sa", "sm-tools")]);
        await stack.ConfigureThreadAsync("t1", "sa");
        stack.Scripted.For("sa").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.BadRequest, "the request is malformed: bad field"));

        var response = await stack.CreateAgent().ProcessAsync(new AgentProps { Query = "hello", ThreadId = "t1", TraceId = "pf" }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Error, response.Status);
        Assert.Contains("bad field", response.Message.Content);
        Assert.Contains("bad field", response.Metadata.Error);
        var errors = await stack.Observations.GetObservationsAsync("t1", new ObservationQuery { TraceId = "pf", Types = [ObservationType.Error] }, TestContext.Current.CancellationToken);
        Assert.Equal("planning", Assert.Single(errors).Content.GetProperty("phase").GetString());
    }

    [Fact]
    public async Task CancelMidSynthesis_StopsPromptly()
    {
        await using var stack = await RealStack.CreateAsync([RealStack.ScriptedInstance("sa", "sm-tools")]);
        await stack.ConfigureThreadAsync("t1", "sa");
        stack.Scripted.For("sa").Enqueue(
            ScriptedResponse.Text("Answer directly.").Usage(100, 20),
            ScriptedResponse.Create().Content("The answer is").HangUntilCancelled());
        var firstChunk = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var task = stack.CreateAgent().ProcessAsync(new AgentProps
        {
            Query = "hi",
            ThreadId = "t1",
            Options = new AgentOptions { OnChunk = c => { if (!c.IsFinal) { firstChunk.TrySetResult(); } } },
        }, cts.Token);
        await firstChunk.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(0, stack.Scripted.For("sa").ActiveStreams);
        Assert.Equal(0m, (await stack.Costs.GetThreadUsageAsync("t1", TestContext.Current.CancellationToken)).ReservedCost);
    }

    [Fact]
    public async Task SwitchingTheThreadInstance_RunsTheSameAgentUnchanged()
    {
        await using var stack = await RealStack.CreateAsync([RealStack.ScriptedInstance("sa", "sm-a"), RealStack.ScriptedInstance("sb", "sm-b")]);
        await stack.ConfigureThreadAsync("t1", "sa");
        stack.Scripted.For("sa").Enqueue(ScriptedResponse.Text("plan").Usage(100, 20), ScriptedResponse.Text("from a").Usage(100, 20));
        stack.Scripted.For("sb").Enqueue(ScriptedResponse.Text("plan").Usage(100, 20), ScriptedResponse.Text("from b").Usage(100, 20));
        var agent = stack.CreateAgent();

        var first = await agent.ProcessAsync(new AgentProps { Query = "q1", ThreadId = "t1" }, TestContext.Current.CancellationToken);
        var config = await stack.State.GetThreadConfigAsync("t1", TestContext.Current.CancellationToken);
        await stack.State.SetThreadConfigAsync("t1", config! with { Reasoning = config.Reasoning with { InstanceId = "sb" } }, TestContext.Current.CancellationToken);
        var second = await agent.ProcessAsync(new AgentProps { Query = "q2", ThreadId = "t1" }, TestContext.Current.CancellationToken);

        Assert.Equal(("from a", "sa", "sm-a"), (first.Message.Content, first.Metadata.InstanceIds.Single(), first.Metadata.ModelIds.Single()));
        Assert.Equal(("from b", "sb", "sm-b"), (second.Message.Content, second.Metadata.InstanceIds.Single(), second.Metadata.ModelIds.Single()));
        Assert.Contains(stack.Scripted.For("sb").Requests[0].Prompt.Messages, m => m.Role == MessageRole.Assistant && m.Text == "from a");
    }

    [Fact]
    public async Task ModelWithoutToolUse_DegradesToJsonPlan()
    {
        var caps = new Dictionary<ModelCapability, bool> { [ModelCapability.Text] = true, [ModelCapability.Reasoning] = true, [ModelCapability.ToolUse] = false };
        await using var stack = await RealStack.CreateAsync([RealStack.ScriptedInstance("sa", "sm-plain")], caps);
        await stack.ConfigureThreadAsync("t1", "sa");
        stack.Scripted.For("sa").Enqueue(
            ScriptedResponse.Text("""{"intent":"multiply","plan":"calculator","toolCalls":[{"callId":"c1","toolName":"calculator","arguments":{"expression":"[2,3][1] * 7"}}]}""").Usage(100, 20),
            ScriptedResponse.Text("21").Usage(100, 20));

        var response = await stack.CreateAgent().ProcessAsync(new AgentProps { Query = "3*7?", ThreadId = "t1" }, TestContext.Current.CancellationToken);

        var requests = stack.Scripted.For("sa").Requests;
        Assert.Equal(2, requests.Count); // the native attempt was refused by the router, never sent
        Assert.Null(requests[0].Options.Tools);
        Assert.Contains("- calculator:", requests[0].Prompt.Messages[0].Text);
        Assert.Equal("21", response.Message.Content);
        Assert.Equal(2, response.Metadata.LlmCalls);
        Assert.Equal(1, response.Metadata.ToolCalls);
    }

    [Fact]
    public async Task ThoughtsOfARetriedAttempt_AreNotObserved()
    {
        await using var stack = await RealStack.CreateAsync([RealStack.ScriptedInstance("sa", "sm-tools")]);
        await stack.ConfigureThreadAsync("t1", "sa");
        stack.Scripted.For("sa").Enqueue(
            ScriptedResponse.Create().Thought("VOID THOUGHT").Fail(ProviderErrorKind.Transient, "503"),
            ScriptedResponse.Create().Thought("good thought").Content("plan").Usage(100, 20),
            ScriptedResponse.Text("answer").Usage(100, 20));

        var response = await stack.CreateAgent().ProcessAsync(new AgentProps { Query = "q", ThreadId = "t1", TraceId = "rt" }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Success, response.Status);
        var thoughts = await stack.Observations.GetObservationsAsync("t1", new ObservationQuery { TraceId = "rt", Types = [ObservationType.Thoughts] }, TestContext.Current.CancellationToken);
        Assert.Equal("good thought", Assert.Single(thoughts).Content.GetProperty("thought").GetString());
    }
}
