using Art.Context;
using Art.Models;
using Art.Observation;
using Art.Ollama;
using Art.Reasoning;
using Art.Testing.Servers;

namespace Art.Tests.Integration;

/// <summary>
/// Capability auto-detection before routing, against the real Ollama adapter over HTTP (<see cref="OllamaTestServer"/>):
/// a thread with <c>AutoDetectCapabilities</c> makes the router ask <c>/api/show</c> about models the registry does not
/// know, and routes on the answer.
/// </summary>
public sealed class ModelDiscoveryIntegrationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static readonly ImageInput Png = ImageInput.FromBase64("iVBORw0KGgo=", "image/png");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(OllamaTestServer Server, ArtCoreFixture Fixture)> StartAsync()
    {
        var server = await OllamaTestServer.StartAsync();
        server.AddModel(new OllamaTestModel("acme-vl:7b") { Capabilities = ["completion", "vision"], ContextLength = 32768, Family = "qwen2" });
        server.AddModel(new OllamaTestModel("acme-text:3b") { Capabilities = ["completion", "tools"], ContextLength = 8192 });
        var fixture = await ArtCoreFixture.CreateAsync(new ArtCoreSetup
        {
            // Without the embedded catalog, so only the test server's models are in play (catalog entries are never
            // candidates on a local instance anyway; LocalRoutingIntegrationTests covers that with the real catalog).
            Seed = _ => Task.FromResult(new ModelCatalogFile()),
            ExtraFactories = [new OllamaProviderFactory()],
            Instances =
            [
                ArtCoreFixture.DefaultInstances.Single(i => i.Id == "cloud-b"),
                new ProviderInstanceConfig { Id = "ollama-text", Provider = "ollama", BaseUrl = server.InstanceBaseUrl, Model = "acme-text:3b" },
                new ProviderInstanceConfig { Id = "ollama-vision", Provider = "ollama", BaseUrl = server.InstanceBaseUrl, Model = "acme-vl:7b" },
            ],
        }, Ct);
        return (server, fixture);
    }

    private static IReadOnlyList<string> ShownModels(OllamaTestServer server) =>
        [.. server.Requests.Where(r => r.Path == "/api/show").Select(r => r.Json.GetProperty("model").GetString()!).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task CallAsync_AutoDetectThread_VisionRequestRoutesToModelThatApiShowSaysHasVision()
    {
        var (server, f) = await StartAsync();
        await using var _ = server;
        await using var __ = f;
        f.Adapter("cloud-b").DefaultResponse = Art.Testing.ScriptedResponse.Text("cloud cat");
        server.Enqueue(ScriptedTurn.Text("a local ", "cat"));

        // Without auto-detection the Ollama models are unknown: the confirmed cloud vision model wins.
        await f.CreateThreadAsync("plain", new ThreadReasoningConfig(), Ct);
        var plain = await f.Engine.CallAsync(ArtPrompt.FromUser("what is in this picture?"), new CallOptions { ThreadId = "plain", Images = [Png] }, Ct);
        Assert.Equal("cloud-b", plain.InstanceId);
        Assert.Empty(ShownModels(server));

        // With it, /api/show is asked about each Ollama instance's model first; acme-vl has vision and is free.
        await f.CreateThreadAsync("auto", new ThreadReasoningConfig { AutoDetectCapabilities = true }, Ct);
        using var events = f.RecordModelEvents("auto");
        var auto = await f.Engine.CallAsync(ArtPrompt.FromUser("what is in this picture?"), new CallOptions { ThreadId = "auto", Images = [Png] }, Ct);

        // Instances of one provider type serve every registry model of that type; both instances are this one server,
        // and the first in configuration order takes it.
        Assert.Equal(("ollama-text", "acme-vl:7b", "a local cat"), (auto.InstanceId, auto.ModelId, auto.Content));
        Assert.Equal(["acme-text:3b", "acme-vl:7b"], ShownModels(server));
        var chat = Assert.Single(server.Requests, r => r.Path == "/api/chat");
        Assert.Equal("acme-vl:7b", chat.Json.GetProperty("model").GetString());

        var vision = f.Registry.GetModelInfo("ollama", "acme-vl:7b")!;
        Assert.Equal((ModelInfoSource.Discovered, CapabilitySupport.Yes, 32768), (vision.Source, vision.Supports(ModelCapability.Vision), vision.ContextWindow));
        var text = f.Registry.GetModelInfo("ollama", "acme-text:3b")!;
        Assert.Equal(CapabilitySupport.No, text.Supports(ModelCapability.Vision));

        var decision = Assert.Single(events.OfType(ModelEventType.ModelRouteDecision));
        Assert.StartsWith("cheapest fitting candidate at $0.00/M input, $0.00/M output: instance 'ollama-text' (model acme-vl:7b)", decision.Content.GetProperty("why").GetString(), StringComparison.Ordinal);
        Assert.Contains(
            decision.Content.GetProperty("rejected").EnumerateArray(),
            r => r.GetProperty("instanceId").GetString() == "ollama-text" && r.GetProperty("modelId").GetString() == "acme-text:3b"
                && r.GetProperty("reason").GetString() == "model lacks [vision] according to the registry");

        // The entries are cached: the next call asks nothing.
        server.Enqueue(ScriptedTurn.Text("again"));
        await f.Engine.CallAsync(ArtPrompt.FromUser("and this one?"), new CallOptions { ThreadId = "auto", Images = [Png] }, Ct);
        Assert.Equal(2, ShownModels(server).Count);
        Assert.Equal(2, f.Discovery.DiscoveryRequests);

        // After the TTL the provider is asked again.
        f.FakeTime!.Advance(TimeSpan.FromMinutes(11));
        server.Enqueue(ScriptedTurn.Text("later"));
        await f.Engine.CallAsync(ArtPrompt.FromUser("and now?"), new CallOptions { ThreadId = "auto", Images = [Png] }, Ct);
        Assert.Equal(4, ShownModels(server).Count);
    }

    [Fact]
    public async Task CallAsync_ThreadModelNotPulled_RoutingGoesOnAndFailureIsNotRetriedUntilItsTtl()
    {
        var (server, f) = await StartAsync();
        await using var _ = server;
        await using var __ = f;
        server.Enqueue(ScriptedTurn.Text("answer"));
        await f.CreateThreadAsync("t", new ThreadReasoningConfig { InstanceId = "ollama-text", Model = "missing:1b", AutoDetectCapabilities = true }, Ct);

        // /api/show answers 404 for the thread's model: the call still goes where the thread says (unknown passes).
        var response = await f.Engine.CallAsync(ArtPrompt.FromUser("hello"), new CallOptions { ThreadId = "t" }, Ct);
        Assert.Equal(("ollama-text", "missing:1b"), (response.InstanceId, response.ModelId));
        Assert.Contains("missing:1b", ShownModels(server));
        Assert.Null(f.Registry.GetModelInfo("ollama", "missing:1b"));
        var asked = ShownModels(server).Count;

        server.Enqueue(ScriptedTurn.Text("answer 2"));
        await f.Engine.CallAsync(ArtPrompt.FromUser("hello"), new CallOptions { ThreadId = "t" }, Ct);
        Assert.Equal(asked, ShownModels(server).Count);

        f.FakeTime!.Advance(TimeSpan.FromMinutes(2));
        server.Enqueue(ScriptedTurn.Text("answer 3"));
        await f.Engine.CallAsync(ArtPrompt.FromUser("hello"), new CallOptions { ThreadId = "t" }, Ct);
        Assert.Equal(asked + 1, ShownModels(server).Count);
        Assert.Equal(2, ShownModels(server).Count(m => m == "missing:1b"));
    }

    [Fact]
    public async Task CallAsync_ModelRegisteredByApplication_IsNotOverwrittenByDiscovery()
    {
        var (server, f) = await StartAsync();
        await using var _ = server;
        await using var __ = f;
        await f.Registry.RegisterModelAsync(ArtCoreFixture.Model("ollama", "acme-vl:7b", 4096, null, null, (ModelCapability.Text, true), (ModelCapability.Vision, false)), Ct);
        f.Adapter("cloud-b").DefaultResponse = Art.Testing.ScriptedResponse.Text("cloud cat");
        await f.CreateThreadAsync("auto", new ThreadReasoningConfig { AutoDetectCapabilities = true }, Ct);

        var response = await f.Engine.CallAsync(ArtPrompt.FromUser("what is in this picture?"), new CallOptions { ThreadId = "auto", Images = [Png] }, Ct);

        Assert.Equal("cloud-b", response.InstanceId);
        Assert.Equal(["acme-text:3b"], ShownModels(server));
        Assert.Equal(ModelInfoSource.User, f.Registry.GetModelInfo("ollama", "acme-vl:7b")!.Source);
    }

    [Fact]
    public async Task DiscoverForAsync_ConcurrentCalls_ShareOneRequestPerModel()
    {
        var (server, f) = await StartAsync();
        await using var _ = server;
        await using var __ = f;
        var request = new RoutingRequest { ThreadId = "t", Reasoning = new ThreadReasoningConfig { AutoDetectCapabilities = true } };

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => f.Discovery.DiscoverForAsync(request, Ct).AsTask())).WaitAsync(Wait, Ct);

        Assert.Equal(["acme-text:3b", "acme-vl:7b"], ShownModels(server));
        Assert.Equal(ModelInfoSource.Discovered, f.Registry.GetModelInfo("ollama", "acme-text:3b")!.Source);
    }
}
