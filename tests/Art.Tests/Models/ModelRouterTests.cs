using System.Diagnostics;
using Art.Context;
using Art.Models;
using Art.Reasoning;
using Art.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Art.Tests.Models;

public sealed class ModelRouterTests
{
    private const ModelCapability Vision = ModelCapability.Vision;
    private const ModelCapability Text = ModelCapability.Text;
    private const ModelCapability Tools = ModelCapability.ToolUse;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static readonly ProviderInstanceConfig Oai = new() { Id = "oai", Provider = "openai", Model = "gpt-big" };
    private static readonly ProviderInstanceConfig Claude = new() { Id = "claude", Provider = "anthropic", Model = "claude-x" };
    private static readonly ProviderInstanceConfig Local = new() { Id = "local", Provider = "ollama", Model = "llama-local" };
    private static readonly ProviderInstanceConfig Ds = new() { Id = "ds", Provider = "deepseek", Model = "ds-unknown" };

    private static ModelInfo M(string provider, string id, decimal? input, decimal? output, int? context, params (ModelCapability C, bool Yes)[] caps) => new()
    {
        Provider = provider,
        ModelId = id,
        ContextWindow = context,
        Capabilities = caps.Append((C: Text, Yes: true)).ToDictionary(c => c.C, c => c.Yes),
        Pricing = input is null ? null : new ModelPricing { InputPerMillion = input, OutputPerMillion = output },
        Source = ModelInfoSource.User,
    };

    private static readonly ModelInfo[] Catalog =
    [
        M("openai", "gpt-big", 2.5m, 10m, 128_000, (Vision, true), (Tools, true)),
        M("openai", "gpt-small", 0.15m, 0.6m, 128_000, (Vision, true), (Tools, true)),
        M("openai", "gpt-textonly", 0.5m, 1.5m, 16_000, (Vision, false)),
        M("anthropic", "claude-x", 3m, 15m, 200_000, (Vision, true), (Tools, true)),
        M("anthropic", "claude-old", 0.01m, 0.01m, 200_000, (Vision, true)) with { Deprecated = true },
        M("ollama", "llama-local", null, null, 8_192, (Vision, false), (Tools, true)),
        M("ollama", "llava-local", null, null, 4_096, (Vision, true)),
        M("deepseek", "ds-unknown", 0.1m, 0.2m, 64_000),
    ];

    private async Task<ModelRouter> CreateAsync(ProviderInstanceConfig[]? instances = null, IEnumerable<ModelInfo>? extra = null, ModelRouterOptions? options = null)
    {
        var registry = new ModelRegistry(new ModelRegistryRepository(new InMemoryStorageAdapter()), _ => Task.FromResult(new ModelCatalogFile()));
        await registry.InitializeAsync(TestContext.Current.CancellationToken);
        await registry.RegisterModelsAsync([.. Catalog, .. extra ?? []], TestContext.Current.CancellationToken);
        var health = new InstanceHealthTracker(_time, new CircuitBreakerOptions { FailureThreshold = 3, Cooldown = TimeSpan.FromSeconds(30) });
        return new ModelRouter(new FakeInstanceManager(instances ?? [Oai, Claude, Local, Ds]), registry, health, options);
    }

    private static RoutingRequest Request(ThreadReasoningConfig reasoning, params ModelCapability[] caps) =>
        new() { ThreadId = "t1", Reasoning = reasoning, RequiredCapabilities = caps };

    private static ValueTask<RouteDecision> Select(ModelRouter router, RoutingRequest request) =>
        router.SelectAsync(request, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Select_ThreadInstanceSatisfies_Step1()
    {
        var router = await CreateAsync();
        var decision = await Select(router, Request(new() { InstanceId = "oai" }, Vision));

        Assert.Equal(new RouteTarget("oai", "openai", "gpt-big"), decision.Primary with { Model = null });
        Assert.Equal("thread instance 'oai' (model gpt-big) satisfies [vision]", decision.Why);
        Assert.NotNull(decision.Primary.Model);
    }

    [Fact]
    public async Task Select_CallInstanceAndModel_WinOverThread()
    {
        var router = await CreateAsync();
        var decision = await Select(router, Request(new() { InstanceId = "oai" }, Vision) with { InstanceId = "claude" });
        Assert.Equal("claude/claude-x", decision.Primary.ToString());
        Assert.StartsWith("call instance 'claude' (model claude-x) satisfies [vision]", decision.Why, StringComparison.Ordinal);

        var model = await Select(router, Request(new() { InstanceId = "oai" }, Vision) with { ModelId = "gpt-small" });
        Assert.Equal("oai/gpt-small", model.Primary.ToString());
        Assert.StartsWith("call model gpt-small at thread instance 'oai'", model.Why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Select_ThreadModel_OverridesInstanceModel()
    {
        var router = await CreateAsync();
        var decision = await Select(router, Request(new() { InstanceId = "oai", Model = "gpt-small" }, Vision));
        Assert.Equal("oai/gpt-small", decision.Primary.ToString());
        Assert.Equal("thread instance 'oai' (model gpt-small) satisfies [vision]", decision.Why);
    }

    [Fact]
    public async Task Select_LegacyProvider_ResolvesToFirstInstanceOfProvider()
    {
        var router = await CreateAsync();
        var decision = await Select(router, Request(new() { Provider = "anthropic" }, Text));
        Assert.Equal("claude/claude-x", decision.Primary.ToString());
        Assert.StartsWith("thread instance 'claude'", decision.Why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Select_ThreadModelDefinitelyLacksCapability_FallsToPreferredByProvider_Step2()
    {
        var router = await CreateAsync();
        var reasoning = new ThreadReasoningConfig
        {
            InstanceId = "local",
            ModelPreferences = new() { PreferredModels = new Dictionary<ModelCapability, ModelTarget> { [Vision] = new() { Provider = "anthropic", ModelId = "claude-x" } } },
        };

        var decision = await Select(router, Request(reasoning, Text, Vision));

        Assert.Equal("claude/claude-x", decision.Primary.ToString());
        Assert.Equal("preferred model for vision: instance 'claude' (model claude-x)", decision.Why);
        var rejected = Assert.Single(decision.Rejected);
        Assert.Equal(("local", "llama-local"), (rejected.InstanceId, rejected.ModelId));
        Assert.Contains("lacks [vision]", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Select_PreferredByInstance_TextPreferenceIsLookedUpLast()
    {
        var router = await CreateAsync();
        var reasoning = new ThreadReasoningConfig
        {
            ModelPreferences = new()
            {
                PreferredModels = new Dictionary<ModelCapability, ModelTarget>
                {
                    [Text] = new() { InstanceId = "ds" },
                    [Vision] = new() { InstanceId = "oai", ModelId = "gpt-small" },
                },
            },
        };

        var vision = await Select(router, Request(reasoning, Text, Vision));
        Assert.Equal("oai/gpt-small", vision.Primary.ToString());
        Assert.Equal("preferred model for vision: instance 'oai' (model gpt-small)", vision.Why);

        var text = await Select(router, Request(reasoning, Text));
        Assert.Equal("ds/ds-unknown", text.Primary.ToString());
        Assert.Equal("preferred model for text: instance 'ds' (model ds-unknown)", text.Why);
    }

    [Fact]
    public async Task Select_PreferredTargetNamingNothing_IsRejectedAndNextStepDecides()
    {
        var router = await CreateAsync();
        var reasoning = new ThreadReasoningConfig
        {
            ModelPreferences = new()
            {
                DefaultInstanceId = "oai",
                PreferredModels = new Dictionary<ModelCapability, ModelTarget> { [Vision] = new() { ModelId = "claude-x" } },
            },
        };

        var decision = await Select(router, Request(reasoning, Vision));
        Assert.Equal("default instance 'oai' (model gpt-big)", decision.Why);
        Assert.Contains(decision.Rejected, r => r.Reason.Contains("neither an instance nor a provider", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Select_DefaultInstance_Step3()
    {
        var router = await CreateAsync();
        var decision = await Select(router, Request(new() { ModelPreferences = new() { DefaultInstanceId = "claude" } }, Vision));
        Assert.Equal("claude/claude-x", decision.Primary.ToString());
        Assert.Equal("default instance 'claude' (model claude-x)", decision.Why);
    }

    [Fact]
    public async Task Select_UnknownCallInstance_ThrowsUnknownInstanceListingConfigured()
    {
        var router = await CreateAsync();
        var error = await Assert.ThrowsAsync<UnknownInstanceException>(async () =>
            await Select(router, Request(new() { InstanceId = "oai", ModelPreferences = new() { DefaultInstanceId = "oai" } }, Text) with { InstanceId = "ghost" }));
        Assert.Equal("ghost", error.InstanceId);
        Assert.Contains("oai, claude, local, ds", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Select_UnknownThreadInstance_ThrowsUnknownInstanceInsteadOfRoutingElsewhere()
    {
        var router = await CreateAsync();
        var error = await Assert.ThrowsAsync<UnknownInstanceException>(async () =>
            await Select(router, Request(new() { InstanceId = "ghost", ModelPreferences = new() { DefaultInstanceId = "oai" } }, Text)));
        Assert.Equal("ghost", error.InstanceId);
        Assert.Contains("oai, claude, local, ds", error.Message, StringComparison.Ordinal);

        // A known call instance does not excuse the thread's unknown one: the thread configuration is broken either way.
        await Assert.ThrowsAsync<UnknownInstanceException>(async () =>
            await Select(router, Request(new() { InstanceId = "ghost" }, Text) with { InstanceId = "oai" }));
    }

    [Fact]
    public async Task Select_UnknownDefaultInstance_IsRejectedWithReason_NextStepRoutes()
    {
        var router = await CreateAsync();
        var decision = await Select(router, Request(new() { ModelPreferences = new() { DefaultInstanceId = "ghost" } }, Text));
        Assert.Equal("local/llama-local", decision.Primary.ToString());
        var ghost = Assert.Single(decision.Rejected);
        Assert.Equal("ghost", ghost.InstanceId);
        Assert.Contains("unknown instance 'ghost'", ghost.Reason, StringComparison.Ordinal);
        Assert.Contains("oai, claude, local, ds", ghost.Reason, StringComparison.Ordinal);
    }

    private static ModelInfo Catalogued(ModelInfo model) => model with { Source = ModelInfoSource.Seed };

    [Fact]
    public async Task Select_LocalInstance_NeverRoutedToCatalogModelsThatAreNotInstalled()
    {
        // Free, confirmed catalog entries of the local provider: on a remote provider they would win; locally they may not be pulled.
        var router = await CreateAsync(
            [Local],
            [Catalogued(M("ollama", "seed-vl", null, null, 32_000, (Vision, true))), Catalogued(M("ollama", "seed-text", null, null, 32_000, (Vision, false), (Tools, true))), M("ollama", "imported-vl", null, null, 32_000, (Vision, true)) with { Source = ModelInfoSource.Imported }]);
        // imported-vl would win the tie on model id if catalog entries counted; llava-local is registered (User).
        var vision = await Select(router, Request(new(), Vision));
        Assert.Equal("local/llava-local", vision.Primary.ToString());
        Assert.DoesNotContain(vision.Fallbacks, f => f.ModelId is "seed-vl" or "seed-text" or "imported-vl");

        var text = await Select(router, Request(new(), Text, Tools));
        Assert.Equal("local/llama-local", text.Primary.ToString());
        Assert.DoesNotContain(text.Fallbacks, f => f.ModelId is "seed-vl" or "seed-text" or "imported-vl");
    }

    [Fact]
    public async Task Select_LocalInstance_VisionWithTextOnlyModel_ThrowsExplainingCatalogModelsWereSkipped()
    {
        // llava-local demoted to a catalog entry too: the configured text-only model is all the instance is known to have.
        var router = await CreateAsync([Local], [Catalogued(Catalog.Single(m => m.ModelId == "llava-local")), Catalogued(M("ollama", "seed-vl", null, null, 32_000, (Vision, true)))]);
        var error = await Assert.ThrowsAsync<RoutingException>(async () => await Select(router, Request(new(), Vision)));

        var byKey = error.Rejected.ToDictionary(r => r.InstanceId + "/" + r.ModelId, r => r.Reason);
        Assert.Equal("model lacks [vision] according to the registry", byKey["local/llama-local"]);
        Assert.DoesNotContain("local/seed-vl", byKey.Keys);
        Assert.Contains("2 catalog model(s) of provider 'ollama' not considered", byKey["local/"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Select_LocalInstanceWithoutModel_CatalogOnlyAsLastResortWhenPinned_NeverAutomatically()
    {
        var bare = new ProviderInstanceConfig { Id = "bare", Provider = "ollama" };
        var router = await CreateAsync([Oai, bare], [.. Catalog.Where(m => m.Provider == "ollama").Select(Catalogued)]);

        // Not pinned: the cheapest-fit step and the fallbacks never offer the bare local instance a catalog model.
        var automatic = await Select(router, Request(new(), Text));
        Assert.Equal("oai/gpt-small", automatic.Primary.ToString());
        Assert.DoesNotContain(automatic.Fallbacks, f => f.InstanceId == "bare");

        // Pinned (the zero-configuration case: the only instance, no model): the catalog's cheapest fit is the last resort.
        var pinned = await Select(router, Request(new() { ModelPreferences = new() { DefaultInstanceId = "bare" } }, Text));
        Assert.Equal("bare/llama-local", pinned.Primary.ToString());

        // A model the application registered (or discovery found) wins over the catalog, even where the catalog sorts first.
        var withModel = await CreateAsync([Oai, bare], [.. Catalog.Where(m => m.Provider == "ollama").Select(Catalogued), M("ollama", "mine", null, null, 8_192)]);
        Assert.Equal("bare/mine", (await Select(withModel, Request(new() { ModelPreferences = new() { DefaultInstanceId = "bare" } }, Text))).Primary.ToString());
    }

    [Fact]
    public async Task Select_LocalInstance_DiscoveredOrUserModelIsCandidate_RemoteStillUsesCatalog()
    {
        var router = await CreateAsync([Oai, Local], [Catalogued(M("openai", "gpt-seed", 0.01m, 0.02m, 128_000, (Vision, true))), Catalogued(M("ollama", "seed-vl", null, null, 32_000, (Vision, true)))]);

        // Remote: a catalog entry is a candidate as before (the cheapest vision model of openai); llava-local (User) is free.
        var vision = await Select(router, Request(new(), Vision));
        Assert.Equal("local/llava-local", vision.Primary.ToString());
        Assert.Contains(vision.Fallbacks, f => f.ToString() == "oai/gpt-seed");
        Assert.DoesNotContain(vision.Fallbacks, f => f.ModelId == "seed-vl");

        var remoteOnly = await CreateAsync([Oai], [Catalogued(M("openai", "gpt-seed", 0.01m, 0.02m, 128_000, (Vision, true)))]);
        Assert.Equal("oai/gpt-seed", (await Select(remoteOnly, Request(new(), Vision))).Primary.ToString());
    }

    [Fact]
    public async Task Select_NothingExplicit_CheapestFittingCandidate_Step4_LocalIsFree()
    {
        var router = await CreateAsync();
        var decision = await Select(router, Request(new(), Vision));
        Assert.Equal("local/llava-local", decision.Primary.ToString());
        Assert.Equal("cheapest fitting candidate at $0.00/M input, $0.00/M output: instance 'local' (model llava-local)", decision.Why);
    }

    [Fact]
    public async Task Select_PreferCheaperOff_ConfigurationOrderDecides()
    {
        var router = await CreateAsync();
        var decision = await Select(router, Request(new() { ModelPreferences = new() { PreferCheaperModels = false } }, Vision));
        Assert.Equal("oai/gpt-big", decision.Primary.ToString());
        Assert.Equal("first fitting candidate in configuration order: instance 'oai' (model gpt-big)", decision.Why);
    }

    [Fact]
    public async Task Select_PromptTooLargeForCheapest_ContextWindowFitPicksNext()
    {
        var router = await CreateAsync();
        var decision = await Select(router, Request(new(), Vision) with { EstimatedPromptTokens = 3_500, MaxOutputTokens = 1_000 });
        Assert.Equal("oai/gpt-small", decision.Primary.ToString());
        Assert.Equal("cheapest fitting candidate at $0.15/M input, $0.60/M output: instance 'oai' (model gpt-small)", decision.Why);
        Assert.DoesNotContain(decision.Fallbacks, f => f.ModelId == "llava-local");
        Assert.DoesNotContain(decision.Fallbacks, f => f.ModelId == "claude-old");
    }

    [Fact]
    public async Task Select_UnknownCapability_RankedBelowConfirmed_ButPassesWhenExplicit()
    {
        var router = await CreateAsync();
        // ds-unknown (0.1) is cheaper than gpt-small (0.15) but its vision support is unknown.
        var automatic = await Select(router, Request(new(), Vision) with { EstimatedPromptTokens = 6_000 });
        Assert.Equal("oai/gpt-small", automatic.Primary.ToString());
        var order = automatic.Fallbacks.Select(f => f.ToString()).ToList();
        Assert.True(order.IndexOf("ds/ds-unknown") > order.IndexOf("claude/claude-x"), string.Join(" ", order));

        var explicitChoice = await Select(router, Request(new() { InstanceId = "ds" }, Vision));
        Assert.Equal("ds/ds-unknown", explicitChoice.Primary.ToString());
        Assert.Equal("thread instance 'ds' (model ds-unknown) satisfies [vision] (unknown to the registry: [vision])", explicitChoice.Why);
    }

    [Fact]
    public async Task Select_InstanceWithoutModel_UsesRegistryCheapestFittingModelOfProvider()
    {
        var bare = new ProviderInstanceConfig { Id = "oai2", Provider = "openai" };
        var router = await CreateAsync([bare, Claude]);
        var decision = await Select(router, Request(new() { InstanceId = "oai2" }, Vision));
        Assert.Equal("oai2/gpt-small", decision.Primary.ToString());
    }

    [Fact]
    public async Task Select_InstancePriceOverride_ChangesCheapest()
    {
        var cheapClaude = Claude with { Pricing = new Dictionary<string, ModelPricing> { ["claude-x"] = new() { InputPerMillion = 0.01m, OutputPerMillion = 0.02m } } };
        var router = await CreateAsync([Oai, cheapClaude, Local, Ds]);
        var decision = await Select(router, Request(new(), Vision) with { EstimatedPromptTokens = 6_000 });
        Assert.Equal("claude/claude-x", decision.Primary.ToString());
        Assert.Equal("cheapest fitting candidate at $0.01/M input, $0.02/M output: instance 'claude' (model claude-x)", decision.Why);
    }

    [Fact]
    public async Task Select_MinContextWindow_RequiresKnownLargerWindow()
    {
        var router = await CreateAsync();
        var decision = await Select(router, Request(new() { InstanceId = "oai" }, Text) with { MinContextWindow = 128_000 });
        Assert.Equal("claude/claude-x", decision.Primary.ToString());
        Assert.Contains(decision.Rejected, r => r.InstanceId == "oai" && r.ModelId == "gpt-big" && r.Reason.Contains("not above the required 128000", StringComparison.Ordinal));
        Assert.All(decision.Fallbacks, f => Assert.True(f.Model?.ContextWindow > 128_000, f.ToString()));
    }

    [Fact]
    public async Task Select_Fallbacks_ListedInstancesFirstThenCrossProviderByCost()
    {
        var router = await CreateAsync();
        var reasoning = new ThreadReasoningConfig { InstanceId = "oai", ModelPreferences = new() { FallbackInstances = ["local", "claude"] } };
        var decision = await Select(router, Request(reasoning, Text) with { EstimatedPromptTokens = 1_000 });

        Assert.Equal("oai/gpt-big", decision.Primary.ToString());
        var fallbacks = decision.Fallbacks.Select(f => f.ToString()).ToList();
        Assert.Equal(["local/llama-local", "claude/claude-x"], fallbacks.Take(2));
        // Then by cost: the free local vision model, gpt-small, gpt-textonly; unknown-capability ds last (Text is confirmed
        // for every model here, so ds ranks by price: 0.1 < 0.15).
        Assert.Equal(["local/llava-local", "ds/ds-unknown", "oai/gpt-small", "oai/gpt-textonly"], fallbacks.Skip(2));
        Assert.Equal(fallbacks.Count, fallbacks.Distinct().Count());
    }

    [Fact]
    public async Task Select_CrossProviderFallbackOff_OnlyListedInstances_FilteredByCapability()
    {
        var router = await CreateAsync();
        var reasoning = new ThreadReasoningConfig
        {
            InstanceId = "oai",
            ModelPreferences = new() { FallbackInstances = ["local", "claude", "ghost"], AllowCrossProviderFallback = false },
        };

        var decision = await Select(router, Request(reasoning, Vision));

        Assert.Equal(["claude/claude-x"], decision.Fallbacks.Select(f => f.ToString()));
        Assert.Contains(decision.Rejected, r => r.InstanceId == "local" && r.Reason.Contains("lacks [vision]", StringComparison.Ordinal));
        Assert.Contains(decision.Rejected, r => r.InstanceId == "ghost" && r.Reason.Contains("unknown instance", StringComparison.Ordinal));

        var none = await Select(router, Request(reasoning, Vision) with { AllowFallback = false });
        Assert.Empty(none.Fallbacks);
    }

    [Fact]
    public async Task Select_Circuit_OpenSkipped_HalfOpenProbe_SuccessCloses_FailureReopens()
    {
        var router = await CreateAsync();
        var request = Request(new() { InstanceId = "oai" }, Vision) with { EstimatedPromptTokens = 6_000 };
        for (var i = 0; i < 3; i++)
        {
            router.ReportOutcome("oai", AttemptOutcome.TransientFailure, ProviderErrorKind.Transient);
        }

        Assert.False(router.IsAvailable("oai"));
        var whileOpen = await Select(router, request);
        Assert.Equal("claude/claude-x", whileOpen.Primary.ToString());
        Assert.Contains(whileOpen.Rejected, r => r.InstanceId == "oai" && r.Reason.StartsWith("circuit open", StringComparison.Ordinal));
        Assert.DoesNotContain(whileOpen.Fallbacks, f => f.InstanceId == "oai");

        _time.Advance(TimeSpan.FromSeconds(30));
        var probe = await Select(router, request);
        Assert.Equal("oai/gpt-big", probe.Primary.ToString());

        // The probe is in flight: a concurrent call goes elsewhere.
        var concurrent = await Select(router, request);
        Assert.Equal("claude/claude-x", concurrent.Primary.ToString());
        Assert.Contains(concurrent.Rejected, r => r.InstanceId == "oai" && r.Reason.Contains("probe", StringComparison.Ordinal));

        router.ReportOutcome("oai", AttemptOutcome.TransientFailure, ProviderErrorKind.Transient);
        Assert.False(router.IsAvailable("oai"));
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("oai/gpt-big", (await Select(router, request)).Primary.ToString());
        router.ReportOutcome("oai", AttemptOutcome.Success);
        Assert.Equal("oai/gpt-big", (await Select(router, request)).Primary.ToString());
        Assert.Equal("oai/gpt-big", (await Select(router, request)).Primary.ToString());
    }

    [Fact]
    public async Task Select_AuthError_OpensCircuitAtOnce()
    {
        var router = await CreateAsync();
        router.ReportOutcome("claude", AttemptOutcome.HardFailure, ProviderErrorKind.Auth);
        var decision = await Select(router, Request(new() { InstanceId = "claude" }, Text));
        Assert.NotEqual("claude", decision.Primary.InstanceId);
    }

    [Fact]
    public async Task Select_NothingFits_RoutingExceptionListsEveryCandidateWithReason()
    {
        var router = await CreateAsync();
        router.ReportOutcome("ds", AttemptOutcome.HardFailure, ProviderErrorKind.QuotaExceeded);
        var request = Request(new() { InstanceId = "local", ModelPreferences = new() { DefaultInstanceId = "nowhere" } }, Vision) with { EstimatedPromptTokens = 250_000 };

        var ex = await Assert.ThrowsAsync<RoutingException>(async () => await Select(router, request));

        var byKey = ex.Rejected.ToDictionary(r => $"{r.InstanceId}/{r.ModelId}", r => r.Reason);
        Assert.Contains("lacks [vision]", byKey["local/llama-local"], StringComparison.Ordinal);
        Assert.Contains("unknown instance 'nowhere'", byKey["nowhere/"], StringComparison.Ordinal);
        Assert.Contains("too small", byKey["oai/gpt-big"], StringComparison.Ordinal);
        Assert.Contains("too small", byKey["oai/gpt-small"], StringComparison.Ordinal);
        Assert.Contains("lacks [vision]", byKey["oai/gpt-textonly"], StringComparison.Ordinal);
        Assert.Contains("too small", byKey["local/llava-local"], StringComparison.Ordinal);
        Assert.StartsWith("circuit open", byKey["ds/ds-unknown"], StringComparison.Ordinal);
        Assert.Contains("too small", byKey["claude/claude-x"], StringComparison.Ordinal);
        // Deprecated models are never automatic candidates, so they are not listed.
        Assert.DoesNotContain("claude/claude-old", byKey.Keys);
        Assert.Equal(8, ex.Rejected.Count); // nowhere, 2 local, 3 oai, claude-x, ds
        Assert.Contains("local/llama-local", ex.Message, StringComparison.Ordinal);
        Assert.Contains("needs [vision], ~250000 tokens", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Select_NoInstances_RoutingException()
    {
        var router = await CreateAsync([]);
        var ex = await Assert.ThrowsAsync<RoutingException>(async () => await Select(router, Request(new(), Text)));
        Assert.Empty(ex.Rejected);
    }

    [Fact]
    public async Task Select_TenThousandModels_RoutesToCheapestConfirmedFit()
    {
        var many = new List<ModelInfo>(10_000);
        for (var i = 0; i < 10_000; i++)
        {
            var vision = i % 3 == 0;
            many.Add(M("openai", $"bulk-{i:D5}", 1m + (i % 997 / 100m), 2m, i % 2 == 0 ? 32_000 : 4_000, (Vision, vision)));
        }

        many.Add(M("openai", "bulk-best", 0.05m, 0.1m, 32_000, (Vision, true)));
        many.Add(M("openai", "bulk-too-small", 0.01m, 0.01m, 4_000, (Vision, true)));
        var router = await CreateAsync([new ProviderInstanceConfig { Id = "oai", Provider = "openai" }], many);
        var request = Request(new(), Vision) with { EstimatedPromptTokens = 5_000, MaxOutputTokens = 1_000 };

        await Select(router, request); // warm-up
        var watch = Stopwatch.StartNew();
        RouteDecision decision = null!;
        for (var i = 0; i < 10; i++)
        {
            decision = await Select(router, request);
        }

        watch.Stop();
        Assert.Equal("oai/bulk-best", decision.Primary.ToString());
        Assert.Equal(8, decision.Fallbacks.Count);
        Assert.All(decision.Fallbacks, f => Assert.Equal(CapabilitySupport.Yes, f.Model!.Supports(Vision)));
        // Loose bound (2-core CI shared by several builds): ten decisions over 10,000 models well under 10 s.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"10 routes took {watch.Elapsed}");
    }
}
