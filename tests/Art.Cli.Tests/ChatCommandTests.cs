using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Art.Testing.Servers;

namespace Art.Cli.Tests;

public sealed class ChatCommandTests
{
    [Fact]
    public async Task Chat_WithShowThoughts_AnswerOnStdoutThoughtsOnStderr()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        server.Enqueue(new ScriptedTurn
        {
            Parts = [new ScriptedThought("Let me think about 2+2."), new ScriptedContent("The answer "), new ScriptedContent("is 4.")],
            Usage = new ScriptedUsage(12, 6),
        });
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.OneInstance(cli, server.InstanceBaseUrl));

        var result = await cli.RunAsync("chat", "--show-thoughts", "What", "is", "2+2?");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("The answer is 4.\n", result.Stdout);
        Assert.Contains("Let me think about 2+2.", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("think", result.Stdout, StringComparison.Ordinal);
        var sent = server.LastRequest.Json;
        Assert.Equal("What is 2+2?", sent.GetProperty("messages").EnumerateArray().Last().GetProperty("content").ToString());
    }

    [Fact]
    public async Task Chat_Ollama_StreamsAnswerSeparatesThinkingAndRegistersModel()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.AddModel(new OllamaTestModel("qwen3:8b") { Capabilities = ["completion", "thinking", "vision"], ContextLength = 40960 });
        server.Enqueue(new ScriptedTurn
        {
            Parts = [new ScriptedThought("The user greets me."), new ScriptedContent("Hi "), new ScriptedContent("there!")],
            Usage = new ScriptedUsage(20, 4),
        });
        using var cli = new CliRunner();
        cli.WriteConfig($$"""
            {
              "storage": { "kind": "sqlite", "path": {{JsonSerializer.Serialize(Path.Join(cli.Root, "art.db"))}} },
              "providers": [ { "id": "ollama", "provider": "ollama", "baseUrl": "{{server.InstanceBaseUrl}}", "model": "qwen3:8b" } ]
            }
            """);

        var result = await cli.RunAsync("chat", "--show-thoughts", "hello");
        var catalog = await cli.RunAsync("models", "catalog", "--provider", "ollama", "--capability", "vision", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Hi there!\n", result.Stdout);
        Assert.Contains("The user greets me.", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("qwen3:8b", server.Requests.Last(r => r.Path == "/api/chat").Json.GetProperty("model").GetString());
        var model = Assert.Single(JsonDocument.Parse(catalog.Stdout).RootElement.EnumerateArray(), m => m.GetProperty("modelId").GetString() == "qwen3:8b");
        Assert.Equal(40960, model.GetProperty("contextWindow").GetInt32());
    }

    [Fact]
    public async Task Chat_InstanceOverride_UsesThatInstanceForTheTurnOnly()
    {
        await using var first = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        await using var second = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        first.Enqueue(ScriptedTurn.Text("from first"));
        second.Enqueue(ScriptedTurn.Text("from second"));
        using var cli = new CliRunner();
        cli.WriteConfig($$"""
            {
              "storage": { "kind": "sqlite", "path": {{JsonSerializer.Serialize(Path.Join(cli.Root, "art.db"))}} },
              "providers": [
                { "id": "one", "provider": "openai-compatible", "baseUrl": "{{first.InstanceBaseUrl}}", "model": "m1" },
                { "id": "two", "provider": "openai-compatible", "baseUrl": "{{second.InstanceBaseUrl}}", "model": "m2" }
              ]
            }
            """);

        var overridden = await cli.RunAsync("chat", "--thread", "x", "--instance", "two", "--model", "m2-large", "hi");
        var normal = await cli.RunAsync("chat", "--thread", "x", "again");

        Assert.True(overridden.ExitCode == 0, overridden.ToString());
        Assert.Equal("from second\n", overridden.Stdout);
        Assert.Equal("m2-large", second.LastRequest.Json.GetProperty("model").GetString());
        Assert.True(normal.ExitCode == 0, normal.ToString());
        Assert.Equal("from first\n", normal.Stdout);
    }

    [Fact]
    public async Task Chat_UnknownInstance_ExitsTwo()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.OneInstance(cli, server.InstanceBaseUrl));

        var result = await cli.RunAsync("chat", "--instance", "nope", "hi");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("nope", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_WithoutShowThoughts_ThoughtsHidden()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        server.Enqueue(new ScriptedTurn { Parts = [new ScriptedThought("secret reasoning"), new ScriptedContent("Hello.")] });
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.OneInstance(cli, server.InstanceBaseUrl));

        var result = await cli.RunAsync("chat", "hi");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("Hello.\n", result.Stdout);
        Assert.DoesNotContain("secret reasoning", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_SecondTurn_SendsHistoryAndThreadsListShowsIt()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        server.Enqueue(ScriptedTurn.Text("Nice to meet you, Ada."));
        server.Enqueue(ScriptedTurn.Text("Your name is Ada."));
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.OneInstance(cli, server.InstanceBaseUrl));

        var first = await cli.RunAsync("chat", "--thread", "t1", "My name is Ada.");
        var second = await cli.RunAsync("chat", "--thread", "t1", "What is my name?");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        var messages = server.LastRequest.Json.GetProperty("messages").EnumerateArray()
            .Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").ToString()))
            .ToList();
        Assert.Equal(
            [("user", "My name is Ada."), ("assistant", "Nice to meet you, Ada."), ("user", "What is my name?")],
            messages);

        var list = await cli.RunAsync("threads", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var thread = Assert.Single(JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray());
        Assert.Equal("t1", thread.GetProperty("threadId").GetString());
        Assert.Equal(4, thread.GetProperty("messages").GetInt32());

        var show = await cli.RunAsync("threads", "show", "t1");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("Your name is Ada.", show.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_WithSchema_PrintsOnlyTheJsonDocument()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        server.Enqueue(new ScriptedTurn { Parts = [new ScriptedThought("format it"), new ScriptedContent("{\"city\": "), new ScriptedContent("\"Paris\", \"population\": 2100000}")] });
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.OneInstance(cli, server.InstanceBaseUrl));
        var schema = cli.WriteFile("schema.json", """{"type":"object","properties":{"city":{"type":"string"},"population":{"type":"integer"}},"required":["city","population"]}""");

        var result = await cli.RunAsync("chat", "--schema", schema, "--show-thoughts", "Capital of France?");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Stdout);
        Assert.Equal("Paris", document.RootElement.GetProperty("city").GetString());
        Assert.Equal(2100000, document.RootElement.GetProperty("population").GetInt32());
        Assert.Equal("{\"city\": \"Paris\", \"population\": 2100000}\n", result.Stdout);
        Assert.Equal("json_schema", server.LastRequest.Json.GetProperty("response_format").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Chat_CtrlC_DuringStream_Exits130AndServerSeesDisconnect()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        server.Enqueue(new ScriptedTurn
        {
            Parts = [.. Enumerable.Range(0, 200).Select(i => (ScriptedPart)new ScriptedContent($"word{i} "))],
            Faults = new FaultPlan { DelayBetweenChunks = TimeSpan.FromMilliseconds(200) },
        });
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.OneInstance(cli, server.InstanceBaseUrl));

        using var process = cli.Start("chat", "tell me a long story");
        var clock = Stopwatch.StartNew();
        var stdout = new StringBuilder();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            var buffer = new char[1];
            while (await process.StandardOutput.ReadAsync(buffer.AsMemory()) > 0)
            {
                lock (stdout)
                {
                    stdout.Append(buffer[0]);
                    if (stdout.ToString().Contains("word1 ", StringComparison.Ordinal))
                    {
                        started.TrySetResult();
                    }
                }
            }

            started.TrySetResult();
        });
        var stderr = process.StandardError.ReadToEndAsync();

        await started.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.False(process.HasExited, $"art ended before the interrupt ({clock.Elapsed}); stderr: {(stderr.IsCompleted ? await stderr : "(open)")}");
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(exit.Token);
        await reader;
        var rest = new CliResult(process.ExitCode, stdout.ToString(), await stderr);

        Assert.True(rest.ExitCode == 130, rest.ToString());
        Assert.Contains("cancelled", rest.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("word199", rest.Stdout, StringComparison.Ordinal);
        Assert.True(await server.WaitForClientDisconnectAsync(TimeSpan.FromSeconds(30)), "the server did not see the client disconnect");
    }
    [Fact]
    public async Task Chat_UnreachableProvider_ExitsOneWithOneLineReason()
    {
        using var cli = new CliRunner();
        var url = $"http://127.0.0.1:{CliTestConfig.ClosedPort()}/v1";
        cli.WriteConfig(CliTestConfig.OneInstance(cli, url, id: "box"));

        var result = await cli.RunAsync("chat", "hello");

        Assert.True(result.ExitCode == 1, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("not reachable", line, StringComparison.Ordinal);
        Assert.Contains(url, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stdout);
    }

    [Theory]
    [InlineData("chat", "--bogus", "hi")]
    [InlineData("models", "list", "--nope")]
    [InlineData("chat")]
    [InlineData("frobnicate")]
    public async Task BadUsage_ExitsTwo(params string[] args)
    {
        using var cli = new CliRunner();

        var result = await cli.RunAsync(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("art: ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidConfig_ExitsTwoNamingTheKeyPath()
    {
        using var cli = new CliRunner();
        cli.WriteConfig("""{"providers":[{"id":"a","provider":"openai-compatible","baseUrl":"not a url"}]}""");

        var result = await cli.RunAsync("chat", "hi");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("providers:0:baseUrl", result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
