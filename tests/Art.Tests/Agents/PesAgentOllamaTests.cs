using System.Text.Json;
using Art.Agents;
using Art.Ollama;
using Art.Testing.Servers;

namespace Art.Tests.Agents;

/// <summary>The calculator turn end to end over real HTTP: agent → engine → Ollama adapter → loopback Ollama server.</summary>
public sealed class PesAgentOllamaTests
{
    [Fact]
    public async Task Calculator_OverOllamaHttp_NativeToolCalls()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.SetModels(["llama3.2"]);
        server.Enqueue(new ScriptedTurn
        {
            Parts = [new ScriptedThought("I should use the calculator."), ScriptedToolCall.Create("calculator", """{"expression":"12*34"}""")],
            Usage = new ScriptedUsage(100, 20),
            FinishReason = "stop",
        });
        server.Enqueue(ScriptedTurn.Text("12 times 34 is ", "408.") with { Usage = new ScriptedUsage(150, 10) });
        await using var stack = await RealStack.CreateAsync(
            [new Art.Reasoning.ProviderInstanceConfig { Id = "ollama-local", Provider = "ollama", BaseUrl = server.InstanceBaseUrl, Model = "llama3.2" }],
            extraFactory: new OllamaProviderFactory());
        await stack.ConfigureThreadAsync("t-ollama", "ollama-local");
        var chunks = new List<string>();

        var response = await stack.CreateAgent().ProcessAsync(new AgentProps
        {
            Query = "What is 12 times 34?",
            ThreadId = "t-ollama",
            Options = new AgentOptions { OnChunk = c => chunks.Add(c.Content) },
        }, TestContext.Current.CancellationToken);

        Assert.Equal(AgentStatus.Success, response.Status);
        Assert.Equal("12 times 34 is 408.", response.Message.Content);
        Assert.Equal("12 times 34 is 408.", string.Concat(chunks));
        Assert.Equal(1, response.Metadata.ToolCalls);
        Assert.Equal(250, response.Metadata.Usage.InputTokens);
        Assert.Equal(["ollama-local"], response.Metadata.InstanceIds);

        var chats = server.Requests.Where(r => r.Path == "/api/chat").ToList();
        Assert.Equal(2, chats.Count);
        using var first = JsonDocument.Parse(chats[0].Body);
        Assert.Equal("calculator", first.RootElement.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        using var second = JsonDocument.Parse(chats[1].Body);
        var messages = second.RootElement.GetProperty("messages").EnumerateArray().ToList();
        var assistant = messages.Single(m => m.GetProperty("role").GetString() == "assistant" && m.TryGetProperty("tool_calls", out _));
        Assert.Equal("calculator", assistant.GetProperty("tool_calls")[0].GetProperty("function").GetProperty("name").GetString());
        var tool = messages.Single(m => m.GetProperty("role").GetString() == "tool");
        Assert.Contains("408", tool.GetProperty("content").GetString());
    }
}
