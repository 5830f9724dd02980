using Art.Context;
using Art.Models;
using Art.Reasoning;
using Art.Testing;

namespace Art.Tests.Integration;

/// <summary>
/// The half-open probe the router hands to the primary must come back whatever happens to the call: a request error
/// that says nothing about the instance, a budget refusal before sending, an abort. Otherwise the instance stays
/// unavailable until the probe timeout (2 minutes by default) although nothing is wrong with it.
/// </summary>
public sealed class CircuitProbeIntegrationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ArtPrompt Prompt => ArtPrompt.FromUser("hello");

    /// <summary>Opens cloud-a's circuit with an auth error and waits out the cooldown: the next call takes the probe.</summary>
    private static async Task<ArtCoreFixture> HalfOpenAsync(CostPreferences? costs = null)
    {
        var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        await f.CreateThreadAsync("t", new ThreadReasoningConfig
        {
            InstanceId = "cloud-a",
            CostPreferences = costs,
            Parameters = new ModelParameters { MaxOutputTokens = 1000 },
            ModelPreferences = new ModelPreferences { DefaultInstanceId = "cloud-b", FallbackInstances = ["cloud-b"], AllowCrossProviderFallback = false },
        }, Ct);
        f.Adapter("cloud-a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.Auth));
        f.Adapter("cloud-b").DefaultResponse = ScriptedResponse.Text("from b");
        Assert.Equal("cloud-b", (await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct)).InstanceId);
        f.FakeTime!.Advance(f.Health.Options.Cooldown);
        Assert.Equal(CircuitState.HalfOpen, f.Health.GetState("cloud-a"));
        return f;
    }

    [Theory]
    [InlineData(ProviderErrorKind.ContentFilter)]
    [InlineData(ProviderErrorKind.BadRequest)]
    public async Task CallAsync_ProbeFailsWithRequestError_ProbeIsReturnedAndNextCallProbesAgain(ProviderErrorKind kind)
    {
        await using var f = await HalfOpenAsync();
        var a = f.Adapter("cloud-a").Enqueue(ScriptedResponse.Failure(kind), ScriptedResponse.Text("healthy"));

        var error = await Assert.ThrowsAsync<ProviderException>(() => f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct));
        Assert.Equal(kind, error.Kind);

        Assert.True(f.Router.IsAvailable("cloud-a"), "the probe was not given back");
        var next = await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);
        Assert.Equal(("cloud-a", "healthy"), (next.InstanceId, next.Content));
        Assert.Equal(CircuitState.Closed, f.Health.GetState("cloud-a"));
        Assert.Equal(3, a.Requests.Count);
    }

    [Fact]
    public async Task CallAsync_PrimaryRefusedByBudgetWhileProbing_ProbeIsReturned()
    {
        await using var f = await HalfOpenAsync(new CostPreferences { MaxCostPerCall = 0.01m });
        var a = f.Adapter("cloud-a").Enqueue(ScriptedResponse.Text("healthy"));

        // 10,000 output tokens at $2/M cannot fit 0.01 USD: refused before anything is sent.
        var big = new CallOptions { ThreadId = "t", Parameters = new ModelParameters { MaxOutputTokens = 10_000 } };
        await Assert.ThrowsAsync<BudgetExceededException>(() => f.Engine.CallAsync(Prompt, big, Ct));
        Assert.Single(a.Requests);

        Assert.True(f.Router.IsAvailable("cloud-a"), "the probe was not given back");
        var next = await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);
        Assert.Equal("cloud-a", next.InstanceId);
        Assert.Equal(CircuitState.Closed, f.Health.GetState("cloud-a"));
    }

    [Fact]
    public async Task AbortAsync_DuringProbe_ProbeIsReturned()
    {
        await using var f = await HalfOpenAsync();
        var a = f.Adapter("cloud-a").Enqueue(ScriptedResponse.Hang(), ScriptedResponse.Text("healthy"));

        var probe = f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t", RequestId = "probe" }, Ct);
        using (var timeout = new CancellationTokenSource(Wait))
        {
            while (a.ActiveStreams == 0)
            {
                await Task.Delay(10, timeout.Token);
            }
        }

        Assert.True(await f.Engine.AbortAsync("probe"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => probe.WaitAsync(Wait, Ct));

        Assert.True(f.Router.IsAvailable("cloud-a"), "the probe was not given back");
        var next = await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);
        Assert.Equal(("cloud-a", "healthy"), (next.InstanceId, next.Content));
    }

    [Fact]
    public async Task StreamAsync_ConsumerStopsReadingDuringProbe_ProbeIsReturned()
    {
        await using var f = await HalfOpenAsync();
        var a = f.Adapter("cloud-a").Enqueue(ScriptedResponse.Text("first", "second"), ScriptedResponse.Text("healthy"));

        await foreach (var e in f.Engine.StreamAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct))
        {
            if (e is ContentDelta)
            {
                break;
            }
        }

        Assert.True(f.Router.IsAvailable("cloud-a"), "the probe was not given back");
        var next = await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);
        Assert.Equal(("cloud-a", "healthy"), (next.InstanceId, next.Content));
        Assert.Equal(0m, (await f.Costs.GetThreadUsageAsync("t", Ct)).ReservedCost);
    }
}
