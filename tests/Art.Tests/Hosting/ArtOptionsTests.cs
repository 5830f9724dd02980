using Art.Hosting;
using Art.Models;
using Microsoft.Extensions.Configuration;

namespace Art.Tests.Hosting;

public sealed class ArtOptionsTests
{
    private static ArtOptions FromJson(string json, IDictionary<string, string?>? overrides = null)
    {
        var builder = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));
        if (overrides is not null)
        {
            builder.AddInMemoryCollection(overrides);
        }

        return ArtOptions.Bind(builder.Build());
    }

    private const string FullJson = """
        {
          "storage": { "kind": "memory" },
          "providers": [
            { "id": "local", "provider": "ollama", "baseUrl": "http://127.0.0.1:11434", "model": "qwen3:8b",
              "queueTimeout": "00:00:30", "parameters": { "num_ctx": "8192", "temperature": "0.2" } },
            { "id": "cloud", "provider": "openai", "model": "gpt-4o-mini", "maxConcurrency": 4,
              "pricing": { "gpt-4o-mini": { "inputPerMillion": 0.15, "outputPerMillion": 0.6 } },
              "headers": { "X-Title": "art" } }
          ],
          "defaults": {
            "instanceId": "local",
            "parameters": { "max_tokens": "512" },
            "modelPreferences": {
              "defaultInstanceId": "local",
              "fallbackInstances": [ "cloud" ],
              "preferredModels": { "vision": { "instanceId": "cloud", "modelId": "gpt-4o" }, "tool_use": { "provider": "openai", "modelId": "gpt-4o-mini" } }
            },
            "costPreferences": { "maxCostPerThread": 1.5, "warnCostThreshold": 1.0 },
            "enabledTools": [ "calculator" ],
            "historyLimit": 10,
            "systemPrompt": "Be brief."
          },
          "engine": { "firstTokenTimeout": "00:00:45", "maxRetriesPerInstance": 1, "idleTimeout": "00:00:00" },
          "secrets": { "iterations": 700000 }
        }
        """;

    [Fact]
    public void Validate_FullLayout_MapsEveryBlockToContracts()
    {
        var validated = FromJson(FullJson).Validate();

        Assert.Equal("memory", validated.Storage.Kind);
        Assert.Equal(["local", "cloud"], validated.Providers.Select(p => p.Id));
        var local = validated.Providers[0];
        Assert.Equal(TimeSpan.FromSeconds(30), local.QueueTimeout);
        Assert.Equal(8192, local.Parameters!.ContextSize);
        Assert.Equal(0.2, local.Parameters.Temperature);
        var cloud = validated.Providers[1];
        Assert.Equal(4, cloud.MaxConcurrency);
        Assert.Equal(0.6m, cloud.Pricing!["gpt-4o-mini"].OutputPerMillion);
        Assert.Equal("art", cloud.Headers!["X-Title"]);

        var defaults = validated.Defaults;
        Assert.Equal("local", defaults.Reasoning.InstanceId);
        Assert.Equal(512, defaults.Reasoning.Parameters!.MaxOutputTokens);
        Assert.Equal(["cloud"], defaults.Reasoning.ModelPreferences!.FallbackInstances!);
        Assert.Equal("gpt-4o", defaults.Reasoning.ModelPreferences.PreferredModels![ModelCapability.Vision].ModelId);
        Assert.Equal("openai", defaults.Reasoning.ModelPreferences.PreferredModels[ModelCapability.ToolUse].Provider);
        Assert.Equal(1.5m, defaults.Reasoning.CostPreferences!.MaxCostPerThread);
        Assert.Equal(10, defaults.HistoryLimit);
        Assert.Equal("Be brief.", defaults.SystemPrompt);
        Assert.Equal(["calculator"], defaults.EnabledTools);
        Assert.Equal(TimeSpan.FromSeconds(45), validated.Engine.FirstTokenTimeout);
        Assert.Equal(TimeSpan.Zero, validated.Engine.IdleTimeout);
        Assert.Equal(700000, validated.SecretsIterations);
    }

    [Fact]
    public void Bind_EnvironmentStyleOverride_WinsOverFile()
    {
        Environment.SetEnvironmentVariable("ART_TEST_HOSTING__DEFAULTS__INSTANCEID", "cloud");
        Environment.SetEnvironmentVariable("ART_TEST_HOSTING__PROVIDERS__1__MODEL", "gpt-4.1");
        try
        {
            var configuration = new ConfigurationBuilder()
                .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(FullJson)))
                .AddEnvironmentVariables("ART_TEST_HOSTING__")
                .Build();

            var validated = ArtOptions.Bind(configuration).Validate();

            Assert.Equal("cloud", validated.Defaults.Reasoning.InstanceId);
            Assert.Equal("gpt-4.1", validated.Providers[1].Model);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ART_TEST_HOSTING__DEFAULTS__INSTANCEID", null);
            Environment.SetEnvironmentVariable("ART_TEST_HOSTING__PROVIDERS__1__MODEL", null);
        }
    }

    [Fact]
    public void Bind_ArtSection_PreferredOverRoot()
    {
        var options = FromJson("""{ "Logging": {}, "Art": { "storage": { "kind": "memory" }, "providers": [ { "id": "a", "provider": "ollama" } ] } }""");

        Assert.Equal("memory", options.Storage.Kind);
        Assert.Equal("a", Assert.Single(options.Providers).Id);
    }

    [Fact]
    public void Validate_NoDefaultsInstance_UsesFirstProviderAndCalculator()
    {
        var validated = FromJson("""{ "providers": [ { "id": "b", "provider": "ollama" }, { "id": "c", "provider": "ollama" } ] }""").Validate();

        Assert.Equal("b", validated.Defaults.Reasoning.InstanceId);
        Assert.Equal(["calculator"], validated.Defaults.EnabledTools);
        Assert.Equal(20, validated.Defaults.HistoryLimit);
        Assert.Equal("sqlite", validated.Storage.Kind);
    }

    [Fact]
    public void Validate_EmptyEnabledToolsArray_MeansNoTools()
    {
        var validated = FromJson("""{ "providers": [ { "id": "a", "provider": "ollama" } ], "defaults": { "enabledTools": [] } }""").Validate();

        Assert.Empty(validated.Defaults.EnabledTools);
    }

    [Theory]
    [InlineData("""{ "providers": [ { "id": "a", "provider": "ollama" }, { "id": "a", "provider": "openai" } ] }""", "providers:1:id")]
    [InlineData("""{ "providers": [ { "provider": "ollama" } ] }""", "providers:0:id")]
    [InlineData("""{ "providers": [ { "id": "a" } ] }""", "providers:0:provider")]
    [InlineData("""{ "providers": [ { "id": "a", "provider": "ollama", "baseUrl": "ftp://x" } ] }""", "providers:0:baseUrl")]
    [InlineData("""{ "providers": [ { "id": "a", "provider": "ollama", "maxConcurrency": 0 } ] }""", "providers:0:maxConcurrency")]
    [InlineData("""{ "providers": [ { "id": "a", "provider": "ollama", "pricing": { "m": { "inputPerMillion": -1 } } } ] }""", "providers:0:pricing:m:inputPerMillion")]
    [InlineData("""{ "providers": [ { "id": "a", "provider": "ollama" } ], "defaults": { "instanceId": "zzz" } }""", "defaults:instanceId")]
    [InlineData("""{ "providers": [ { "id": "a", "provider": "ollama" } ], "defaults": { "modelPreferences": { "fallbackInstances": [ "a", "nope" ] } } }""", "defaults:modelPreferences:fallbackInstances:1")]
    [InlineData("""{ "providers": [ { "id": "a", "provider": "ollama" } ], "defaults": { "modelPreferences": { "preferredModels": { "telepathy": { "instanceId": "a" } } } } }""", "defaults:modelPreferences:preferredModels:telepathy")]
    [InlineData("""{ "providers": [ { "id": "a", "provider": "ollama" } ], "defaults": { "costPreferences": { "maxCostPerCall": -0.5 } } }""", "defaults:costPreferences:maxCostPerCall")]
    [InlineData("""{ "engine": { "maxFallbacks": -1 } }""", "engine:maxFallbacks")]
    [InlineData("""{ "engine": { "idleTimeout": "-00:00:01" } }""", "engine:idleTimeout")]
    [InlineData("""{ "secrets": { "iterations": 1000 } }""", "secrets:iterations")]
    public void Validate_Invalid_NamesTheKeyPath(string json, string keyPath)
    {
        var error = Assert.Throws<ArtConfigurationException>(() => FromJson(json).Validate());

        Assert.Contains(keyPath + ":", error.Message, StringComparison.Ordinal);
        Assert.Equal(keyPath, error.Entry);
    }

    [Fact]
    public void Validate_SeveralProblems_ListsAll()
    {
        var error = Assert.Throws<ArtConfigurationException>(() => FromJson("""{ "providers": [ { "id": "a" } ], "engine": { "maxFallbacks": -1 } }""").Validate());

        Assert.Contains("providers:0:provider", error.Message, StringComparison.Ordinal);
        Assert.Contains("engine:maxFallbacks", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "providers": [ { "id": "a", "provider": "ollama", "maxConcurrency": "lots" } ] }""", "providers:0")]
    [InlineData("""{ "providers": [ { "id": "a", "provider": "ollama" }, { "id": "b", "provider": "ollama", "maxConcurency": 2 } ] }""", "providers:1")]
    [InlineData("""{ "engine": { "idleTimeout": "soon" } }""", "engine")]
    [InlineData("""{ "defaults": { "modelPreference": { } } }""", "defaults")]
    public void Bind_BadValueOrUnknownKey_ThrowsNamingTheBlock(string json, string path)
    {
        var error = Assert.Throws<ArtConfigurationException>(() => FromJson(json));

        Assert.Equal(path, error.Entry);
    }
}
