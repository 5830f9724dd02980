using Art.Context;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Testing;

namespace Art.Tests.Integration;

/// <summary>Seams between the engine and the real router, registry and clock that the unit tests cover with fakes.</summary>
public sealed class EngineEdgeIntegrationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ArtPrompt Prompt => ArtPrompt.FromUser("hello");

    [Fact]
    public async Task CallAsync_ContextLengthWithUnknownFallbackWindow_RouterIsAskedAgainForALargerWindow()
    {
        // cloud-x serves a model the registry does not know (window unknown).
        var instances = ArtCoreFixture.DefaultInstances.Append(new ProviderInstanceConfig { Id = "cloud-x", Provider = "gamma", BaseUrl = "https://x.scripted.test", Model = "mystery" }).ToList();
        await using var f = await ArtCoreFixture.CreateAsync(new ArtCoreSetup { Instances = instances }, Ct);
        await f.CreateThreadAsync("t", new ThreadReasoningConfig
        {
            InstanceId = "cloud-a",
            ModelPreferences = new ModelPreferences { FallbackInstances = ["cloud-x"], AllowCrossProviderFallback = false },
        }, Ct);
        f.Adapter("cloud-a").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.ContextLengthExceeded));
        f.Adapter("cloud-c").Enqueue(ScriptedResponse.Text("bigger window"));
        using var events = f.RecordModelEvents("t");

        var response = await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);

        // Asked again with "window above 16,000": the cheapest known larger window is gamma-mini (32k) at cloud-c.
        Assert.Equal(("cloud-c", "gamma-mini", "bigger window"), (response.InstanceId, response.ModelId, response.Content));
        Assert.Empty(f.Adapter("cloud-x").Requests);
        var attempt = Assert.Single(events.OfType(ModelEventType.ModelFallbackAttempt));
        Assert.Equal(("fallback_larger_context", "cloud-c"), (attempt.Content.GetProperty("action").GetString(), attempt.InstanceId));
    }

    [Fact]
    public async Task CallAsync_FirstTokenTimeoutOnTheClock_CountsAsTransientAndFallsBack()
    {
        await using var f = await ArtCoreFixture.CreateAsync(new ArtCoreSetup
        {
            Engine = new ReasoningEngineOptions { MaxRetriesPerInstance = 0, FirstTokenTimeout = TimeSpan.FromSeconds(45) },
        }, Ct);
        await f.CreateThreadAsync("t", new ThreadReasoningConfig
        {
            InstanceId = "cloud-a",
            ModelPreferences = new ModelPreferences { FallbackInstances = ["cloud-b"], AllowCrossProviderFallback = false },
        }, Ct);
        var a = f.Adapter("cloud-a").Enqueue(ScriptedResponse.Hang());
        f.Adapter("cloud-b").Enqueue(ScriptedResponse.Text("in time"));

        var call = f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);
        await f.Signals!.WaitForTimerAsync(TimeSpan.FromSeconds(45), Wait);
        Assert.False(call.IsCompleted);
        f.FakeTime!.Advance(TimeSpan.FromSeconds(45));

        var response = await call.WaitAsync(Wait, Ct);
        Assert.Equal(("cloud-b", "in time"), (response.InstanceId, response.Content));
        Assert.Equal(0, a.ActiveStreams);
        var attempt = Assert.Single(await f.ObservationsAsync("t", ObservationType.ModelFallbackAttempt));
        Assert.Equal("transient", attempt.Content.GetProperty("failed").GetProperty("errorKind").GetString());
        Assert.Contains("no first event within 45 s", attempt.Content.GetProperty("failed").GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallAsync_ThoughtsOfFailedAttempt_AreDiscardedAndOnlyTheAnsweringAttemptsRemain()
    {
        await using var f = await ArtCoreFixture.CreateAsync(new ArtCoreSetup { Engine = new ReasoningEngineOptions { MaxRetriesPerInstance = 0 } }, Ct);
        await f.CreateThreadAsync("t", new ThreadReasoningConfig
        {
            InstanceId = "cloud-a",
            ModelPreferences = new ModelPreferences { FallbackInstances = ["cloud-b"], AllowCrossProviderFallback = false },
        }, Ct);
        f.Adapter("cloud-a").Enqueue(ScriptedResponse.Create().Thought("a doomed plan", "sig-a").Fail(ProviderErrorKind.Transient));
        f.Adapter("cloud-b").Enqueue(ScriptedResponse.Create().Thought("the real plan", "sig-b").Content("done"));
        var seen = new List<StreamEvent>();

        await foreach (var e in f.Engine.StreamAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct))
        {
            seen.Add(e);
        }

        var restarted = Assert.Single(seen.OfType<AttemptRestarted>());
        Assert.Equal("cloud-b", restarted.InstanceId);
        f.Adapter("cloud-a").Enqueue(ScriptedResponse.Create().Thought("a doomed plan", "sig-a").Fail(ProviderErrorKind.Transient));
        f.Adapter("cloud-b").Enqueue(ScriptedResponse.Create().Thought("the real plan", "sig-b").Content("done"));

        var response = await f.Engine.CallAsync(Prompt, new CallOptions { ThreadId = "t" }, Ct);

        Assert.Equal(("done", "the real plan", "cloud-b"), (response.Content, response.Thoughts, response.InstanceId));
        Assert.Equal("sig-b", Assert.Single(response.ThoughtBlocks).Signature);
    }
}
