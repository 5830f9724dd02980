using Art.Benchmarks.Support;
using Art.Models;
using Art.Reasoning;
using Art.Testing;
using BenchmarkDotNet.Attributes;

namespace Art.Benchmarks;

/// <summary>
/// What the engine adds on top of a provider: routing, budget reservation and settlement, the lease, the event pump
/// and the observations. <see cref="AdapterOnly"/> enumerates the same scripted stream without the engine, so the
/// difference is the engine's overhead per call (and, with more chunks, per chunk). <see cref="Components"/> chooses
/// between the in-bench fakes of the engine's dependencies (the engine's own cost) and the real components
/// (<see cref="RealBenchEnvironment"/>: router, registry, cost ledger, instance gates, observations to a UI socket).
/// </summary>
[MemoryDiagnoser]
public class EngineOverheadBenchmarks
{
    private static readonly ArtPrompt Prompt = ArtPrompt.FromSystemAndUser("You are terse.", "Say hello.");
    private static readonly CallOptions Options = new() { ThreadId = BenchEnvironment.ThreadId };

    private ReasoningEngine _engine = null!;
    private ReasoningEngine _fallbackEngine = null!;
    private ScriptedProviderAdapter _adapter = null!;

    /// <summary>Answer chunks per call: one (short answers) and many (per-chunk cost dominates).</summary>
    [Params(1, 100)]
    public int Chunks { get; set; }

    /// <summary>Which implementations of the engine's dependencies are used.</summary>
    [Params(BenchComponents.Fakes, BenchComponents.Real)]
    public BenchComponents Components { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var chunks = new string[Chunks];
        Array.Fill(chunks, "token ");
        var answer = ScriptedResponse.Create().Thought("thinking").Content(chunks).Usage(120, Chunks);
        var pricing = new ModelPricing { InputPerMillion = 0.15m, OutputPerMillion = 0.6m };

        var noRetry = new ReasoningEngineOptions { MaxRetriesPerInstance = 0 };
        if (Components == BenchComponents.Real)
        {
            var env = new RealBenchEnvironment();
            _adapter = env.AddInstance("primary", answer, pricing);
            env.AddThread("primary");
            _engine = env.CreateEngine();

            var fallbackEnv = new RealBenchEnvironment();
            fallbackEnv.AddInstance("down", ScriptedResponse.Failure(Art.ProviderErrorKind.Transient), pricing);
            fallbackEnv.AddInstance("up", answer, pricing);
            fallbackEnv.AddThread("down", "up");
            _fallbackEngine = fallbackEnv.CreateEngine(noRetry);
        }
        else
        {
            var env = new BenchEnvironment();
            _adapter = env.AddInstance("primary", answer, pricing);
            env.AddThread("primary");
            _engine = env.CreateEngine();

            // Primary always fails transiently (no retry): every call records a fallback attempt and success.
            var fallbackEnv = new BenchEnvironment();
            fallbackEnv.AddInstance("down", ScriptedResponse.Failure(Art.ProviderErrorKind.Transient), pricing);
            fallbackEnv.AddInstance("up", answer, pricing);
            fallbackEnv.AddThread("down", "up");
            _fallbackEngine = fallbackEnv.CreateEngine(noRetry);
        }
    }

    [Benchmark(Baseline = true, Description = "adapter alone")]
    public async Task<int> AdapterOnly()
    {
        var count = 0;
        await foreach (var e in _adapter.StreamAsync(Prompt, Options with { Model = "bench-primary" }).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    [Benchmark(Description = "engine StreamAsync")]
    public async Task<int> EngineStream()
    {
        var count = 0;
        await foreach (var e in _engine.StreamAsync(Prompt, Options).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    [Benchmark(Description = "engine CallAsync")]
    public async Task<int> EngineCall()
    {
        var response = await _engine.CallAsync(Prompt, Options).ConfigureAwait(false);
        return response.Content.Length;
    }

    [Benchmark(Description = "engine CallAsync via fallback")]
    public async Task<int> EngineCallWithFallback()
    {
        var response = await _fallbackEngine.CallAsync(Prompt, Options).ConfigureAwait(false);
        return response.Content.Length;
    }
}

/// <summary>Which implementations of the engine's dependencies a benchmark uses.</summary>
public enum BenchComponents
{
    /// <summary>The simple in-bench implementations in <c>Support/</c>: isolates the engine's own cost.</summary>
    Fakes,

    /// <summary>The real router, registry, cost tracker, instance manager, state and observation manager.</summary>
    Real,
}
