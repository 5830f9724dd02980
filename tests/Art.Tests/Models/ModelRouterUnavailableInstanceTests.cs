using Art.Context;
using Art.Models;
using Art.Reasoning;
using Art.Storage;
using Art.Tests.Reasoning;

namespace Art.Tests.Models;

/// <summary>The router over a real <see cref="ProviderInstanceManager"/> in which a remote instance has no API key.</summary>
public sealed class ModelRouterUnavailableInstanceTests
{
    private const ModelCapability Text = ModelCapability.Text;
    private const ModelCapability Vision = ModelCapability.Vision;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ModelInfo M(string provider, string id, decimal? input, bool vision) => new()
    {
        Provider = provider,
        ModelId = id,
        ContextWindow = 128_000,
        Capabilities = new Dictionary<ModelCapability, bool> { [Text] = true, [Vision] = vision },
        Pricing = input is null ? null : new ModelPricing { InputPerMillion = input, OutputPerMillion = input },
        Source = ModelInfoSource.User,
    };

    private static async Task<(ModelRouter Router, ProviderInstanceManager Manager)> CreateAsync()
    {
        var factories = new ProviderFactoryRegistry()
            .Register(new FakeProviderFactory("openai") { RequiresKey = true, EnvironmentVariable = "OPENAI_API_KEY" })
            .Register(new FakeProviderFactory("ollama") { LocalByDefault = true, EnvironmentVariable = null, DefaultUrl = "http://127.0.0.1:11434" });
        var manager = new ProviderInstanceManager(
        [
            new ProviderInstanceConfig { Id = "openai", Provider = "openai", Model = "gpt-vision" },
            new ProviderInstanceConfig { Id = "local", Provider = "ollama", Model = "llama" },
        ], factories, new ProviderInstanceManagerOptions { EnvironmentReader = _ => null });
        await manager.InitializeAsync(Ct);

        var registry = new ModelRegistry(new ModelRegistryRepository(new InMemoryStorageAdapter()), _ => Task.FromResult(new ModelCatalogFile()));
        await registry.InitializeAsync(Ct);
        await registry.RegisterModelsAsync([M("openai", "gpt-vision", 0.1m, vision: true), M("ollama", "llama", null, vision: false)], Ct);
        return (new ModelRouter(manager, registry), manager);
    }

    private static RoutingRequest Request(ThreadReasoningConfig reasoning, params ModelCapability[] caps) =>
        new() { ThreadId = "t1", Reasoning = reasoning, RequiredCapabilities = caps };

    [Fact]
    public async Task Select_Automatic_SkipsKeylessInstanceWithReasonAndNeverFallsBackToIt()
    {
        var (router, manager) = await CreateAsync();
        await using var _ = manager;

        var decision = await router.SelectAsync(Request(new(), Text), Ct);

        Assert.Equal("local", decision.Primary.InstanceId);
        Assert.DoesNotContain(decision.Fallbacks, f => f.InstanceId == "openai");
        var rejected = Assert.Single(decision.Rejected, r => r.InstanceId == "openai");
        Assert.Contains("no API key", rejected.Reason, StringComparison.Ordinal);
        Assert.Contains("OPENAI_API_KEY", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Select_NothingElseFits_RoutingExceptionExplainsMissingKey()
    {
        var (router, manager) = await CreateAsync();
        await using var _ = manager;

        var ex = await Assert.ThrowsAsync<RoutingException>(async () => await router.SelectAsync(Request(new(), Vision), Ct));

        var byKey = ex.Rejected.ToDictionary(r => $"{r.InstanceId}/{r.ModelId}", r => r.Reason);
        Assert.Contains("no API key", byKey["openai/gpt-vision"], StringComparison.Ordinal);
        Assert.Contains("set the environment variable OPENAI_API_KEY", byKey["openai/gpt-vision"], StringComparison.Ordinal);
        Assert.Contains("art keys set openai", byKey["openai/gpt-vision"], StringComparison.Ordinal);
        Assert.Contains("lacks [vision]", byKey["local/llama"], StringComparison.Ordinal);
        Assert.Contains("OPENAI_API_KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Select_KeylessInstanceChosenByThread_RejectedWithReasonWhenNothingElseFits()
    {
        var (router, manager) = await CreateAsync();
        await using var _ = manager;

        var ex = await Assert.ThrowsAsync<RoutingException>(async () =>
            await router.SelectAsync(Request(new() { InstanceId = "openai" }, Vision) with { InstanceId = "openai" }, Ct));

        var rejected = Assert.Single(ex.Rejected, r => r.InstanceId == "openai");
        Assert.Contains("no API key for instance 'openai'", rejected.Reason, StringComparison.Ordinal);
    }
}
