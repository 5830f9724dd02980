using System.Text.Json;
using Art.Testing.Servers;

namespace Art.Cli.Tests;

public sealed class InstancesCommandTests
{
    [Fact]
    public async Task Instances_Json_ReportsReachableUnreachableAndMissingKey()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.SetModels(["llama3.2:3b"]);
        using var cli = new CliRunner();
        var closed = $"http://127.0.0.1:{CliTestConfig.ClosedPort()}";
        cli.WriteConfig($$"""
            {
              "storage": { "kind": "sqlite", "path": {{JsonSerializer.Serialize(Path.Join(cli.Root, "art.db"))}} },
              "providers": [
                { "id": "box", "provider": "ollama", "baseUrl": "{{server.InstanceBaseUrl}}" },
                { "id": "gone", "provider": "ollama", "baseUrl": "{{closed}}" },
                { "id": "cloud", "provider": "openai" }
              ]
            }
            """);

        var result = await cli.RunAsync("instances", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!);
        Assert.Equal("reachable", rows["box"].GetProperty("status").GetString());
        Assert.Equal(1, rows["box"].GetProperty("models").GetInt32());
        Assert.True(rows["box"].GetProperty("isLocal").GetBoolean());
        Assert.Equal("unreachable", rows["gone"].GetProperty("status").GetString());
        Assert.Equal("no_key", rows["cloud"].GetProperty("status").GetString());
        Assert.False(rows["cloud"].GetProperty("isLocal").GetBoolean());
    }

    [Fact]
    public async Task Chat_NoConfigFileAndOllamaDown_ExitsOneWithOllamaHint()
    {
        using var cli = new CliRunner();
        var port = CliTestConfig.ClosedPort();
        cli.Environment["OLLAMA_HOST"] = $"127.0.0.1:{port}";
        cli.Environment["ART__ENGINE__MAXRETRIESPERINSTANCE"] = "0";

        var result = await cli.RunAsync("chat", "hello");

        Assert.True(result.ExitCode == 1, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"art: Ollama is not reachable at http://127.0.0.1:{port} — start it with `ollama serve` or set providers in art.json", line);
        Assert.True(File.Exists(Path.Join(cli.Root, "data", "art", "art.db")), "the default database lives under XDG_DATA_HOME/art");
    }
}
