using System.Text.Json;
using Art.Testing.Servers;

namespace Art.Cli.Tests;

/// <summary>A remote instance without an API key is unavailable, not fatal: the local instance still chats.</summary>
public sealed class KeylessInstanceTests
{
    private static string Config(CliRunner cli, string ollamaUrl) => $$"""
        {
          "storage": { "kind": "sqlite", "path": {{JsonSerializer.Serialize(Path.Join(cli.Root, "art.db"))}} },
          "providers": [
            { "id": "cloud", "provider": "openai", "model": "gpt-4o-mini" },
            { "id": "box", "provider": "ollama", "baseUrl": "{{ollamaUrl}}", "model": "llama3.2:3b" }
          ],
          "engine": { "maxRetriesPerInstance": 0, "baseBackoff": "00:00:00.010" }
        }
        """;

    [Fact]
    public async Task Chat_OllamaBesideKeylessOpenAI_AnswersFromOllama()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.SetModels(["llama3.2:3b"]);
        server.Enqueue(ScriptedTurn.Text("hello from ollama"));
        using var cli = new CliRunner();
        cli.WriteConfig(Config(cli, server.InstanceBaseUrl));

        var result = await cli.RunAsync("chat", "hi");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello from ollama\n", result.Stdout);
        // Which Ollama model the automatic step picks is the router's business; the call went to the local instance.
        Assert.Single(server.Requests, r => r.Path == "/api/chat");
    }

    [Fact]
    public async Task Chat_ExplicitKeylessInstance_ExitsTwoNamingTheEnvironmentVariable()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.SetModels(["llama3.2:3b"]);
        using var cli = new CliRunner();
        cli.WriteConfig(Config(cli, server.InstanceBaseUrl));

        var result = await cli.RunAsync("chat", "--instance", "cloud", "hi");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("'cloud' is unavailable", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("OPENAI_API_KEY", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("art keys set cloud", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Requests, r => r.Path == "/api/chat");
    }

    [Fact]
    public async Task Instances_Json_KeylessOpenAIUnavailableWithReason()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.SetModels(["llama3.2:3b"]);
        using var cli = new CliRunner();
        cli.WriteConfig(Config(cli, server.InstanceBaseUrl));

        var result = await cli.RunAsync("instances", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        Assert.Equal("reachable", rows["box"].GetProperty("status").GetString());
        Assert.Equal("no_key", rows["cloud"].GetProperty("status").GetString());
        var reason = rows["cloud"].GetProperty("error").GetString()!;
        Assert.Contains("no API key", reason, StringComparison.Ordinal);
        Assert.Contains("OPENAI_API_KEY", reason, StringComparison.Ordinal);
        Assert.Contains("art keys set cloud", reason, StringComparison.Ordinal);
    }
}
