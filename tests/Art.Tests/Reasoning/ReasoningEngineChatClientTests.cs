using System.Text.Json;
using Art.Models;
using Art.Reasoning;
using Art.Tests.Agents;
using Microsoft.Extensions.AI;

namespace Art.Tests.Reasoning;

public sealed class ReasoningEngineChatClientTests
{
    [Fact]
    public async Task UnderFunctionInvocation_ToolIsCalledAndResultSentBack()
    {
        var engine = new FakeReasoningEngine().Enqueue(
            FakeCall.Tool("get_temperature", """{"city":"Oslo"}""", id: "t1"),
            FakeCall.Text("It is 21 degrees in Oslo.", instance: "inst-b", model: "model-b"));
        var calls = new List<string>();
        var tool = AIFunctionFactory.Create((string city) => { calls.Add(city); return 21; }, "get_temperature", "Current temperature of a city.");
        using var client = new ChatClientBuilder(engine.AsChatClient(new ReasoningEngineChatClientOptions { DefaultThreadId = "thread-x" })).UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync("How warm is Oslo?", new ChatOptions { Tools = [tool] }, TestContext.Current.CancellationToken);

        Assert.Equal(["Oslo"], calls);
        Assert.Equal("It is 21 degrees in Oslo.", response.Text);
        Assert.Equal("model-b", response.ModelId);
        var (first, firstOptions) = engine.Requests[0];
        Assert.Equal("thread-x", firstOptions.ThreadId);
        var schema = Assert.Single(firstOptions.Tools!);
        Assert.Equal("get_temperature", schema.Name);
        Assert.Equal("string", schema.InputSchema.GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        var (second, _) = engine.Requests[1];
        Assert.Equal([MessageRole.User, MessageRole.Assistant, MessageRole.Tool], second.Messages.Select(m => m.Role));
        Assert.Equal("t1", second.Messages[1].ToolCalls[0].Id);
        Assert.Equal("t1", second.Messages[2].ToolCallId);
        Assert.Equal("get_temperature", second.Messages[2].ToolName);
        Assert.Equal("21", second.Messages[2].Text);
    }

    [Fact]
    public async Task ArtProperties_MapToCallOptions()
    {
        var engine = new FakeReasoningEngine().Enqueue(FakeCall.Text("ok"));
        using var client = engine.AsChatClient();
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"string"}}}""").RootElement;
        var options = new ChatOptions
        {
            ModelId = "m1",
            Temperature = 0.2f,
            MaxOutputTokens = 77,
            ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "r"),
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                [ArtChatOptionKeys.ThreadId] = "th",
                [ArtChatOptionKeys.Capabilities] = "reasoning, tool_use",
                [ArtChatOptionKeys.InstanceId] = "inst-z",
                [ArtChatOptionKeys.RequestId] = "req-1",
                [ArtChatOptionKeys.AllowFallback] = false,
                ["num_ctx"] = 4096,
            },
        };

        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.System, "sys"), new ChatMessage(ChatRole.User, "hi")], options, TestContext.Current.CancellationToken))
        {
            updates.Add(u);
        }

        var (prompt, call) = engine.Requests[0];
        Assert.Equal("th", call.ThreadId);
        Assert.Equal([ModelCapability.Reasoning, ModelCapability.ToolUse], call.RequiredCapabilities);
        Assert.Equal("inst-z", call.InstanceId);
        Assert.Equal("req-1", call.RequestId);
        Assert.False(call.AllowFallback);
        Assert.Equal("m1", call.Model);
        Assert.Equal(0.2, call.Parameters!.Temperature!.Value, 3);
        Assert.Equal(77, call.Parameters.MaxOutputTokens);
        Assert.Equal(4096, call.Parameters.Extra!["num_ctx"].GetInt32());
        Assert.False(call.Parameters.Extra.ContainsKey(ArtChatOptionKeys.ThreadId));
        Assert.Equal("object", call.ResponseSchema!.Value.GetProperty("type").GetString());
        Assert.Equal([MessageRole.System, MessageRole.User], prompt.Messages.Select(m => m.Role));

        Assert.Equal("ok", string.Concat(updates.SelectMany(u => u.Contents).OfType<TextContent>().Select(t => t.Text)));
        var usage = Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
        Assert.Equal(10, usage.Details.InputTokenCount);
        var last = updates[^1];
        Assert.Equal(ChatFinishReason.Stop, last.FinishReason);
        Assert.Equal("model-a", last.ModelId);
        Assert.Equal("inst-a", last.AdditionalProperties![ArtChatOptionKeys.AnsweredBy]);
        Assert.All(updates, u => Assert.Equal("req-1", u.ResponseId));
    }

    [Fact]
    public async Task NoThread_Throws()
    {
        using var client = new FakeReasoningEngine().AsChatClient();

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync("hi", cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ConversationId_IsTheThread_AndThoughtsBecomeReasoningContent()
    {
        var engine = new FakeReasoningEngine().Enqueue(FakeCall.Text("42").WithThought("thinking"));
        using var client = engine.AsChatClient();

        var response = await client.GetResponseAsync("q", new ChatOptions { ConversationId = "conv-1" }, TestContext.Current.CancellationToken);

        Assert.Equal("conv-1", engine.Requests[0].Options.ThreadId);
        Assert.Equal("42", response.Text);
        Assert.Equal("thinking", Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>()).Text);
        Assert.Equal("inst-a", response.AdditionalProperties![ArtChatOptionKeys.AnsweredBy]);
        Assert.Equal(10, response.Usage!.InputTokenCount);
    }

    [Fact]
    public void GetService_ReturnsMetadataAndEngine()
    {
        var engine = new FakeReasoningEngine();
        using var client = engine.AsChatClient(new ReasoningEngineChatClientOptions { DefaultModelId = "auto" });

        var metadata = client.GetService<ChatClientMetadata>();
        Assert.Equal("art", metadata!.ProviderName);
        Assert.Equal("auto", metadata.DefaultModelId);
        Assert.Same(engine, client.GetService<IReasoningEngine>());
        Assert.Null(client.GetService<string>());
    }

    [Fact]
    public void ToCapabilities_AcceptsSeveralShapes()
    {
        Assert.Equal([ModelCapability.ToolUse], ChatMessageMapper.ToCapabilities("tool_use"));
        Assert.Equal([ModelCapability.Vision, ModelCapability.JsonOutput], ChatMessageMapper.ToCapabilities(JsonDocument.Parse("""["vision","json_output"]""").RootElement));
        Assert.Equal([ModelCapability.Code], ChatMessageMapper.ToCapabilities(new[] { ModelCapability.Code }));
        Assert.Throws<ArgumentException>(() => ChatMessageMapper.ToCapabilities("telepathy"));
    }

    [Fact]
    public async Task Instructions_BecomeSystemMessage_ToolModeNone_WithholdsTools()
    {
        var engine = new FakeReasoningEngine().Enqueue(FakeCall.Text("ok"));
        using var client = engine.AsChatClient(new ReasoningEngineChatClientOptions { DefaultThreadId = "t" });
        var tool = AIFunctionFactory.Create(() => 1, "one");

        await client.GetResponseAsync("hi", new ChatOptions { Instructions = "Be brief.", Tools = [tool], ToolMode = ChatToolMode.None }, TestContext.Current.CancellationToken);

        var (prompt, options) = engine.Requests[0];
        Assert.Equal((MessageRole.System, "Be brief."), (prompt.Messages[0].Role, prompt.Messages[0].Text));
        Assert.Null(options.Tools);
    }
}
