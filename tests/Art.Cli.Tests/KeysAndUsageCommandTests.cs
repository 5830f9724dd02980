using System.Text;
using System.Text.Json;
using Art.Testing.Servers;

namespace Art.Cli.Tests;

public sealed class KeysAndUsageCommandTests
{
    private const string Secret = "sk-test-1234567890abcdef";

    [Fact]
    public async Task Keys_SetListRm_RoundTripFromStdinAndNeverPrinted()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        server.Enqueue(ScriptedTurn.Text("authorised"));
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.OneInstance(cli, server.InstanceBaseUrl, id: "remote"));
        cli.Environment["ART_MASTER_PASSWORD"] = "correct horse battery staple";

        var set = await cli.RunWithInputAsync(Secret + "\n", "keys", "set", "remote");
        var list = await cli.RunAsync("keys", "list", "--json");
        var chat = await cli.RunAsync("chat", "hi");

        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.True(chat.ExitCode == 0, chat.ToString());
        Assert.Equal(["remote"], JsonDocument.Parse(list.Stdout).RootElement.GetProperty("instances").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Bearer " + Secret, server.LastRequest.Header("Authorization"));
        foreach (var output in new[] { set, list, chat })
        {
            Assert.DoesNotContain(Secret, output.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, output.Stderr, StringComparison.Ordinal);
        }

        foreach (var file in Directory.GetFiles(cli.Root, "art.db*"))
        {
            var bytes = await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken);
            Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        }

        var rm = await cli.RunAsync("keys", "rm", "remote");
        var after = await cli.RunAsync("keys", "list", "--json");
        var rmAgain = await cli.RunAsync("keys", "rm", "remote");

        Assert.True(rm.ExitCode == 0, rm.ToString());
        Assert.Empty(JsonDocument.Parse(after.Stdout).RootElement.GetProperty("instances").EnumerateArray());
        Assert.True(rmAgain.ExitCode == 1, rmAgain.ToString());
    }

    [Fact]
    public async Task Keys_WrongPassword_ExitsOneAndPasswdRotates()
    {
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.StorageOnly(cli));
        cli.Environment["ART_MASTER_PASSWORD"] = "first password";
        Assert.Equal(0, (await cli.RunWithInputAsync(Secret, "keys", "set", "openai")).ExitCode);

        cli.Environment["ART_MASTER_PASSWORD"] = "wrong password";
        var wrong = await cli.RunWithInputAsync("other-key", "keys", "set", "openai");
        Assert.True(wrong.ExitCode == 1, wrong.ToString());
        Assert.Contains("wrong master password", wrong.Stderr, StringComparison.Ordinal);

        cli.Environment["ART_MASTER_PASSWORD"] = "first password";
        cli.Environment["ART_NEW_MASTER_PASSWORD"] = "second password";
        var passwd = await cli.RunAsync("keys", "passwd");
        Assert.True(passwd.ExitCode == 0, passwd.ToString());

        cli.Environment.Remove("ART_NEW_MASTER_PASSWORD");
        var old = await cli.RunWithInputAsync("k2", "keys", "set", "openai");
        Assert.True(old.ExitCode == 1, old.ToString());
        cli.Environment["ART_MASTER_PASSWORD"] = "second password";
        var next = await cli.RunWithInputAsync("k3", "keys", "set", "openai");
        Assert.True(next.ExitCode == 0, next.ToString());
    }

    [Fact]
    public async Task Keys_SetWithEmptyStdin_ExitsTwo()
    {
        using var cli = new CliRunner();
        cli.Environment["ART_MASTER_PASSWORD"] = "pw";

        var result = await cli.RunWithInputAsync(string.Empty, "keys", "set", "openai");

        Assert.True(result.ExitCode == 2, result.ToString());
    }

    [Fact]
    public async Task Usage_AfterTwoChats_ShowsTotalsPerThreadInstanceAndModel()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        server.Enqueue(new ScriptedTurn { Parts = [new ScriptedContent("one")], Usage = new ScriptedUsage(1000, 500) });
        server.Enqueue(new ScriptedTurn { Parts = [new ScriptedContent("two")], Usage = new ScriptedUsage(3000, 1500) });
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.OneInstance(cli, server.InstanceBaseUrl, id: "paid", isLocal: false));

        Assert.Equal(0, (await cli.RunAsync("chat", "--thread", "a", "first")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("chat", "--thread", "a", "second")).ExitCode);
        var json = await cli.RunAsync("usage", "--json");
        var text = await cli.RunAsync("usage", "--thread", "a");

        Assert.True(json.ExitCode == 0, json.ToString());
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        var thread = Assert.Single(root.GetProperty("threads").EnumerateArray());
        Assert.Equal("a", thread.GetProperty("threadId").GetString());
        Assert.Equal(2, thread.GetProperty("total").GetProperty("calls").GetInt32());
        Assert.Equal(4000, thread.GetProperty("total").GetProperty("inputTokens").GetInt64());
        Assert.Equal(2000, thread.GetProperty("total").GetProperty("outputTokens").GetInt64());
        // 4000 × $1/M + 2000 × $2/M = $0.008
        Assert.Equal(0.008m, thread.GetProperty("total").GetProperty("cost").GetDecimal());
        Assert.Equal(2, thread.GetProperty("byInstance").GetProperty("paid").GetProperty("calls").GetInt32());
        Assert.Contains(thread.GetProperty("byModel").EnumerateObject(), p => p.Name.Contains("test-model", StringComparison.Ordinal));
        Assert.True(root.GetProperty("totalCostKnown").GetBoolean());
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("$0.008", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_UnpricedRemoteModel_ShowsUnknown()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        server.Enqueue(new ScriptedTurn { Parts = [new ScriptedContent("free?")], Usage = new ScriptedUsage(10, 5) });
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.OneInstance(cli, server.InstanceBaseUrl, id: "mystery", priced: false, isLocal: false));

        Assert.Equal(0, (await cli.RunAsync("chat", "hi")).ExitCode);
        var text = await cli.RunAsync("usage");
        var json = await cli.RunAsync("usage", "--json");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("unknown", text.Stdout, StringComparison.Ordinal);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.False(root.GetProperty("totalCostKnown").GetBoolean());
        Assert.Equal(1, root.GetProperty("total").GetProperty("unknownCostCalls").GetInt32());
    }
}
