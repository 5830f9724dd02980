using Art.Benchmarks.Support;
using Art.Models;
using Art.Reasoning;
using Art.Testing;
using BenchmarkDotNet.Attributes;

namespace Art.Benchmarks;

/// <summary>
/// What the engine adds on top of a provider: routing, budget reservation and settlement, the lease, the event pump
/// and the observations. <see cref="AdapterOnly"/> enumerates the same scripted stream without the engine, so the
/// difference is the engine's overhead per call (and, with more chunks, per chunk).
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

    [GlobalSetup]
    public void Setup()
    {
        var chunks = new string[Chunks];
        Array.Fill(chunks, "token ");
        var answer = ScriptedResponse.Create().Thought("thinking").Content(chunks).Usage(120, Chunks);
        var pricing = new ModelPricing { InputPerMillion = 0.15m, OutputPerMillion = 0.6m };

        var env = new BenchEnvironment();
        _adapter = env.AddInstance("primary", answer, pricing);
        env.AddThread("primary");
        _engine = env.CreateEngine();

        // Primary always fails transiently (no retry): every call records a fallback attempt and success.
        var fallbackEnv = new BenchEnvironment();
        fallbackEnv.AddInstance("down", ScriptedResponse.Failure(Art.ProviderErrorKind.Transient), pricing);
        fallbackEnv.AddInstance("up", answer, pricing);
        fallbackEnv.AddThread("down", "up");
        _fallbackEngine = fallbackEnv.CreateEngine(new ReasoningEngineOptions { MaxRetriesPerInstance = 0 });
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
