using Art.Context;
using Art.Models;
using Art.Reasoning;
using Art.Testing;

namespace Art.Benchmarks.Support;

/// <summary>
/// Wires a <see cref="ReasoningEngine"/> to scripted instances and the simple in-bench implementations of its
/// dependencies. To measure the real components, replace the constructor arguments of <see cref="CreateEngine"/>
/// (e.g. the real ModelRouter, CostTrackingService, ProviderInstanceManager with the scripted factory) and keep the
/// benchmarks unchanged.
/// </summary>
public sealed class BenchEnvironment
{
    public const string ThreadId = "bench-thread";

    public BenchEnvironment()
    {
        Factory = new ScriptedProviderFactory();
    }

    public ScriptedProviderFactory Factory { get; }

    public BenchInstanceManager Instances { get; } = new();

    public BenchStateManager State { get; } = new();

    public BenchCostTracker Costs { get; } = new();

    public BenchObservationManager Observations { get; } = new();

    public BenchRegistry Registry { get; } = new();

    /// <summary>Adds a scripted instance whose every request is answered by <paramref name="response"/>.</summary>
    public ScriptedProviderAdapter AddInstance(string id, ScriptedResponse response, ModelPricing? pricing = null)
    {
        var adapter = Factory.For(id);
        adapter.DefaultResponse = response;
        var model = "bench-" + id;
        Instances.Add(
            new ProviderInstanceConfig
            {
                Id = id,
                Provider = "scripted",
                Model = model,
                Pricing = pricing is null ? null : new Dictionary<string, ModelPricing> { [model] = pricing },
            },
            adapter);
        return adapter;
    }

    /// <summary>Creates the thread; the router sends it to <paramref name="instanceId"/>, then to the fallbacks in order.</summary>
    public void AddThread(string instanceId, params string[] fallbacks) =>
        State.Set(ThreadId, new ThreadConfig
        {
            Reasoning = new ThreadReasoningConfig
            {
                InstanceId = instanceId,
                ModelPreferences = new ModelPreferences { FallbackInstances = fallbacks },
                CostPreferences = new CostPreferences { MaxCostPerThread = 1_000_000m },
            },
        });

    public ReasoningEngine CreateEngine(ReasoningEngineOptions? options = null) =>
        new(State, new BenchRouter(Instances), Registry, Costs, Instances, Observations, options ?? new ReasoningEngineOptions { BaseBackoff = TimeSpan.Zero, MaxBackoff = TimeSpan.Zero });
}
