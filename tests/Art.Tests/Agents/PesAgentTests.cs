using System.Text.Json;
using Art.Agents;
using Art.Context;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Tools;
using Art.UI;

namespace Art.Tests.Agents;

/// <summary>The agent's stage logic against a scripted engine (end-to-end runs with the real engine are in PesAgentEndToEndTests).</summary>
public sealed class PesAgentTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ProcessAsync_NativeToolCall_PlansRunsToolAndSynthesises()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(
            FakeCall.Tool("calculator", """{"expression":"6*7"}""", cost: 0.002m).WithThought("need math"),
            FakeCall.Text("The answer is 42.", cost: 0.003m).WithThought("got 42"));
        var chunks = new List<StreamChunk>();
        var thoughts = new List<AgentThought>();
        var streamed = new List<LlmStreamEvent>();
        using var sub = h.Ui.GetLlmStreamSocket().Subscribe(streamed.Add, threadId: h.ThreadId);

        var response = await h.CreateAgent().ProcessAsync(new AgentProps
        {
            Query = "What is 6 times 7?",
            ThreadId = h.ThreadId,
            UserId = "u1",
            SessionId = "s1",
            TraceId = "trace-1",
            Options = new AgentOptions { OnChunk = chunks.Add, OnThought = thoughts.Add },
        }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Success, response.Status);
        Assert.Equal("The answer is 42.", response.Message.Content);
        Assert.Equal(2, response.Metadata.LlmCalls);
        Assert.Equal(1, response.Metadata.ToolCalls);
        Assert.Equal(0.005m, response.Metadata.Cost);
        Assert.True(response.Metadata.CostIsComplete);
        Assert.Equal(20, response.Metadata.Usage.InputTokens);
        Assert.Equal(10, response.Metadata.Usage.OutputTokens);
        Assert.Equal(["inst-a"], response.Metadata.InstanceIds);

        // Planning asked natively with [Reasoning, ToolUse] and the tools; synthesis got the tool result as a tool message.
        var (planningPrompt, planning) = h.Fake.Requests[0];
        Assert.Equal([ModelCapability.Reasoning, ModelCapability.ToolUse], planning.RequiredCapabilities);
        Assert.Equal("calculator", Assert.Single(planning.Tools!).Name);
        Assert.Equal("trace-1:planning", planning.RequestId);
        Assert.Contains("THREAD PROMPT", planningPrompt.Messages[0].Text);
        var (synthesisPrompt, synthesis) = h.Fake.Requests[1];
        Assert.Equal("trace-1:synthesis", synthesis.RequestId);
        var toolMessage = Assert.Single(synthesisPrompt.Messages, m => m.Role == MessageRole.Tool);
        Assert.Equal("call_1", toolMessage.ToolCallId);
        Assert.Contains("42", toolMessage.Text);

        // Streaming to the caller and the socket.
        Assert.Equal("The answer is 42.", string.Concat(chunks.Select(c => c.Content)));
        Assert.True(chunks[^1].IsFinal);
        Assert.Equal([new AgentThought("planning", "need math"), new AgentThought("synthesis", "got 42")], thoughts);
        Assert.All(streamed, e => Assert.Equal("synthesis", e.Phase));
        Assert.Equal([LlmStreamEventKind.Thought, LlmStreamEventKind.Content, LlmStreamEventKind.Usage, LlmStreamEventKind.Completed], streamed.Select(e => e.Kind));

        // Observations in order.
        Assert.Equal(
            [ObservationType.Intent, ObservationType.Plan, ObservationType.Thoughts, ObservationType.ToolCall, ObservationType.ToolExecution, ObservationType.Thoughts, ObservationType.Synthesis, ObservationType.FinalResponse],
            await h.ObservationTypesAsync("trace-1"));

        // History: user then assistant, with metadata.
        var history = await h.Conversations.GetMessagesAsync(h.ThreadId, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal([MessageRole.User, MessageRole.Assistant], history.Select(m => m.Role));
        Assert.Equal("What is 6 times 7?", history[0].Content);
        Assert.Equal("u1", history[0].Metadata!["userId"].GetString());
        Assert.Equal("s1", history[0].Metadata!["sessionId"].GetString());
        Assert.Equal(0, history[0].Metadata!["images"].GetInt32());
        Assert.Equal("The answer is 42.", history[1].Content);
        Assert.Equal("trace-1", history[1].Metadata!["traceId"].GetString());
        Assert.Equal("inst-a", history[1].Metadata!["instanceId"].GetString());
        Assert.Equal("model-a", history[1].Metadata!["modelId"].GetString());
        Assert.Equal(["call_1"], history[1].Metadata!["toolCallIds"].EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0.005m, history[1].Metadata!["cost"].GetDecimal());
        Assert.Equal(30, history[1].Metadata!["totalTokens"].GetInt64());
    }

    [Fact]
    public async Task ProcessAsync_NoToolUseModel_DegradesToJsonPlan()
    {
        var h = new AgentHarness();
        h.Fake.Unroutable = ModelCapability.ToolUse;
        h.Fake.Enqueue(
            FakeCall.Text(
                """
                Here is the plan:
                ```json
                {"intent":"multiply","plan":"use the calculator","toolCalls":[{"callId":"c1","toolName":"calculator","arguments":{"expression":"6*7"}}]}
                ```
                """),
            FakeCall.Text("42"));

        var response = await h.CreateAgent().ProcessAsync(new AgentProps { Query = "6*7?", ThreadId = h.ThreadId, TraceId = "tr" }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Success, response.Status);
        Assert.Equal("42", response.Message.Content);
        var requests = h.Fake.Requests;
        Assert.Equal(3, requests.Count); // refused native, JSON plan, synthesis
        Assert.Null(requests[1].Options.Tools);
        Assert.Equal([ModelCapability.Reasoning], requests[1].Options.RequiredCapabilities);
        Assert.Contains("- calculator:", requests[1].Prompt.Messages[0].Text);
        Assert.DoesNotContain(requests[2].Prompt.Messages, m => m.Role == MessageRole.Tool);
        Assert.Contains("Output: {\"result\":42", requests[2].Prompt.Messages[0].Text);
        var intent = Assert.Single(await h.Observations.GetObservationsAsync(h.ThreadId, new ObservationQuery { Types = [ObservationType.Intent] }, TestContext.Current.CancellationToken));
        Assert.Equal("multiply", intent.Content.GetProperty("intent").GetString());
    }

    [Fact]
    public async Task ProcessAsync_ToolFails_IsPartial()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(
            FakeCall.Tool("calculator", """{"expression":"1 +* 2"}"""),
            FakeCall.Text("The calculator could not evaluate that."));

        var response = await h.CreateAgent().ProcessAsync(new AgentProps { Query = "1 +* 2?", ThreadId = h.ThreadId }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Partial, response.Status);
        Assert.Equal("The calculator could not evaluate that.", response.Message.Content);
        Assert.Contains("calculator", response.Metadata.Error);
        var toolMessage = Assert.Single(h.Fake.Requests[1].Prompt.Messages, m => m.Role == MessageRole.Tool);
        Assert.True(toolMessage.IsError);
        var history = await h.Conversations.GetMessagesAsync(h.ThreadId, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, history.Count);
    }

    [Fact]
    public async Task ProcessAsync_PlanningFails_IsErrorWithReason_UserMessageKept()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(FakeCall.Fail(new ProviderException(ProviderErrorKind.Auth, "invalid key for inst-a", "scripted", "inst-a")));

        var response = await h.CreateAgent().ProcessAsync(new AgentProps { Query = "hi", ThreadId = h.ThreadId, TraceId = "tp" }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Error, response.Status);
        Assert.Contains("Planning failed", response.Message.Content);
        Assert.Contains("invalid key", response.Metadata.Error);
        Assert.True(response.Message.Metadata!["error"].GetBoolean());
        var history = await h.Conversations.GetMessagesAsync(h.ThreadId, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal([MessageRole.User], history.Select(m => m.Role));
        var error = Assert.Single(await h.Observations.GetObservationsAsync(h.ThreadId, new ObservationQuery { Types = [ObservationType.Error] }, TestContext.Current.CancellationToken));
        Assert.Equal("planning", error.Content.GetProperty("phase").GetString());
        Assert.Equal(1, response.Metadata.LlmCalls);
        Assert.Null(response.Metadata.Cost);
    }

    [Fact]
    public async Task ProcessAsync_SynthesisFails_IsError()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(FakeCall.Text("I will answer directly."), FakeCall.Fail(new StreamInterruptedException("stream broke", "inst-a", "partial", new IOException("reset"))));

        var response = await h.CreateAgent().ProcessAsync(new AgentProps { Query = "hi", ThreadId = h.ThreadId, TraceId = "ts" }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Error, response.Status);
        Assert.Contains("Synthesis failed", response.Message.Content);
        Assert.Equal(ObservationType.Error, (await h.ObservationTypesAsync("ts"))[^1]);
        Assert.Equal(0.001m, response.Metadata.Cost);
    }

    [Fact]
    public async Task ProcessAsync_CancelledMidSynthesis_ThrowsPromptly()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(FakeCall.Text("Direct answer."), FakeCall.Text("Partial ans") with { HangAfter = 1 });
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var task = h.CreateAgent().ProcessAsync(new AgentProps { Query = "hi", ThreadId = h.ThreadId, TraceId = "tc" }, cts.Token);

        await h.Fake.FirstChunkSent.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(task.IsCompleted);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        var history = await h.Conversations.GetMessagesAsync(h.ThreadId, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal([MessageRole.User], history.Select(m => m.Role));
    }

    [Fact]
    public async Task ProcessAsync_HistoryAndSystemPromptHierarchy_AreSent()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(FakeCall.Text("plan 1"), FakeCall.Text("first answer"), FakeCall.Text("plan 2"), FakeCall.Text("second answer"));
        var agent = h.CreateAgent(new PromptManager(new PromptManagerOptions { DefaultSystemPrompt = "INSTANCE PROMPT" }));

        await agent.ProcessAsync(new AgentProps { Query = "first", ThreadId = h.ThreadId }, TestContext.Current.CancellationToken);
        await agent.ProcessAsync(new AgentProps { Query = "second", ThreadId = h.ThreadId, Options = new AgentOptions { SystemPrompt = "CALL PROMPT" } }, TestContext.Current.CancellationToken);

        var (prompt, _) = h.Fake.Requests[2];
        var system = prompt.Messages[0].Text!;
        Assert.True(system.IndexOf("INSTANCE PROMPT", StringComparison.Ordinal) < system.IndexOf("THREAD PROMPT", StringComparison.Ordinal));
        Assert.True(system.IndexOf("THREAD PROMPT", StringComparison.Ordinal) < system.IndexOf("CALL PROMPT", StringComparison.Ordinal));
        Assert.Equal([MessageRole.System, MessageRole.User, MessageRole.Assistant, MessageRole.User], prompt.Messages.Select(m => m.Role));
        Assert.Equal(["first", "first answer", "second"], prompt.Messages.Skip(1).Select(m => m.Text));
    }

    [Fact]
    public async Task ProcessAsync_NoTools_PlansWithReasoningOnly()
    {
        var h = new AgentHarness(enabledTools: ["none-registered"]);
        h.Fake.Enqueue(FakeCall.Text("greet back"), FakeCall.Text("Hello!"));

        var response = await h.CreateAgent().ProcessAsync(new AgentProps { Query = "hello", ThreadId = h.ThreadId }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Success, response.Status);
        Assert.Equal([ModelCapability.Reasoning], h.Fake.Requests[0].Options.RequiredCapabilities);
        Assert.Null(h.Fake.Requests[0].Options.Tools);
        Assert.Equal([ModelCapability.Text], h.Fake.Requests[1].Options.RequiredCapabilities);
    }

    [Fact]
    public async Task ProcessAsync_ModelKeepsAskingForTools_StopsAtMaxIterations()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(
            FakeCall.Tool("calculator", """{"expression":"1"}""", id: "a"),
            FakeCall.Tool("calculator", """{"expression":"2"}""", id: "b"),
            FakeCall.Tool("calculator", """{"expression":"3"}""", id: "c"));

        var response = await h.CreateAgent(options: new PesAgentOptions { MaxToolIterations = 2 }).ProcessAsync(new AgentProps { Query = "loop", ThreadId = h.ThreadId }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Error, response.Status);
        Assert.Contains("kept asking for tools", response.Message.Content);
        Assert.Equal(2, response.Metadata.ToolCalls);
        Assert.Equal(3, response.Metadata.LlmCalls);
    }

    [Fact]
    public async Task ProcessAsync_InvalidArguments_Throw()
    {
        var h = new AgentHarness();
        var agent = h.CreateAgent();

        await Assert.ThrowsAsync<ArgumentNullException>(() => agent.ProcessAsync(null!, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentException>(() => agent.ProcessAsync(new AgentProps { Query = " ", ThreadId = h.ThreadId }, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ThreadNotFoundException>(() => agent.ProcessAsync(new AgentProps { Query = "x", ThreadId = "nope" }, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ProcessAsync_UnknownPriceOnOneCall_CostIsIncomplete()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(FakeCall.Text("plan", cost: null), FakeCall.Text("answer", cost: 0.01m));

        var response = await h.CreateAgent().ProcessAsync(new AgentProps { Query = "q", ThreadId = h.ThreadId }, TestContext.Current.CancellationToken);

        Assert.Equal(0.01m, response.Metadata.Cost);
        Assert.False(response.Metadata.CostIsComplete);
    }

    [Fact]
    public async Task StreamAsync_YieldsThoughtsChunksThenFinal()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(FakeCall.Text("plan").WithThought("hmm"), new FakeCall
        {
            Events = [new ContentDelta("Hel"), new ContentDelta("lo"), new Completed(FinishReason.Stop, "inst-a", "model-a")],
            Cost = 0m,
        });
        var updates = new List<AgentStreamUpdate>();

        await foreach (var u in h.CreateAgent().StreamAsync(new AgentProps { Query = "hi", ThreadId = h.ThreadId }, TestContext.Current.CancellationToken))
        {
            updates.Add(u);
        }

        Assert.Equal(new AgentThoughtUpdate("planning", "hmm"), updates[0]);
        Assert.Equal([new AgentChunkUpdate("Hel"), new AgentChunkUpdate("lo")], updates.Skip(1).Take(2));
        var final = Assert.IsType<AgentCompletedUpdate>(updates[^1]);
        Assert.Equal("Hello", final.Response.Message.Content);
        Assert.Equal(4, updates.Count);
    }

    [Fact]
    public async Task StreamAsync_StoppingEarly_CancelsTheTurn()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(FakeCall.Text("plan"), FakeCall.Text("partial") with { HangAfter = 1 });

        await foreach (var u in h.CreateAgent().StreamAsync(new AgentProps { Query = "hi", ThreadId = h.ThreadId }, TestContext.Current.CancellationToken))
        {
            Assert.Equal(new AgentChunkUpdate("partial"), u);
            break; // disposing the enumerator must cancel the hanging synthesis, or this test hangs
        }

        var history = await h.Conversations.GetMessagesAsync(h.ThreadId, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal([MessageRole.User], history.Select(m => m.Role));
    }

    /// <summary>Conversation storage that fails on the second write (the assistant message).</summary>
    private sealed class BrokenConversations(IConversationManager inner) : IConversationManager
    {
        public int Adds { get; private set; }

        public Task AddMessagesAsync(string threadId, IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default)
        {
            if (++Adds == 2)
            {
                throw new IOException("disk full");
            }

            return inner.AddMessagesAsync(threadId, messages, cancellationToken);
        }

        public Task<IReadOnlyList<ConversationMessage>> GetMessagesAsync(string threadId, MessageQuery? query = null, CancellationToken cancellationToken = default) =>
            inner.GetMessagesAsync(threadId, query, cancellationToken);
    }

    [Fact]
    public async Task ProcessAsync_PersistenceFailure_IsErrorNotException()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(FakeCall.Text("plan"), FakeCall.Text("answer"));
        var agent = new PesAgent(h.State, new BrokenConversations(h.Conversations), h.Tools, h.ToolSystem, h.Engine, h.Observations);

        var response = await agent.ProcessAsync(new AgentProps { Query = "q", ThreadId = h.ThreadId, TraceId = "pe" }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Error, response.Status);
        Assert.Contains("disk full", response.Message.Content);
        Assert.Equal(ObservationType.Error, (await h.ObservationTypesAsync("pe"))[^1]);
    }

    [Fact]
    public async Task ProcessAsync_NativeAnswerWithJsonPlan_RunsEnabledToolsOnly()
    {
        var h = new AgentHarness();
        h.Fake.Enqueue(
            FakeCall.Text("""{"toolCalls":[{"callId":"j1","toolName":"calculator","arguments":{"expression":"2^10"}}]}"""),
            FakeCall.Text("1024"),
            FakeCall.Text("""{"toolCalls":[{"callId":"j2","toolName":"rm_rf","arguments":{}}]}"""),
            FakeCall.Text("no tools"));
        var agent = h.CreateAgent();

        var first = await agent.ProcessAsync(new AgentProps { Query = "2^10?", ThreadId = h.ThreadId }, TestContext.Current.CancellationToken);
        var second = await agent.ProcessAsync(new AgentProps { Query = "delete", ThreadId = h.ThreadId }, TestContext.Current.CancellationToken);

        Assert.Equal((AgentStatus.Success, 1), (first.Status, first.Metadata.ToolCalls));
        Assert.Contains("Output: {\"result\":1024", h.Fake.Requests[1].Prompt.Messages[0].Text);
        Assert.DoesNotContain(h.Fake.Requests[1].Prompt.Messages, m => m.Role == MessageRole.Tool);
        Assert.Equal((AgentStatus.Success, 0), (second.Status, second.Metadata.ToolCalls));
    }
}
