using System.Text.Json;
using Art.Context;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Testing;
using Art.Tools;

namespace Art.Tests.Integration;

/// <summary>Routing through <see cref="ReasoningEngine"/> with the real router, registry, instance manager and observations.</summary>
public sealed class RoutingIntegrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly ImageInput Png = ImageInput.FromBase64("iVBORw0KGgo=", "image/png");

    [Fact]
    public async Task CallAsync_EachRoutingStep_DecidesForItsReasonAndThatInstanceAnswers()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        foreach (var id in new[] { "cloud-a", "cloud-b", "cloud-c", "local-1" })
        {
            f.Adapter(id).DefaultResponse = ScriptedResponse.Text("from " + id).Usage(10, 2);
        }

        // (1a) The call's instance wins over the thread's.
        await f.CreateThreadAsync("t-call", new ThreadReasoningConfig { InstanceId = "cloud-a" }, Ct);
        await AssertRoutedAsync(f, "t-call", new CallOptions { ThreadId = "t-call", InstanceId = "cloud-c" }, "cloud-c", "gamma-mini", "call instance 'cloud-c'");

        // (1b) The thread's instance.
        await f.CreateThreadAsync("t-thread", new ThreadReasoningConfig { InstanceId = "cloud-a" }, Ct);
        await AssertRoutedAsync(f, "t-thread", new CallOptions { ThreadId = "t-thread" }, "cloud-a", "alpha-small", "thread instance 'cloud-a'");

        // (1c) A legacy Provider resolves to the first instance of that provider type.
        await f.CreateThreadAsync("t-legacy", new ThreadReasoningConfig { Provider = "beta" }, Ct);
        await AssertRoutedAsync(f, "t-legacy", new CallOptions { ThreadId = "t-legacy" }, "cloud-b", "beta-vision", "thread instance 'cloud-b'");

        // (2) The preferred model for the request's capability (Text is the general preference).
        await f.CreateThreadAsync("t-pref", new ThreadReasoningConfig
        {
            ModelPreferences = new ModelPreferences
            {
                DefaultInstanceId = "cloud-a",
                PreferredModels = new Dictionary<ModelCapability, ModelTarget> { [ModelCapability.Text] = new() { InstanceId = "cloud-c" } },
            },
        }, Ct);
        await AssertRoutedAsync(f, "t-pref", new CallOptions { ThreadId = "t-pref" }, "cloud-c", "gamma-mini", "preferred model for text: instance 'cloud-c'");

        // (3) The default instance.
        await f.CreateThreadAsync("t-default", new ThreadReasoningConfig { ModelPreferences = new ModelPreferences { DefaultInstanceId = "cloud-b" } }, Ct);
        await AssertRoutedAsync(f, "t-default", new CallOptions { ThreadId = "t-default" }, "cloud-b", "beta-vision", "default instance 'cloud-b'");

        // (4) Cheapest fit: the local host is free, so plain text goes there (first local instance in configuration order).
        await f.CreateThreadAsync("t-cheap", new ThreadReasoningConfig(), Ct);
        await AssertRoutedAsync(f, "t-cheap", new CallOptions { ThreadId = "t-cheap" }, "local-1", "lan-llama", "cheapest fitting candidate at $0.00/M input");
    }

    [Fact]
    public async Task CallAsync_CheapestFitWithTools_TakesCheapestConfirmedModelAndRejectsModelsWithoutTools()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        f.Adapter("cloud-a").Enqueue(ScriptedResponse.Text("tools ok"));
        await f.CreateThreadAsync("t", new ThreadReasoningConfig(), Ct);
        var tool = new ToolSchema { Name = "lookup", Description = "Looks something up", InputSchema = JsonDocument.Parse("""{"type":"object"}""").RootElement };

        var response = await f.Engine.CallAsync(ArtPrompt.FromUser("find it"), new CallOptions { ThreadId = "t", Tools = [tool] }, Ct);

        Assert.Equal(("cloud-a", "alpha-small"), (response.InstanceId, response.ModelId));
        var decision = Assert.Single(await f.ObservationsAsync("t", ObservationType.ModelRouteDecision));
        var why = decision.Content.GetProperty("why").GetString()!;

        // gamma-mini is cheaper ($0.5/M) but its tool support is unknown: confirmed candidates rank first.
        Assert.StartsWith("cheapest fitting candidate at $1.00/M input, $2.00/M output: instance 'cloud-a' (model alpha-small)", why, StringComparison.Ordinal);
        Assert.Equal(["text", "tool_use"], decision.Content.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        var rejected = Rejected(decision);
        Assert.Contains(rejected, r => r.Instance == "local-1" && r.Model == "lan-llama" && r.Reason.Contains("lacks [tool_use]", StringComparison.Ordinal));
        Assert.Contains(rejected, r => r.Instance == "local-2" && r.Reason.Contains("lacks [tool_use]", StringComparison.Ordinal));

        // The cheaper unconfirmed model is still a fallback, after the confirmed ones.
        var fallbacks = decision.Content.GetProperty("fallbacks").EnumerateArray().Select(t => t.GetProperty("instanceId").GetString() + "/" + t.GetProperty("modelId").GetString()).ToList();
        Assert.Contains("cloud-c/gamma-mini", fallbacks);
        Assert.True(fallbacks.IndexOf("cloud-c/gamma-mini") > fallbacks.IndexOf("cloud-b/beta-vision"));
        Assert.Equal("lookup", Assert.Single(Assert.Single(f.Adapter("cloud-a").Requests).Options.Tools!).Name);
    }

    [Fact]
    public async Task CallAsync_VisionRequest_SkipsThreadModelTheRegistrySaysLacksVision()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        f.Adapter("cloud-b").Enqueue(ScriptedResponse.Text("a cat").Usage(1000, 3));
        await f.CreateThreadAsync("t", new ThreadReasoningConfig { InstanceId = "cloud-a" }, Ct);

        var response = await f.Engine.CallAsync(ArtPrompt.FromUser("what is this?"), new CallOptions { ThreadId = "t", Images = [Png] }, Ct);

        Assert.Equal(("cloud-b", "beta-vision", "a cat"), (response.InstanceId, response.ModelId, response.Content));
        Assert.Empty(f.Adapter("cloud-a").Requests);
        var decision = Assert.Single(await f.ObservationsAsync("t", ObservationType.ModelRouteDecision));
        var why = decision.Content.GetProperty("why").GetString()!;

        // beta-vision is confirmed; gamma-mini (cheaper, vision unknown) ranks after it.
        Assert.StartsWith("cheapest fitting candidate at $3.00/M input, $6.00/M output: instance 'cloud-b'", why, StringComparison.Ordinal);
        Assert.Contains(Rejected(decision), r => r.Instance == "cloud-a" && r.Model == "alpha-small" && r.Reason == "model lacks [vision] according to the registry");
        Assert.Equal("cloud-b", decision.InstanceId);
    }

    [Fact]
    public async Task CallAsync_VisionRequestWithUnknownSupportOnly_ExplicitChoicePassesWithNote()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        f.Adapter("cloud-c").Enqueue(ScriptedResponse.Text("maybe a cat"));
        await f.CreateThreadAsync("t", new ThreadReasoningConfig { InstanceId = "cloud-c" }, Ct);

        var response = await f.Engine.CallAsync(ArtPrompt.FromUser("what is this?"), new CallOptions { ThreadId = "t", Images = [Png] }, Ct);

        Assert.Equal("cloud-c", response.InstanceId);
        var decision = Assert.Single(await f.ObservationsAsync("t", ObservationType.ModelRouteDecision));
        Assert.Equal("thread instance 'cloud-c' (model gamma-mini) satisfies [text, vision] (unknown to the registry: [vision])", decision.Content.GetProperty("why").GetString());
    }

    [Fact]
    public async Task CallAsync_PreferredInstanceForVision_IsUsedBeforeDefaultInstance()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        f.Adapter("cloud-b").Enqueue(ScriptedResponse.Text("vision answer"));
        f.Adapter("cloud-a").Enqueue(ScriptedResponse.Text("text answer"));
        await f.CreateThreadAsync("t", new ThreadReasoningConfig
        {
            ModelPreferences = new ModelPreferences
            {
                DefaultInstanceId = "cloud-a",
                PreferredModels = new Dictionary<ModelCapability, ModelTarget>
                {
                    [ModelCapability.Vision] = new() { Provider = "beta", ModelId = "beta-vision" },
                },
            },
        }, Ct);

        var vision = await f.Engine.CallAsync(ArtPrompt.FromUser("describe"), new CallOptions { ThreadId = "t", Images = [Png] }, Ct);
        var text = await f.Engine.CallAsync(ArtPrompt.FromUser("hello"), new CallOptions { ThreadId = "t" }, Ct);

        Assert.Equal(("cloud-b", "beta-vision"), (vision.InstanceId, vision.ModelId));
        Assert.Equal(("cloud-a", "alpha-small"), (text.InstanceId, text.ModelId));
        var whys = (await f.ObservationsAsync("t", ObservationType.ModelRouteDecision)).Select(o => o.Content.GetProperty("why").GetString()!).ToList();
        Assert.Contains(whys, w => w.StartsWith("preferred model for vision: instance 'cloud-b' (model beta-vision)", StringComparison.Ordinal));
        Assert.Contains(whys, w => w.StartsWith("default instance 'cloud-a' (model alpha-small)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CallAsync_NoCandidate_ThrowsRoutingExceptionListingEveryCandidateWithReason()
    {
        await using var f = await ArtCoreFixture.CreateAsync(cancellationToken: Ct);
        await f.CreateThreadAsync("t", new ThreadReasoningConfig { InstanceId = "cloud-a" }, Ct);

        // Vision and a prompt of ~150k tokens: only beta-vision has vision, and its window is 128k.
        var prompt = ArtPrompt.FromUser(new string('x', 600_000));
        using var events = f.RecordModelEvents("t");
        var error = await Assert.ThrowsAsync<RoutingException>(() => f.Engine.CallAsync(prompt, new CallOptions { ThreadId = "t", Images = [Png] }, Ct));

        var byCandidate = error.Rejected.ToDictionary(r => r.InstanceId + "/" + r.ModelId, r => r.Reason);
        Assert.Equal("model lacks [vision] according to the registry", byCandidate["cloud-a/alpha-small"]);
        Assert.Equal("model lacks [vision] according to the registry", byCandidate["cloud-a2/alpha-large"]);
        Assert.StartsWith("context window 128000 too small for ~", byCandidate["cloud-b/beta-vision"], StringComparison.Ordinal);
        Assert.StartsWith("context window 32000 too small for ~", byCandidate["cloud-c/gamma-mini"], StringComparison.Ordinal);
        Assert.Equal("model lacks [vision] according to the registry", byCandidate["local-1/lan-llama"]);
        Assert.Equal("model lacks [vision] according to the registry", byCandidate["local-2/lan-llama"]);

        // Every configured instance is named, in the message too; and no provider was called.
        foreach (var instance in ArtCoreFixture.DefaultInstances)
        {
            Assert.Contains(error.Rejected, r => r.InstanceId == instance.Id);
            Assert.Contains("  - " + instance.Id + "/", error.Message, StringComparison.Ordinal);
            Assert.Empty(f.Adapter(instance.Id).Requests);
        }

        // The one observation is the failed route decision, so a UI sees why the call never started.
        var failed = Assert.Single(await f.ObservationsAsync("t"));
        Assert.Equal(ObservationType.ModelRouteDecision, failed.Type);
        Assert.True(failed.Content.GetProperty("failed").GetBoolean());
        Assert.Equal(error.Message, failed.Content.GetProperty("reason").GetString());
        Assert.Equal(
            error.Rejected.Select(r => (r.InstanceId, r.ModelId, r.Reason)),
            failed.Content.GetProperty("rejected").EnumerateArray().Select(r => (r.GetProperty("instanceId").GetString()!, (string?)r.GetProperty("modelId").GetString(), r.GetProperty("reason").GetString()!)));
        Assert.False(failed.Content.TryGetProperty("primary", out _));
        var routeEvent = Assert.Single(events.Events);
        Assert.Equal((ModelEventType.ModelRouteDecision, "t"), (routeEvent.Type, routeEvent.ThreadId));
        Assert.True(routeEvent.Content.GetProperty("failed").GetBoolean());
        Assert.Equal(0m, (await f.Costs.GetThreadUsageAsync("t", Ct)).ReservedCost);
    }

    private static async Task AssertRoutedAsync(ArtCoreFixture f, string threadId, CallOptions options, string instance, string model, string whyStart)
    {
        using var events = f.RecordModelEvents(threadId);
        var response = await f.Engine.CallAsync(ArtPrompt.FromUser("hello"), options, Ct);
        Assert.Equal((instance, model, "from " + instance), (response.InstanceId, response.ModelId, response.Content));
        var decision = Assert.Single(await f.ObservationsAsync(threadId, ObservationType.ModelRouteDecision));
        Assert.StartsWith(whyStart, decision.Content.GetProperty("why").GetString(), StringComparison.Ordinal);
        Assert.Equal((instance, model), (decision.InstanceId, decision.ModelId));
        var routed = Assert.Single(events.Events);
        Assert.Equal(ModelEventType.ModelRouteDecision, routed.Type);
        Assert.Equal(decision.Id, routed.ObservationId);
        Assert.Equal(instance, routed.InstanceId);
    }

    private static List<(string Instance, string? Model, string Reason)> Rejected(Art.Observation.Observation decision) =>
        [.. decision.Content.GetProperty("rejected").EnumerateArray().Select(r => (
            r.GetProperty("instanceId").GetString()!,
            r.TryGetProperty("modelId", out var m) ? m.GetString() : null,
            r.GetProperty("reason").GetString()!))];
}
