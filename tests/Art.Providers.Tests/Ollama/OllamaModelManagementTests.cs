using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Art.Models;
using Art.Observation;
using Art.Ollama;
using Art.Testing;
using Art.Testing.Servers;
using static Art.Providers.Tests.Ollama.OllamaTestKit;

namespace Art.Providers.Tests.Ollama;

public sealed class OllamaModelManagementTests
{
    private static readonly OllamaPullLayer[] ThreeLayers =
    [
        new("sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff", 2_019_377_376, Steps: 5),
        new("sha256:966de95ca8a62200913e3f8bfbf84c8494536f1b94b49166851e76644e966396", 1_429, Steps: 1),
        new("sha256:fcc5a6bec9daf9b561a68827b67ab6088e1dba9d1fa2a50d7bbcc8384e0a265d", 7_711, Steps: 2),
    ];

    /// <summary>Synchronous IProgress: Progress&lt;T&gt; posts to the thread pool and could reorder reports.</summary>
    private sealed class ListProgress : IProgress<PullProgress>
    {
        public List<PullProgress> Reports { get; } = [];

        public void Report(PullProgress value)
        {
            lock (Reports)
            {
                Reports.Add(value);
            }
        }
    }

    [Fact]
    public async Task PullModelAsync_ThreeLayers_AggregateProgressMonotonicEndsAt100WithObservations()
    {
        await using var server = await OllamaTestServer.StartAsync();
        var observations = new CollectingObservationManager();
        await using var adapter = Adapter(server.InstanceBaseUrl, observations: observations);
        server.EnqueuePull(new OllamaPullScript(ThreeLayers));
        var progress = new ListProgress();

        await adapter.PullModelAsync("llama3.2", new PullModelOptions { Progress = progress, ProgressInterval = TimeSpan.Zero, ThreadId = "t9" }, Ct);

        var reports = progress.Reports;
        Assert.True(reports.Count >= 10, $"only {reports.Count} reports");
        for (var i = 1; i < reports.Count; i++)
        {
            Assert.True(reports[i].Percent >= reports[i - 1].Percent, $"percent went back at report {i}: {reports[i - 1].Percent} -> {reports[i].Percent}");
            Assert.True(reports[i].CompletedBytes >= reports[i - 1].CompletedBytes);
        }

        var last = reports[^1];
        Assert.Equal("success", last.Status);
        Assert.True(last.IsComplete);
        Assert.Equal(100, last.Percent);
        Assert.Equal(ThreeLayers.Sum(l => l.Size), last.TotalBytes);
        Assert.Equal(ThreeLayers.Sum(l => l.Size), last.CompletedBytes);
        Assert.Equal(3, last.LayerCount);
        Assert.All(reports.Take(reports.Count - 1), r => Assert.True(r.Percent < 100));

        // A mid-download report names its layer and the bytes of that layer.
        var mid = reports.First(r => r.Status == "pulling dde5aa3fc5ff" && r.LayerCompletedBytes > 0);
        Assert.Equal(ThreeLayers[0].Digest, mid.Digest);
        Assert.Equal(ThreeLayers[0].Size, mid.LayerTotalBytes);
        Assert.Equal(["pulling manifest", "pulling dde5aa3fc5ff", "pulling 966de95ca8a6", "pulling fcc5a6bec9da", "verifying sha256 digest", "writing manifest", "success"], reports.Select(r => r.Status).Distinct());

        var items = observations.Recorded;
        Assert.Equal(ObservationType.ModelPullStart, items[0].Type);
        Assert.Equal(ObservationType.ModelPullEnd, items[^1].Type);
        Assert.True(items[^1].Content.GetProperty("success").GetBoolean());
        Assert.Equal(reports.Count, items.Count(o => o.Type == ObservationType.ModelPullProgress));
        Assert.All(items, o =>
        {
            Assert.Equal("ollama-local", o.InstanceId);
            Assert.Equal("llama3.2", o.ModelId);
            Assert.Equal("t9", o.ThreadId);
            Assert.NotNull(ModelEvent.FromObservation(o));
        });
        var lastProgress = items.Last(o => o.Type == ObservationType.ModelPullProgress).Content;
        Assert.Equal(100, lastProgress.GetProperty("percent").GetDouble());
        Assert.Equal("llama3.2", server.LastRequest.Json.GetProperty("model").GetString());
    }

    [Fact]
    public async Task PullModelAsync_LongInterval_ThrottlesButReportsEveryStatusChangeAndTheEnd()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.EnqueuePull(new OllamaPullScript(ThreeLayers));
        var progress = new ListProgress();

        await adapter.PullModelAsync("llama3.2", new PullModelOptions { Progress = progress, ProgressInterval = TimeSpan.FromHours(1) }, Ct);

        // One report per status: manifest, 3 layers, verifying, writing, success.
        Assert.Equal(7, progress.Reports.Count);
        Assert.Equal(100, progress.Reports[^1].Percent);
    }

    [Fact]
    public async Task PullModelAsync_ErrorLineMidPull_FailsWithThatMessageAndObservesEnd()
    {
        await using var server = await OllamaTestServer.StartAsync();
        var observations = new CollectingObservationManager();
        await using var adapter = Adapter(server.InstanceBaseUrl, observations: observations);
        server.EnqueuePull(new OllamaPullScript(ThreeLayers) { ErrorAfterLines = 4, ErrorMessage = "max retries exceeded: unexpected EOF" });
        var progress = new ListProgress();

        var ex = await Assert.ThrowsAsync<ProviderException>(() => adapter.PullModelAsync("llama3.2", new PullModelOptions { Progress = progress, ProgressInterval = TimeSpan.Zero }, Ct));

        Assert.Contains("max retries exceeded: unexpected EOF", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.Equal(4, progress.Reports.Count);
        Assert.DoesNotContain(progress.Reports, r => r.IsComplete);
        var end = observations.Recorded[^1];
        Assert.Equal(ObservationType.ModelPullEnd, end.Type);
        Assert.False(end.Content.GetProperty("success").GetBoolean());
        Assert.Contains("unexpected EOF", end.Content.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullModelAsync_UnknownModelErrorLine_ModelNotFound()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.EnqueuePull(new OllamaPullScript([]) { ErrorAfterLines = 1 });

        var ex = await Assert.ThrowsAsync<ProviderException>(() => adapter.PullModelAsync("nope", cancellationToken: Ct));

        Assert.Equal(ProviderErrorKind.ModelNotFound, ex.Kind);
        Assert.Contains("pull model manifest: file does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullModelAsync_Cancelled_StopsDownloadAndServerSeesDisconnect()
    {
        await using var server = await OllamaTestServer.StartAsync();
        var observations = new CollectingObservationManager();
        await using var adapter = Adapter(server.InstanceBaseUrl, observations: observations);
        server.EnqueuePull(new OllamaPullScript([new OllamaPullLayer(ThreeLayers[0].Digest, 1_000_000, Steps: 200)]) { Faults = new FaultPlan { DelayBetweenChunks = TimeSpan.FromMilliseconds(100) } });
        using var cts = new CancellationTokenSource();
        var progress = new ListProgress();
        var cancelling = new Progress<PullProgress>();

        var pull = adapter.PullModelAsync("big", new PullModelOptions { Progress = new CancelOnLayer(progress, cts), ProgressInterval = TimeSpan.Zero }, cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pull.WaitAsync(Generous, Ct));
        Assert.True(await server.WaitForClientDisconnectAsync(Generous));
        Assert.True(server.ClientDisconnects >= 1);
        Assert.True(progress.Reports.Count < 50);
        var end = observations.Recorded[^1];
        Assert.Equal(ObservationType.ModelPullEnd, end.Type);
        Assert.True(end.Content.GetProperty("cancelled").GetBoolean());
    }

    private sealed class CancelOnLayer(ListProgress inner, CancellationTokenSource cts) : IProgress<PullProgress>
    {
        public void Report(PullProgress value)
        {
            inner.Report(value);
            if (value.LayerCompletedBytes > 0)
            {
                cts.Cancel();
            }
        }
    }

    [Fact]
    public async Task DeleteModelAsync_Present_RemovesAndObserves_Missing_ModelNotFound()
    {
        await using var server = await OllamaTestServer.StartAsync();
        var observations = new CollectingObservationManager();
        await using var adapter = Adapter(server.InstanceBaseUrl, observations: observations);
        server.AddModel(new OllamaTestModel("gemma3:1b"));

        await adapter.DeleteModelAsync("gemma3:1b", Ct);
        Assert.Empty(server.ModelNames);
        Assert.Equal("DELETE", server.LastRequest.Method);
        Assert.Equal("gemma3:1b", server.LastRequest.Json.GetProperty("model").GetString());

        var ex = await Assert.ThrowsAsync<ProviderException>(() => adapter.DeleteModelAsync("gemma3:1b", Ct));
        Assert.Equal(ProviderErrorKind.ModelNotFound, ex.Kind);
        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Contains("model 'gemma3:1b' not found", ex.Message, StringComparison.Ordinal);

        Assert.Equal(
            [ObservationType.ModelDeleteAttempt, ObservationType.ModelDeleteResult, ObservationType.ModelDeleteAttempt, ObservationType.ModelDeleteResult],
            observations.Recorded.Select(o => o.Type));
        Assert.True(observations.Recorded[1].Content.GetProperty("success").GetBoolean());
        Assert.False(observations.Recorded[3].Content.GetProperty("success").GetBoolean());
        Assert.Equal("model_not_found", observations.Recorded[3].Content.GetProperty("errorKind").GetString());
    }

    [Fact]
    public async Task ListModelsAsync_Tags_NameSizeModifiedDigestDetails()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.AddModel(new OllamaTestModel("llama3.2:latest"));
        server.AddModel(new OllamaTestModel("qwen3:8b") { Family = "qwen3", ParameterSize = "8.2B", QuantizationLevel = "Q4_K_M", SizeBytes = 5_225_376_047 });

        var models = await adapter.ListModelsAsync(Ct);

        Assert.Equal(["llama3.2:latest", "qwen3:8b"], models.Select(m => m.Name));
        var qwen = models[1];
        Assert.Equal(5_225_376_047, qwen.SizeBytes);
        Assert.Equal(new DateTimeOffset(2025, 5, 4, 17, 37, 44, TimeSpan.FromHours(-7)), qwen.ModifiedAt);
        Assert.Equal("a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72", qwen.Digest);
        Assert.Equal("qwen3", qwen.Details!["family"]);
        Assert.Equal("8.2B", qwen.Details["parameter_size"]);
        Assert.Equal("Q4_K_M", qwen.Details["quantization_level"]);
        Assert.Equal(0m, qwen.Pricing!.InputPerMillion);
    }

    [Fact]
    public async Task ShowModelAsync_Capabilities_MappedWithContextLength()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.AddModel(new OllamaTestModel("qwen2.5vl:7b") { Family = "qwen25vl", Capabilities = ["completion", "vision", "tools"], ContextLength = 128000 });

        var details = await adapter.ShowModelAsync("qwen2.5vl:7b", Ct);

        Assert.Equal(["completion", "vision", "tools"], details.RawCapabilities);
        Assert.True(details.Capabilities[ModelCapability.Text]);
        Assert.True(details.Capabilities[ModelCapability.Vision]);
        Assert.True(details.Capabilities[ModelCapability.ToolUse]);
        Assert.False(details.Capabilities[ModelCapability.Reasoning]);
        Assert.True(details.Capabilities[ModelCapability.JsonOutput]);
        Assert.Equal(128000, details.ContextWindow);
        Assert.Equal("qwen25vl", details.Family);
        Assert.Equal("3.2B", details.ParameterSize);
    }

    [Fact]
    public async Task ShowModelAsync_Missing_ModelNotFound()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);

        var ex = await Assert.ThrowsAsync<ProviderException>(() => adapter.ShowModelAsync("ghost", Ct));

        Assert.Equal(ProviderErrorKind.ModelNotFound, ex.Kind);
    }

    [Fact]
    public async Task RefreshAsync_ShowThinkingModel_RegistersDiscoveredFreeModelWithCapabilities()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.AddModel(new OllamaTestModel("qwen3:8b") { Family = "qwen3", Capabilities = ["completion", "tools", "thinking"], ContextLength = 40960 });
        var registry = new FakeModelRegistry();

        var info = await OllamaModelDiscovery.RefreshAsync(registry, adapter, "qwen3:8b", Ct);

        var stored = registry.GetModelInfo("ollama", "qwen3:8b");
        Assert.Same(info, stored);
        Assert.Equal(ModelInfoSource.Discovered, stored!.Source);
        Assert.Equal(40960, stored.ContextWindow);
        Assert.Equal(CapabilitySupport.Yes, stored.Supports(ModelCapability.ToolUse));
        Assert.Equal(CapabilitySupport.Yes, stored.Supports(ModelCapability.Reasoning));
        Assert.Equal(CapabilitySupport.Yes, stored.Supports(ModelCapability.JsonOutput));
        Assert.Equal(CapabilitySupport.No, stored.Supports(ModelCapability.Vision));
        Assert.Equal(CapabilitySupport.Unknown, stored.Supports(ModelCapability.Code));
        Assert.Equal(ModelPricing.Free, stored.Pricing);
    }

    [Fact]
    public async Task RefreshAsync_RealRegistry_RoutableByCapabilitiesAndContextWindow()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.AddModel(new OllamaTestModel("llava:13b") { Family = "llama", Capabilities = ["completion", "vision"], ContextLength = 4096 });
        var registry = new ModelRegistry(new ModelRegistryRepository(new Art.Storage.InMemoryStorageAdapter()));
        await registry.InitializeAsync(Ct);

        // Reached through the provider-neutral interface, as the engine would.
        var discovery = Assert.IsAssignableFrom<IModelDiscovery>(adapter);
        await registry.RegisterModelAsync(await discovery.DiscoverModelAsync("llava:13b", Ct), Ct);

        var vision = await registry.FindModelsWithCapabilitiesAsync([ModelCapability.Vision], "ollama", Ct);
        Assert.Contains(vision, m => m.ModelId == "llava:13b" && m.ContextWindow == 4096 && m.Source == ModelInfoSource.Discovered);
        var tools = await registry.FindModelsWithCapabilitiesAsync([ModelCapability.ToolUse], "ollama", Ct);
        Assert.DoesNotContain(tools, m => m.ModelId == "llava:13b");
        Assert.Equal(0m, registry.GetModelInfo("ollama", "llava:13b")!.Pricing!.OutputPerMillion);
    }

    [Fact]
    public async Task ListRunningModelsAsync_Ps_Mapped()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.SetRunning(new OllamaRunningTestModel("llama3.2:latest") { ContextLength = 8192, SizeVramBytes = 4_000_000_000 });

        var running = Assert.Single(await adapter.ListRunningModelsAsync(Ct));

        Assert.Equal("llama3.2:latest", running.Name);
        Assert.Equal(8192, running.ContextLength);
        Assert.Equal(4_000_000_000, running.SizeVramBytes);
        Assert.Equal(new DateTimeOffset(2025, 11, 20, 10, 5, 0, TimeSpan.FromHours(-7)), running.ExpiresAt);
    }

    [Fact]
    public async Task ListModelsAsync_ConnectionRefused_TransientNamingTheUrl()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var adapter = Adapter($"http://127.0.0.1:{port}");

        var ex = await Assert.ThrowsAsync<ProviderException>(() => adapter.ListModelsAsync(Ct));

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.Contains($"Ollama is not reachable at http://127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ollama serve", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamAsync_ConnectionRefused_TransientNamingTheUrl()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var adapter = Adapter($"http://127.0.0.1:{port}");

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(adapter.StreamAsync(Art.Reasoning.ArtPrompt.FromUser("x"), Options(), Ct)));

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.Contains($"http://127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("0.0.0.0", "http://127.0.0.1:11434")]
    [InlineData("127.0.0.1:11435", "http://127.0.0.1:11435")]
    [InlineData(":8080", "http://127.0.0.1:8080")]
    [InlineData("http://gpu-box:11434", "http://gpu-box:11434")]
    [InlineData("https://ollama.example.com", "https://ollama.example.com")]
    [InlineData("https://ollama.example.com:443", "https://ollama.example.com")]
    public void FromOllamaHost_Values_NormalisedLikeTheCli(string? value, string? expected)
    {
        Assert.Equal(expected, OllamaProviderFactory.FromOllamaHost(value));
    }

    [Fact]
    public void Factory_Describes_LocalKeylessOllama()
    {
        var factory = new OllamaProviderFactory();
        Assert.Equal(["ollama"], factory.ProviderNames);
        Assert.True(factory.IsLocalByDefault("ollama"));
        Assert.False(factory.RequiresApiKey("ollama"));
        Assert.Null(factory.ApiKeyEnvironmentVariable("ollama"));
        Assert.StartsWith("http", factory.DefaultBaseUrl("ollama"), StringComparison.Ordinal);
    }

    [Fact]
    public void Aggregator_LayerRepeatsAndLateLayer_NeverGoesBack()
    {
        var a = new OllamaPullProgressAggregator();
        var p1 = a.Add("pulling aaa", "sha256:aaa", 100, 100);
        var p2 = a.Add("pulling bbb", "sha256:bbb", 100, 0); // total doubles: raw percent falls to 50
        var p3 = a.Add("pulling aaa", "sha256:aaa", 100, 40); // a stale smaller completed is ignored
        var p4 = a.Add("success", null, 0, 0);

        Assert.Equal(99.9, p1.Percent);
        Assert.Equal(99.9, p2.Percent);
        Assert.Equal(100, p3.CompletedBytes);
        Assert.Equal(200, p4.TotalBytes);
        Assert.Equal(100, p4.Percent);
        Assert.True(p4.IsComplete);
        _ = JsonSerializer.Serialize(p4);
    }
}
