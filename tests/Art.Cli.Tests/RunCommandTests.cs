using Art.Testing.Servers;

namespace Art.Cli.Tests;

public sealed class RunCommandTests
{
    [Fact]
    public async Task Run_CalculatorToolCall_RunsToolAndStreamsSynthesis()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        server.Enqueue(new ScriptedTurn { Parts = [ScriptedToolCall.Create("calculator", """{"expression":"2+3*4"}""", "call_1")], FinishReason = "tool_calls" });
        server.Enqueue(ScriptedTurn.Text("2 + 3 × 4 ", "= 14."));
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.OneInstance(cli, server.InstanceBaseUrl));

        var result = await cli.RunAsync("run", "--thread", "math", "What is 2+3*4?");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("2 + 3 × 4 = 14.\n", result.Stdout);
        var chatRequests = server.Requests.Where(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, chatRequests.Count);
        Assert.Contains("calculator", chatRequests[0].Json.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()));
        var toolMessage = Assert.Single(chatRequests[1].Json.GetProperty("messages").EnumerateArray(), m => m.GetProperty("role").GetString() == "tool");
        Assert.Contains("14", toolMessage.GetProperty("content").ToString(), StringComparison.Ordinal);

        var show = await cli.RunAsync("threads", "show", "math");
        Assert.Contains("= 14.", show.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ProviderDown_ExitsOneWithOneLine()
    {
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.OneInstance(cli, $"http://127.0.0.1:{CliTestConfig.ClosedPort()}/v1"));

        var result = await cli.RunAsync("run", "What is 2+2?");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("art: ", result.Stderr, StringComparison.Ordinal);
    }
}
