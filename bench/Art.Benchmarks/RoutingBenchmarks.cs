using Art.Context;
using Art.Models;
using Art.Reasoning;
using Art.Storage;
using Art.Testing;
using BenchmarkDotNet.Attributes;

namespace Art.Benchmarks;

/// <summary>
/// What one <see cref="ModelRouter.SelectAsync"/> costs with a large registry: <see cref="Models"/> models spread over
/// four provider types with one configured instance each (plus the embedded catalog). The baseline routes to the
/// thread's instance without fallbacks (no registry scan); the others scan every model of every instance's provider.
/// </summary>
[MemoryDiagnoser]
public class RoutingBenchmarks
{
    private static readonly string[] Providers = ["p0", "p1", "p2", "p3"];

    private ModelRouter _router = null!;
    private RoutingRequest _explicitNoFallback = null!;
    private RoutingRequest _explicitWithFallbacks = null!;
    private RoutingRequest _cheapestText = null!;
    private RoutingRequest _cheapestVisionTools = null!;

    /// <summary>Registered models (besides the embedded catalog).</summary>
    [Params(10_000)]
    public int Models { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        var configs = Providers.Select((p, i) => new ProviderInstanceConfig
        {
            Id = "i" + i,
            Provider = p,
            BaseUrl = "https://" + p + ".bench.test",
            Model = p + "-m0",
        }).ToList();
        var instances = new ProviderInstanceManager(configs, new ProviderFactoryRegistry().Register(new ScriptedProviderFactory(null, Providers)), new ProviderInstanceManagerOptions { EnvironmentReader = _ => null });
        await instances.InitializeAsync().ConfigureAwait(false);
        var registry = new ModelRegistry(new ModelRegistryRepository(new InMemoryStorageAdapter()));
        await registry.InitializeAsync().ConfigureAwait(false);

        // Deterministic spread of prices, windows and tri-state capabilities (a third have vision, a third lack it,
        // a third are unknown; most have tools).
        var random = new Random(42);
        var models = new List<ModelInfo>(Models);
        for (var i = 0; i < Models; i++)
        {
            var capabilities = new Dictionary<ModelCapability, bool> { [ModelCapability.Text] = true };
            if (i % 3 != 2)
            {
                capabilities[ModelCapability.Vision] = i % 3 == 0;
            }

            if (i % 5 != 0)
            {
                capabilities[ModelCapability.ToolUse] = true;
            }

            models.Add(new ModelInfo
            {
                Provider = Providers[i % Providers.Length],
                ModelId = Providers[i % Providers.Length] + "-m" + (i / Providers.Length),
                ContextWindow = 8_000 * (1 + random.Next(32)),
                Pricing = new ModelPricing { InputPerMillion = random.Next(1, 2000) / 100m, OutputPerMillion = random.Next(1, 8000) / 100m },
                Capabilities = capabilities,
                Source = ModelInfoSource.User,
            });
        }

        await registry.RegisterModelsAsync(models).ConfigureAwait(false);
        _router = new ModelRouter(instances, registry);

        var explicitThread = new ThreadReasoningConfig { InstanceId = "i1" };
        _explicitNoFallback = new RoutingRequest { ThreadId = "t", Reasoning = explicitThread, RequiredCapabilities = [ModelCapability.Text], EstimatedPromptTokens = 500, MaxOutputTokens = 1000, AllowFallback = false };
        _explicitWithFallbacks = _explicitNoFallback with { AllowFallback = true };
        var open = new ThreadReasoningConfig();
        _cheapestText = new RoutingRequest { ThreadId = "t", Reasoning = open, RequiredCapabilities = [ModelCapability.Text], EstimatedPromptTokens = 500, MaxOutputTokens = 1000 };
        _cheapestVisionTools = _cheapestText with { RequiredCapabilities = [ModelCapability.Text, ModelCapability.Vision, ModelCapability.ToolUse], EstimatedPromptTokens = 60_000 };

        // Warm the registry-ready flag and prove every scenario routes.
        foreach (var request in new[] { _explicitNoFallback, _explicitWithFallbacks, _cheapestText, _cheapestVisionTools })
        {
            await _router.SelectAsync(request).ConfigureAwait(false);
        }
    }

    [Benchmark(Baseline = true, Description = "thread instance, no fallbacks")]
    public ValueTask<RouteDecision> ExplicitNoFallback() => _router.SelectAsync(_explicitNoFallback);

    [Benchmark(Description = "thread instance + fallbacks")]
    public ValueTask<RouteDecision> ExplicitWithFallbacks() => _router.SelectAsync(_explicitWithFallbacks);

    [Benchmark(Description = "cheapest fit, text")]
    public ValueTask<RouteDecision> CheapestText() => _router.SelectAsync(_cheapestText);

    [Benchmark(Description = "cheapest fit, vision+tools, 60k prompt")]
    public ValueTask<RouteDecision> CheapestVisionTools() => _router.SelectAsync(_cheapestVisionTools);
}
