using System.Globalization;
using System.Text.Json;
using Art.Testing.Servers;

namespace Art.Cli.Tests;

public sealed class ModelsCommandTests
{
    private static string OllamaConfig(CliRunner cli, OllamaTestServer server) => $$"""
        {
          "storage": { "kind": "sqlite", "path": {{JsonSerializer.Serialize(Path.Join(cli.Root, "art.db"))}} },
          "providers": [ { "id": "box", "provider": "ollama", "baseUrl": "{{server.InstanceBaseUrl}}" } ]
        }
        """;

    [Fact]
    public async Task Pull_NotATerminal_PrintsPlainProgressLinesEndingAt100()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.EnqueuePull(new OllamaPullScript([new OllamaPullLayer("sha256:" + new string('a', 64), 3_000_000_000, Steps: 6), new OllamaPullLayer("sha256:" + new string('b', 64), 1_000_000, Steps: 2)])
        {
            Faults = new FaultPlan { DelayBetweenChunks = TimeSpan.FromMilliseconds(150) },
        });
        using var cli = new CliRunner();
        cli.WriteConfig(OllamaConfig(cli, server));

        var result = await cli.RunAsync("models", "pull", "llama3.2:3b");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain('\u001b', result.Stdout);
        Assert.Contains(lines, l => l.StartsWith("pulling manifest", StringComparison.Ordinal));
        var percents = lines
            .Where(l => l.StartsWith("pulling aaaaaaaaaaaa", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split("  ", StringSplitOptions.RemoveEmptyEntries)[1].TrimEnd('%'), CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(percents.Count >= 3, result.ToString());
        Assert.Equal(percents.Order().ToList(), percents);
        Assert.Contains(lines, l => l.Contains("GB", StringComparison.Ordinal) && l.Contains("/s", StringComparison.Ordinal));
        Assert.Contains("100.0%", lines[^1], StringComparison.Ordinal);
        Assert.Equal("llama3.2:3b", server.Requests.Single(r => r.Path == "/api/pull").Json.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Pull_ErrorLineInStream_ExitsOne()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.EnqueuePull(new OllamaPullScript([new OllamaPullLayer("sha256:" + new string('c', 64), 1000)]) { ErrorAfterLines = 2, ErrorMessage = "pull model manifest: file does not exist" });
        using var cli = new CliRunner();
        cli.WriteConfig(OllamaConfig(cli, server));

        var result = await cli.RunAsync("models", "pull", "nope:1b");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task List_Json_ParsesWithInstanceAndModels()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.SetModels(["llama3.2:3b", "qwen3:8b"]);
        using var cli = new CliRunner();
        cli.WriteConfig(OllamaConfig(cli, server));

        var result = await cli.RunAsync("models", "list", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Stdout);
        Assert.Equal("box", document.RootElement.GetProperty("instanceId").GetString());
        Assert.Equal("ollama", document.RootElement.GetProperty("provider").GetString());
        var names = document.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()).Order().ToList();
        Assert.Equal(["llama3.2:3b", "qwen3:8b"], names);
    }

    [Fact]
    public async Task ShowAndRm_Ollama_ShowsCapabilitiesThenDeletes()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.AddModel(new OllamaTestModel("qwen3:8b") { Capabilities = ["completion", "tools", "thinking"], ContextLength = 40960 });
        using var cli = new CliRunner();
        cli.WriteConfig(OllamaConfig(cli, server));

        var show = await cli.RunAsync("models", "show", "qwen3:8b", "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        using (var document = JsonDocument.Parse(show.Stdout))
        {
            var details = document.RootElement.GetProperty("details");
            Assert.Equal(40960, details.GetProperty("contextWindow").GetInt32());
            Assert.Contains("tools", details.GetProperty("rawCapabilities").EnumerateArray().Select(c => c.GetString()));
        }

        var rm = await cli.RunAsync("models", "rm", "qwen3:8b");
        Assert.True(rm.ExitCode == 0, rm.ToString());
        Assert.DoesNotContain("qwen3:8b", server.ModelNames);

        var again = await cli.RunAsync("models", "rm", "qwen3:8b");
        Assert.True(again.ExitCode == 1, again.ToString());
    }

    [Fact]
    public async Task Pull_RemoteInstance_ExitsOneSayingItDoesNotManageModels()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OpenAICompatibleFlavor.Generic, TestContext.Current.CancellationToken);
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.OneInstance(cli, server.InstanceBaseUrl));

        var result = await cli.RunAsync("models", "pull", "x");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("does not manage local models", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Catalog_JsonWithFilters_ReturnsOnlyMatchingModels()
    {
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.StorageOnly(cli));

        var result = await cli.RunAsync("models", "catalog", "--provider", "anthropic", "--capability", "vision", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var models = JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().ToList();
        Assert.NotEmpty(models);
        Assert.All(models, m =>
        {
            Assert.Equal("anthropic", m.GetProperty("provider").GetString());
            Assert.Contains("vision", m.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        });
    }

    [Fact]
    public async Task ImportPrices_ThenCatalog_ShowsImportedPrice()
    {
        using var cli = new CliRunner();
        cli.WriteConfig(CliTestConfig.StorageOnly(cli));
        var file = cli.WriteFile("prices.json", """
            {
              "sample_spec": {"max_tokens": "set to max_output_tokens if provider specifies it"},
              "openai/zz-test-model": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 0.000002, "output_cost_per_token": 0.000008, "max_input_tokens": 128000, "supports_vision": true}
            }
            """);

        var import = await cli.RunAsync("models", "import-prices", file);
        var catalog = await cli.RunAsync("models", "catalog", "--provider", "openai", "--json");

        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.True(catalog.ExitCode == 0, catalog.ToString());
        var model = JsonDocument.Parse(catalog.Stdout).RootElement.EnumerateArray().Single(m => m.GetProperty("modelId").GetString() == "zz-test-model");
        Assert.Equal(2m, model.GetProperty("pricing").GetProperty("inputPerMillion").GetDecimal());
        Assert.Equal(8m, model.GetProperty("pricing").GetProperty("outputPerMillion").GetDecimal());
    }

    [Fact]
    public async Task Catalog_UnknownCapability_ExitsTwo()
    {
        using var cli = new CliRunner();

        var result = await cli.RunAsync("models", "catalog", "--capability", "telepathy");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("telepathy", result.Stderr, StringComparison.Ordinal);
    }
}
