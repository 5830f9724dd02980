using System.Runtime.CompilerServices;
using Art.Agents;
using Art.Context;
using Art.Observation;
using Art.Reasoning;
using Art.Testing;
using Art.Tests.Agents;
using Microsoft.Extensions.AI;

namespace Art.Tests.Reasoning;

/// <summary>Interop both ways over the real engine: ART as an IChatClient, and an IChatClient as an ART instance.</summary>
public sealed class ReasoningEngineChatClientEndToEndTests
{
    [Fact]
    public async Task AsChatClient_UnderFunctionInvocation_CallsToolAndFallsBack()
    {
        await using var stack = await RealStack.CreateAsync(
            [RealStack.ScriptedInstance("flaky", "m-flaky"), RealStack.ScriptedInstance("steady", "m-steady")],
            engineOptions: new ReasoningEngineOptions { MaxRetriesPerInstance = 0, BaseBackoff = TimeSpan.FromMilliseconds(1) });
        await stack.ConfigureThreadAsync("t-chat", "flaky", new ModelPreferences { FallbackInstances = ["steady"] });
        stack.Scripted.For("flaky").Enqueue(
            ScriptedResponse.Failure(ProviderErrorKind.Transient, "503 overloaded"),
            ScriptedResponse.Failure(ProviderErrorKind.Transient, "503 overloaded"));
        stack.Scripted.For("steady").Enqueue(
            ScriptedResponse.Create().ToolCall("get_temperature", """{"city":"Oslo"}""", "t1").Usage(100, 20),
            ScriptedResponse.Text("It is 21 degrees in Oslo.").Usage(100, 20));
        var cities = new List<string>();
        var tool = AIFunctionFactory.Create((string city) => { cities.Add(city); return 21; }, "get_temperature", "Current temperature of a city.");
        using var client = new ChatClientBuilder(stack.Engine.AsChatClient()).UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync(
            "How warm is Oslo?",
            new ChatOptions { Tools = [tool], AdditionalProperties = new() { [ArtChatOptionKeys.ThreadId] = "t-chat" } },
            TestContext.Current.CancellationToken);

        Assert.Equal(["Oslo"], cities);
        Assert.Equal("It is 21 degrees in Oslo.", response.Text);
        Assert.Equal("steady", response.AdditionalProperties![ArtChatOptionKeys.AnsweredBy]);
        Assert.Equal("m-steady", response.ModelId);
        var steady = stack.Scripted.For("steady").Requests;
        Assert.Equal("get_temperature", Assert.Single(steady[0].Options.Tools!).Name);
        var toolMessage = Assert.Single(steady[1].Prompt.Messages, m => m.Role == MessageRole.Tool);
        Assert.Equal(("t1", "get_temperature", "21"), (toolMessage.ToolCallId, toolMessage.ToolName, toolMessage.Text));
        var observed = await stack.Observations.GetObservationsAsync("t-chat", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(observed, o => o.Type == ObservationType.ModelFallbackSuccess);
        var usage = await stack.Costs.GetThreadUsageAsync("t-chat", TestContext.Current.CancellationToken);
        Assert.Equal(2, usage.Total.Calls);
        Assert.Equal(0.00028m, usage.Total.Cost);
    }

    /// <summary>A hand-written client standing for any MEAI provider.</summary>
    private sealed class EchoClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            var last = messages.Last(m => m.Role == ChatRole.User).Text;
            yield return new ChatResponseUpdate(ChatRole.Assistant, "echo: " + last) { ModelId = options?.ModelId };
            yield return new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 100, OutputTokenCount = 20 })], FinishReason = ChatFinishReason.Stop };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("echo", null, "echo-1") : null;

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task ChatClientInstance_ServesTheAgentThroughTheEngine()
    {
        var clients = new ChatClientProviderFactory().Add("mine", new EchoClient());
        await using var stack = await RealStack.CreateAsync([new ProviderInstanceConfig { Id = "mine", Provider = ChatClientProviderFactory.ProviderName, Model = "echo-1" }], chatClients: clients);
        await stack.State.SetThreadConfigAsync("t-echo", new ThreadConfig { Reasoning = new ThreadReasoningConfig { InstanceId = "mine" } }, TestContext.Current.CancellationToken);

        var response = await stack.CreateAgent().ProcessAsync(new AgentProps { Query = "ping", ThreadId = "t-echo" }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Success, response.Status);
        Assert.Equal("echo: ping", response.Message.Content);
        Assert.Equal(["mine"], response.Metadata.InstanceIds);
        Assert.Equal(0.00028m, response.Metadata.Cost);
    }
}
