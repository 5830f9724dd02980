using Art.Context;
using Art.Models;
using Art.Observation;
using Art.Ollama;
using Art.Reasoning;
using Art.Testing.Servers;

namespace Art.Tests.Integration;

/// <summary>
/// Routing of local instances with the real embedded catalog and the real Ollama adapter over HTTP: the catalog's free
/// Ollama families (deepseek-r1, gemma3, llava, ...) are never taken for models pulled on the server; only the configured
/// model and models discovered on the server (or registered by the app) are candidates.
/// </summary>
public sealed class LocalRoutingIntegrationTests
{
    private static readonly ImageInput Png = ImageInput.FromBase64("iVBORw0KGgo=", "image/png");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(OllamaTestServer Server, ArtCoreFixture Fixture)> StartAsync()
    {
        var server = await OllamaTestServer.StartAsync();
        server.AddModel(new OllamaTestModel("acme-text:3b") { Capabilities = ["completion", "tools"], ContextLength = 8192 });
        var fixture = await ArtCoreFixture.CreateAsync(new ArtCoreSetup
        {
            // Seed left null: the embedded catalog, with its zero-priced Ollama entries, is what this is about.
            ExtraFactories = [new OllamaProviderFactory()],
            Instances = [new ProviderInstanceConfig { Id = "ollama", Provider = "ollama", BaseUrl = server.InstanceBaseUrl, Model = "acme-text:3b" }],
        }, Ct);
        return (server, fixture);
    }

    private static IReadOnlyList<string> ChatModels(OllamaTestServer server) =>
        [.. server.Requests.Where(r => r.Path == "/api/chat").Select(r => r.Json.GetProperty("model").GetString()!)];

    [Fact]
    public async Task CallAsync_LocalInstanceWithConfiguredModel_TextGoesToConfiguredModelNotToCatalogModels()
    {
        var (server, f) = await StartAsync();
        await using var _ = server;
        await using var __ = f;
        Assert.Equal(ModelInfoSource.Seed, f.Registry.GetModelInfo("ollama", "deepseek-r1")!.Source);
        server.Enqueue(ScriptedTurn.Text("hello there"));
        await f.CreateThreadAsync("t", new ThreadReasoningConfig(), Ct);

        var response = await f.Engine.CallAsync(ArtPrompt.FromUser("hello"), new CallOptions { ThreadId = "t" }, Ct);

        Assert.Equal(("ollama", "acme-text:3b", "hello there"), (response.InstanceId, response.ModelId, response.Content));
        Assert.Equal(["acme-text:3b"], ChatModels(server));
        var decision = Assert.Single(await f.ObservationsAsync("t", ObservationType.ModelRouteDecision));
        Assert.Empty(decision.Content.GetProperty("fallbacks").EnumerateArray());
    }

    [Fact]
    public async Task CallAsync_VisionWithTextOnlyLocalModel_FailsExplainingAndUiSeesIt_ThenDiscoveredVisionModelIsUsed()
    {
        var (server, f) = await StartAsync();
        await using var _ = server;
        await using var __ = f;
        await f.CreateThreadAsync("t", new ThreadReasoningConfig { AutoDetectCapabilities = true }, Ct);
        using var events = f.RecordModelEvents("t");

        // /api/show says acme-text:3b has no vision; gemma3/llava/... in the catalog have it, but are not on the server.
        var error = await Assert.ThrowsAsync<RoutingException>(() =>
            f.Engine.CallAsync(ArtPrompt.FromUser("what is in this picture?"), new CallOptions { ThreadId = "t", Images = [Png] }, Ct));

        Assert.Equal(ModelInfoSource.Discovered, f.Registry.GetModelInfo("ollama", "acme-text:3b")!.Source);
        var byCandidate = error.Rejected.ToDictionary(r => r.InstanceId + "/" + r.ModelId, r => r.Reason);
        Assert.Equal("model lacks [vision] according to the registry", byCandidate["ollama/acme-text:3b"]);
        Assert.Contains("catalog model(s) of provider 'ollama' not considered", byCandidate["ollama/"], StringComparison.Ordinal);
        Assert.DoesNotContain("ollama/gemma3", byCandidate.Keys);
        Assert.Empty(ChatModels(server));

        // The failure is one MODEL_ROUTE_DECISION observation, and a model event on the socket.
        var observation = Assert.Single(await f.ObservationsAsync("t"));
        Assert.Equal(ObservationType.ModelRouteDecision, observation.Type);
        Assert.True(observation.Content.GetProperty("failed").GetBoolean());
        Assert.Equal(error.Message, observation.Content.GetProperty("reason").GetString());
        Assert.Equal(error.Rejected.Count, observation.Content.GetProperty("rejected").GetArrayLength());
        var routeEvent = Assert.Single(events.OfType(ModelEventType.ModelRouteDecision));
        Assert.True(routeEvent.Content.GetProperty("failed").GetBoolean());
        Assert.Equal(observation.Id, routeEvent.ObservationId);

        // llava:7b is pulled and discovered on that server: now the vision call routes to it.
        server.AddModel(new OllamaTestModel("llava:7b") { Capabilities = ["completion", "vision"], ContextLength = 4096, Family = "llama" });
        var llava = await f.Discovery.DiscoverAsync("ollama", "llava:7b", Ct);
        Assert.Equal((ModelInfoSource.Discovered, CapabilitySupport.Yes), (llava!.Source, llava.Supports(ModelCapability.Vision)));
        server.Enqueue(ScriptedTurn.Text("a cat"));

        var response = await f.Engine.CallAsync(ArtPrompt.FromUser("what is in this picture?"), new CallOptions { ThreadId = "t", Images = [Png] }, Ct);

        Assert.Equal(("ollama", "llava:7b", "a cat"), (response.InstanceId, response.ModelId, response.Content));
        Assert.Equal(["llava:7b"], ChatModels(server));
    }

    [Fact]
    public async Task CallAsync_UnknownCallInstance_ThrowsUnknownInstanceAndCallsNoProvider()
    {
        var (server, f) = await StartAsync();
        await using var _ = server;
        await using var __ = f;
        await f.CreateThreadAsync("t", new ThreadReasoningConfig { InstanceId = "ollama" }, Ct);
        using var events = f.RecordModelEvents("t");

        var error = await Assert.ThrowsAsync<UnknownInstanceException>(() =>
            f.Engine.CallAsync(ArtPrompt.FromUser("hello"), new CallOptions { ThreadId = "t", InstanceId = "ghost" }, Ct));

        Assert.Equal("ghost", error.InstanceId);
        Assert.Contains("Configured instances: ollama", error.Message, StringComparison.Ordinal);
        Assert.Empty(ChatModels(server));
        var routeEvent = Assert.Single(events.OfType(ModelEventType.ModelRouteDecision));
        Assert.True(routeEvent.Content.GetProperty("failed").GetBoolean());
        Assert.Equal(error.Message, routeEvent.Content.GetProperty("reason").GetString());
    }
}
