using Art.Context;
using Art.Models;
using Art.Ollama;
using Art.Reasoning;
using Art.Testing.Servers;

namespace Art.Tests.Integration;

/// <summary>
/// The zero-configuration case over real HTTP: an Ollama instance with no model. Before routing, the router learns what
/// is installed (<c>/api/tags</c>, once per TTL) and routes to it instead of guessing a catalog model that may not be pulled.
/// </summary>
public sealed class LocalModelListingIntegrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<ArtCoreFixture> CreateAsync(string baseUrl) =>
        await ArtCoreFixture.CreateAsync(new ArtCoreSetup
        {
            // Seed left null: the embedded catalog, whose Ollama entries (llama3.2, qwen3, ...) must not be guessed.
            ExtraFactories = [new OllamaProviderFactory()],
            Models = [],
            Instances = [new ProviderInstanceConfig { Id = "ollama", Provider = "ollama", BaseUrl = baseUrl }],
        }, Ct);

    private static int TagRequests(OllamaTestServer server) => server.Requests.Count(r => r.Path == "/api/tags");

    private static IReadOnlyList<string> ChatModels(OllamaTestServer server) =>
        [.. server.Requests.Where(r => r.Path == "/api/chat").Select(r => r.Json.GetProperty("model").GetString()!)];

    [Fact]
    public async Task CallAsync_InstanceWithoutModel_RoutesToInstalledModelAndListsOncePerTtl()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.SetModels(["qwen3:4b"]);
        await using var f = await CreateAsync(server.InstanceBaseUrl);
        Assert.Equal(ModelInfoSource.Seed, f.Registry.GetModelInfo("ollama", "llama3.2")!.Source);
        await f.CreateThreadAsync("auto", new ThreadReasoningConfig(), Ct);
        await f.CreateThreadAsync("pinned", new ThreadReasoningConfig { InstanceId = "ollama" }, Ct);

        server.Enqueue(ScriptedTurn.Text("one"));
        var first = await f.Engine.CallAsync(ArtPrompt.FromUser("hi"), new CallOptions { ThreadId = "auto" }, Ct);
        server.Enqueue(ScriptedTurn.Text("two"));
        var second = await f.Engine.CallAsync(ArtPrompt.FromUser("hi"), new CallOptions { ThreadId = "pinned" }, Ct);
        server.Enqueue(ScriptedTurn.Text("three"));
        await f.Engine.CallAsync(ArtPrompt.FromUser("hi"), new CallOptions { ThreadId = "auto" }, Ct);

        Assert.Equal(("ollama", "qwen3:4b", "one"), (first.InstanceId, first.ModelId, first.Content));
        Assert.Equal(("ollama", "qwen3:4b"), (second.InstanceId, second.ModelId));
        Assert.Equal(["qwen3:4b", "qwen3:4b", "qwen3:4b"], ChatModels(server));
        Assert.Equal(1, TagRequests(server));
        Assert.Equal(1, f.Discovery.ListingRequests);
        var entry = f.Registry.GetModelInfo("ollama", "qwen3:4b")!;
        Assert.Equal((ModelInfoSource.Discovered, 0m), (entry.Source, entry.Pricing!.InputPerMillion));

        // After the TTL the server is asked again, and a newly pulled model becomes known.
        f.FakeTime!.Advance(TimeSpan.FromMinutes(11));
        server.SetModels(["qwen3:4b", "qwen3"]);
        server.Enqueue(ScriptedTurn.Text("four"));
        await f.Engine.CallAsync(ArtPrompt.FromUser("hi"), new CallOptions { ThreadId = "auto" }, Ct);
        Assert.Equal(2, TagRequests(server));

        // A listed model the catalog knows gets the catalog's facts, priced free.
        var seed = f.Registry.GetModelsForProvider("ollama").Single(m => m.ModelId == "llama3.2");
        Assert.Equal(ModelInfoSource.Seed, seed.Source);
        var qwen = f.Registry.GetModelInfo("ollama", "qwen3")!;
        Assert.Equal(ModelInfoSource.Discovered, qwen.Source);
        Assert.NotNull(qwen.ContextWindow);
        Assert.NotEmpty(qwen.Capabilities);
        Assert.Equal(0m, qwen.Pricing!.OutputPerMillion);
    }

    [Fact]
    public async Task CallAsync_ListedModelRegisteredByApplication_IsNotOverwritten()
    {
        await using var server = await OllamaTestServer.StartAsync();
        server.SetModels(["mine:1b"]);
        await using var f = await CreateAsync(server.InstanceBaseUrl);
        await f.Registry.RegisterModelAsync(ArtCoreFixture.Model("ollama", "mine:1b", 4096, null, null, (ModelCapability.Text, true), (ModelCapability.Vision, false)), Ct);
        await f.CreateThreadAsync("t", new ThreadReasoningConfig(), Ct);

        server.Enqueue(ScriptedTurn.Text("ok"));
        var response = await f.Engine.CallAsync(ArtPrompt.FromUser("hi"), new CallOptions { ThreadId = "t" }, Ct);

        Assert.Equal("mine:1b", response.ModelId);
        Assert.Equal(1, TagRequests(server));
        var entry = f.Registry.GetModelInfo("ollama", "mine:1b")!;
        Assert.Equal((ModelInfoSource.User, 4096, CapabilitySupport.No), (entry.Source, entry.ContextWindow, entry.Supports(ModelCapability.Vision)));
    }

    [Fact]
    public async Task CallAsync_ServerDown_FailsWithAdaptersNotReachableErrorNotRoutingError()
    {
        string baseUrl;
        await using (var server = await OllamaTestServer.StartAsync())
        {
            baseUrl = server.InstanceBaseUrl;
        }

        await using var f = await CreateAsync(baseUrl);
        await f.CreateThreadAsync("t", new ThreadReasoningConfig { InstanceId = "ollama" }, Ct);

        var ex = await Assert.ThrowsAnyAsync<ArtException>(() => f.Engine.CallAsync(ArtPrompt.FromUser("hi"), new CallOptions { ThreadId = "t" }, Ct));

        var provider = Assert.IsType<ProviderException>(ex, exactMatch: false);
        Assert.Contains("not reachable", provider.Message, StringComparison.Ordinal);
        Assert.Equal(1, f.Discovery.ListingRequests);
    }
}
