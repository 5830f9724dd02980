using Art.Models;
using Art.Reasoning;
using Art.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Art.Tests.Models;

public sealed class ModelRegistryTests
{
    private static async Task<ModelRegistry> CreateAsync(IStorageAdapter storage, TimeProvider? time = null, Func<CancellationToken, Task<ModelCatalogFile>>? seed = null)
    {
        var registry = new ModelRegistry(new ModelRegistryRepository(storage), seed, time);
        await registry.InitializeAsync(TestContext.Current.CancellationToken);
        return registry;
    }

    private static ModelInfo Model(string provider, string id, decimal? input = null, decimal? output = null, ModelInfoSource source = ModelInfoSource.User, params (ModelCapability Capability, bool Yes)[] capabilities) => new()
    {
        Provider = provider,
        ModelId = id,
        Capabilities = capabilities.ToDictionary(c => c.Capability, c => c.Yes),
        Pricing = input is null && output is null ? null : new ModelPricing { InputPerMillion = input, OutputPerMillion = output },
        Source = source,
    };

    [Fact]
    public async Task Initialize_EmbeddedSeed_LoadsRealCatalog()
    {
        var registry = await CreateAsync(new InMemoryStorageAdapter());

        Assert.True(registry.Count > 200, $"only {registry.Count} models");
        var gpt4o = registry.GetModelInfo("openai", "gpt-4o");
        Assert.NotNull(gpt4o);
        Assert.Equal(CapabilitySupport.Yes, gpt4o.Supports(ModelCapability.Vision));
        Assert.Equal(ModelInfoSource.Seed, gpt4o.Source);
        Assert.Equal(2.5m, gpt4o.Pricing!.InputPerMillion);
        Assert.Equal(10m, gpt4o.Pricing.OutputPerMillion);
        Assert.Equal(128_000, gpt4o.ContextWindow);

        Assert.Equal(400_000, registry.GetModelInfo("openai", "gpt-5")!.ContextWindow);
        Assert.NotNull(registry.GetModelInfo("openrouter", "openai/gpt-4o"));
        Assert.Equal(0m, registry.GetModelInfo("ollama", "llama3.2")!.Pricing!.InputPerMillion);
        Assert.Contains(registry.GetModelsForProvider("anthropic"), m => m.ModelId.StartsWith("claude-", StringComparison.Ordinal));
        Assert.Empty(registry.GetModelsForProvider("nope"));
    }

    [Fact]
    public async Task RegisterModel_PersistedEntry_OverridesSeedInNewRegistryOnSameStorage()
    {
        var storage = new InMemoryStorageAdapter();
        var first = await CreateAsync(storage);
        var custom = Model("openai", "gpt-4o", 1m, 2m, ModelInfoSource.User, (ModelCapability.Vision, false)) with { ContextWindow = 64_000 };
        await first.RegisterModelAsync(custom, TestContext.Current.CancellationToken);
        Assert.Equal(1m, first.GetModelInfo("openai", "gpt-4o")!.Pricing!.InputPerMillion);

        var second = await CreateAsync(storage);
        var loaded = second.GetModelInfo("openai", "gpt-4o")!;
        Assert.Equal(1m, loaded.Pricing!.InputPerMillion);
        Assert.Equal(64_000, loaded.ContextWindow);
        Assert.Equal(CapabilitySupport.No, loaded.Supports(ModelCapability.Vision));
        Assert.Equal(ModelInfoSource.User, loaded.Source);
        Assert.Equal(first.Count, second.Count);
    }

    [Fact]
    public async Task Repository_SaveGetDeleteQuery_RoundTripsModelInfo()
    {
        var storage = new InMemoryStorageAdapter();
        var repo = new ModelRegistryRepository(storage);
        var ct = TestContext.Current.CancellationToken;
        var a = Model("ollama", "llama3.2:3b", 0m, 0m, ModelInfoSource.Discovered, (ModelCapability.ToolUse, true), (ModelCapability.Vision, false));
        await repo.SaveModelsAsync([a, Model("openai", "x")], ct);

        var got = await repo.GetModelAsync("ollama/llama3.2:3b", ct);
        Assert.NotNull(got);
        Assert.Equal(CapabilitySupport.Yes, got.Supports(ModelCapability.ToolUse));
        Assert.Equal(CapabilitySupport.No, got.Supports(ModelCapability.Vision));
        Assert.Equal(CapabilitySupport.Unknown, got.Supports(ModelCapability.Code));
        Assert.Equal(ModelInfoSource.Discovered, got.Source);

        var doc = await storage.GetAsync(ModelRegistryRepository.Collection, "ollama/llama3.2:3b", ct);
        Assert.Equal("discovered", doc!.Value.GetProperty("source").GetString());
        Assert.True(doc.Value.GetProperty("capabilities").GetProperty("tool_use").GetBoolean());

        var ollama = await repo.QueryModelsAsync(FilterOptions.WhereEquals("provider", "ollama"), ct);
        Assert.Single(ollama);
        await repo.DeleteModelAsync("ollama/llama3.2:3b", ct);
        Assert.Null(await repo.GetModelAsync("ollama/llama3.2:3b", ct));
    }

    [Fact]
    public async Task ImportPriceMap_Sample_AddsImportedEntriesAndKeepsUserEntries()
    {
        var storage = new InMemoryStorageAdapter();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero));
        var registry = await CreateAsync(storage, time, _ => Task.FromResult(new ModelCatalogFile()));
        var ct = TestContext.Current.CancellationToken;
        await registry.RegisterModelAsync(Model("openai", "gpt-5-mini", 9m, 9m, ModelInfoSource.User), ct);

        int count;
        await using (var stream = File.OpenRead(LiteLlmPriceMapTests.SamplePath))
        {
            count = await registry.ImportPriceMapAsync(stream, ct);
        }

        Assert.Equal(6, count); // 7 chat models in the sample; the user's gpt-5-mini wins.
        var gpt4o = registry.GetModelInfo("openai", "gpt-4o")!;
        Assert.Equal(ModelInfoSource.Imported, gpt4o.Source);
        Assert.Equal(time.GetUtcNow(), gpt4o.UpdatedAt);
        Assert.Equal(2.5m, gpt4o.Pricing!.InputPerMillion);
        Assert.Equal(9m, registry.GetModelInfo("openai", "gpt-5-mini")!.Pricing!.InputPerMillion);

        var reloaded = await CreateAsync(storage, time, _ => Task.FromResult(new ModelCatalogFile()));
        Assert.Equal(ModelInfoSource.Imported, reloaded.GetModelInfo("openai", "gpt-4o")!.Source);
        Assert.Equal(7, reloaded.Count);
    }

    [Fact]
    public async Task RegisterModel_SourceNotSet_IsUserAndSurvivesImportAndReload_SeedLoaderStampsSeed()
    {
        var storage = new InMemoryStorageAdapter();
        var ct = TestContext.Current.CancellationToken;

        // A catalog file whose entry has no "source" (reads as the User default) is still a Seed entry once loaded.
        var json = """{"models":[{"provider":"ollama","modelId":"catalog-vl","capabilities":{"vision":true}}]}""";
        ModelCatalogFile catalog;
        await using (var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)))
        {
            catalog = await ModelCatalogFile.ReadAsync(stream, ct);
        }

        Assert.Equal(ModelInfoSource.User, Assert.Single(catalog.Models).Source);
        var registry = await CreateAsync(storage, seed: _ => Task.FromResult(catalog));
        Assert.Equal(ModelInfoSource.Seed, registry.GetModelInfo("ollama", "catalog-vl")!.Source);

        // An application's entry without a source is its own: User, not overwritten by an import, still User after a reload.
        var mine = new ModelInfo { Provider = "openai", ModelId = "gpt-4o", Pricing = new ModelPricing { InputPerMillion = 7m, OutputPerMillion = 8m } };
        Assert.Equal(ModelInfoSource.User, mine.Source);
        await registry.RegisterModelAsync(mine, ct);
        await using (var stream = File.OpenRead(LiteLlmPriceMapTests.SamplePath))
        {
            await registry.ImportPriceMapAsync(stream, ct);
        }

        Assert.Equal((ModelInfoSource.User, 7m), (registry.GetModelInfo("openai", "gpt-4o")!.Source, registry.GetModelInfo("openai", "gpt-4o")!.Pricing!.InputPerMillion));
        var reloaded = await CreateAsync(storage, seed: _ => Task.FromResult(catalog));
        Assert.Equal(ModelInfoSource.User, reloaded.GetModelInfo("openai", "gpt-4o")!.Source);
    }

    [Fact]
    public async Task ResolvePricing_InstanceOverride_WinsOverRegistry()
    {
        var registry = await CreateAsync(new InMemoryStorageAdapter());
        var overridden = new ModelPricing { InputPerMillion = 1.1m, OutputPerMillion = 2.2m };
        var instance = new ProviderInstanceConfig
        {
            Id = "corp-openai",
            Provider = "openai",
            Pricing = new Dictionary<string, ModelPricing> { ["gpt-4o"] = overridden },
        };

        Assert.Same(overridden, registry.ResolvePricing(instance, "gpt-4o"));
        Assert.Equal(0.15m, registry.ResolvePricing(instance, "gpt-4o-mini")!.InputPerMillion);
        Assert.Null(registry.ResolvePricing(instance, "gpt-unknown"));
    }

    [Fact]
    public async Task ResolvePricing_LocalInstances_UnknownModelCostsZero()
    {
        var registry = await CreateAsync(new InMemoryStorageAdapter());
        var ollama = new ProviderInstanceConfig { Id = "ollama", Provider = "ollama" };
        var lmstudio = new ProviderInstanceConfig { Id = "lm", Provider = "openai-compatible", BaseUrl = "http://127.0.0.1:1234/v1" };
        var remote = new ProviderInstanceConfig { Id = "remote", Provider = "openai-compatible", BaseUrl = "https://example.com/v1" };

        Assert.Equal(ModelPricing.Free, registry.ResolvePricing(ollama, "some-new-model:7b"));
        Assert.Equal(ModelPricing.Free, registry.ResolvePricing(lmstudio, "whatever"));
        Assert.Null(registry.ResolvePricing(remote, "whatever"));
        Assert.Null(registry.ResolvePricing(ollama with { IsLocal = false }, "some-new-model:7b"));
    }

    [Fact]
    public async Task FindAndValidate_TriStateCapabilities()
    {
        var registry = await CreateAsync(new InMemoryStorageAdapter(), seed: _ => Task.FromResult(new ModelCatalogFile()));
        var ct = TestContext.Current.CancellationToken;
        await registry.RegisterModelsAsync(
        [
            Model("p", "yes", capabilities: [(ModelCapability.Vision, true), (ModelCapability.ToolUse, true)]),
            Model("p", "unknown-tools", capabilities: [(ModelCapability.Vision, true)]),
            Model("p", "no-vision", capabilities: [(ModelCapability.Vision, false), (ModelCapability.ToolUse, true)]),
            Model("q", "yes-too", capabilities: [(ModelCapability.Vision, true), (ModelCapability.ToolUse, true)]),
        ], ct);

        var found = await registry.FindModelsWithCapabilitiesAsync([ModelCapability.Vision, ModelCapability.ToolUse], cancellationToken: ct);
        Assert.Equal(["p/yes", "q/yes-too"], found.Select(m => m.Key));
        var foundP = await registry.FindModelsWithCapabilitiesAsync([ModelCapability.Vision, ModelCapability.ToolUse], "p", ct);
        Assert.Equal(["p/yes"], foundP.Select(m => m.Key));

        var unknown = await registry.ValidateModelCapabilitiesAsync("p", "unknown-tools", [ModelCapability.Vision, ModelCapability.ToolUse], ct);
        Assert.True(unknown.IsKnownModel);
        Assert.Equal(CapabilitySupport.Yes, unknown.Support[ModelCapability.Vision]);
        Assert.Equal(CapabilitySupport.Unknown, unknown.Support[ModelCapability.ToolUse]);
        Assert.True(unknown.IsCompatible);
        Assert.False(unknown.IsConfirmed);

        var no = await registry.ValidateModelCapabilitiesAsync("p", "no-vision", [ModelCapability.Vision], ct);
        Assert.False(no.IsCompatible);

        var missing = await registry.ValidateModelCapabilitiesAsync("p", "absent", [ModelCapability.Vision], ct);
        Assert.False(missing.IsKnownModel);
        Assert.True(missing.IsCompatible);
        Assert.Equal(CapabilitySupport.Unknown, missing.Support[ModelCapability.Vision]);
    }

    [Fact]
    public async Task GetAllModelsForUI_GivesDisplayNamesAndConfirmedCapabilities()
    {
        var registry = await CreateAsync(new InMemoryStorageAdapter());
        var ui = await registry.GetAllModelsForUIAsync(TestContext.Current.CancellationToken);

        Assert.Equal(registry.Count, ui.Count);
        var gpt4o = Assert.Single(ui, m => m.Id == "openai/gpt-4o");
        Assert.Equal("GPT-4o", gpt4o.DisplayName);
        Assert.Contains(ModelCapability.Vision, gpt4o.Capabilities);
        Assert.Contains(ModelCapability.ToolUse, gpt4o.Capabilities);
        Assert.DoesNotContain(ModelCapability.Rag, gpt4o.Capabilities);
        Assert.Equal(2.5m, gpt4o.Pricing!.InputPerMillion);
        Assert.Equal(ui.OrderBy(m => m.Provider, StringComparer.Ordinal).Select(m => m.Provider), ui.Select(m => m.Provider));
    }

    [Fact]
    public async Task Catalog_GeneratedJson_IsSortedAndRoundTrips()
    {
        var catalog = await ModelCatalogFile.ReadEmbeddedAsync(TestContext.Current.CancellationToken);
        Assert.Contains("Berri AI", catalog.Attribution, StringComparison.Ordinal);
        var sorted = catalog.Models.ToList();
        sorted.Sort(LiteLlmPriceMap.CompareByKey);
        Assert.Equal(sorted.Select(m => m.Key), catalog.Models.Select(m => m.Key));
        Assert.All(catalog.Models, m => Assert.Equal(ModelInfoSource.Seed, m.Source));
        Assert.Equal(
            ["anthropic", "deepseek", "gemini", "ollama", "openai", "openrouter"],
            catalog.Models.Select(m => m.Provider).Distinct());
        Assert.True(catalog.Models.Count(m => m.Provider == "ollama") >= 15);

        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(catalog.ToJson()));
        var again = await ModelCatalogFile.ReadAsync(stream, TestContext.Current.CancellationToken);
        Assert.Equal(catalog.ToJson(), again.ToJson());
    }

    [Fact]
    public async Task RegisterModels_ConcurrentWithReads_ReadersAlwaysSeeConsistentSnapshots()
    {
        var registry = await CreateAsync(new InMemoryStorageAdapter(), seed: _ => Task.FromResult(new ModelCatalogFile()));
        var ct = TestContext.Current.CancellationToken;
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await registry.RegisterModelAsync(Model("p" + (w % 2), $"m-{w}-{i}", 1m, 1m), ct);
            }
        }, ct)).ToArray();
        var reader = Task.Run(() =>
        {
            while (!writers.All(t => t.IsCompleted))
            {
                var p0 = registry.GetModelsForProvider("p0");
                Assert.All(p0, m => Assert.Equal("p0", m.Provider));
                _ = registry.GetModelInfo("p1", "m-1-0");
            }
        }, ct);

        await Task.WhenAll(writers);
        await reader;
        Assert.Equal(200, registry.Count);
        Assert.Equal(100, registry.GetModelsForProvider("p1").Count);
    }
}
