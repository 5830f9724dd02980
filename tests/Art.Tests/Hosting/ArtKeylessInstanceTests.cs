using Art.Hosting;
using Art.Reasoning;
using Art.Testing;

namespace Art.Tests.Hosting;

/// <summary>A host whose remote instance has no API key still builds and serves from its other instance.</summary>
public sealed class ArtKeylessInstanceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ArtOptions Options() => new()
    {
        Storage = new ArtStorageOptions { Kind = "memory" },
        Providers =
        [
            new ArtProviderOptions { Id = "cloud", Provider = "needs-key", Model = "big" },
            new ArtProviderOptions { Id = "s1", Provider = "scripted", BaseUrl = "https://scripted.invalid", Model = "m1" },
        ],
        Engine = new ArtEngineOptions { MaxRetriesPerInstance = 0, BaseBackoff = TimeSpan.Zero },
    };

    [Fact]
    public async Task CreateArtInstance_KeylessRemote_BuildsListsItUnavailableAndChatsThroughTheOther()
    {
        var scripted = new ScriptedProviderFactory();
        scripted.For("s1").Enqueue(ScriptedResponse.Text("from s1"));
        var keyed = new NeedsKeyFactory();
        await using var art = await ArtHost.CreateArtInstanceAsync(Options(), b => b.AddProviderFactory(scripted).AddProviderFactory(keyed), Ct);

        Assert.Equal(["cloud", "s1"], art.ProviderInstanceManager.Instances.Select(i => i.Id));
        Assert.False(art.ProviderInstanceManager.IsAvailable("cloud", out var reason));
        Assert.Contains("no API key for instance 'cloud'", reason, StringComparison.Ordinal);
        Assert.True(art.ProviderInstanceManager.IsAvailable("s1", out _));
        Assert.Equal(0, keyed.Created);

        var answer = new System.Text.StringBuilder();
        await foreach (var e in art.StreamChatAsync("t", "hi", cancellationToken: Ct))
        {
            if (e is ContentDelta delta)
            {
                answer.Append(delta.Text);
            }
        }

        Assert.Equal("from s1", answer.ToString());
    }

    [Fact]
    public async Task StreamChat_ExplicitKeylessInstance_ThrowsConfigurationErrorWithTheWaysToGiveAKey()
    {
        var scripted = new ScriptedProviderFactory();
        await using var art = await ArtHost.CreateArtInstanceAsync(Options(), b => b.AddProviderFactory(scripted).AddProviderFactory(new NeedsKeyFactory()), Ct);

        var ex = await Assert.ThrowsAsync<ArtConfigurationException>(async () =>
        {
            await foreach (var _ in art.StreamChatAsync("t", "hi", new ChatTurnOptions { InstanceId = "cloud" }, Ct))
            {
            }
        });

        Assert.Equal("cloud", ex.Entry);
        Assert.Contains("'cloud' is unavailable", ex.Message, StringComparison.Ordinal);
        Assert.Contains("apiKey", ex.Message, StringComparison.Ordinal);
        Assert.Contains("art keys set cloud", ex.Message, StringComparison.Ordinal);
        Assert.Empty(scripted.For("s1").Requests);
        await Assert.ThrowsAsync<UnknownInstanceException>(async () =>
        {
            await foreach (var _ in art.StreamChatAsync("t", "hi", new ChatTurnOptions { InstanceId = "nope" }, Ct))
            {
            }
        });
    }

    /// <summary>A remote provider type that needs a key (none is given in these tests).</summary>
    private sealed class NeedsKeyFactory : IProviderFactory
    {
        public int Created { get; private set; }

        public IReadOnlyList<string> ProviderNames { get; } = ["needs-key"];

        public bool IsLocalByDefault(string providerName) => false;

        public string? ApiKeyEnvironmentVariable(string providerName) => null;

        public bool RequiresApiKey(string providerName) => true;

        public string? DefaultBaseUrl(string providerName) => "https://example.invalid";

        public IProviderAdapter Create(ProviderAdapterContext context)
        {
            Created++;
            return new ScriptedProviderAdapter(context.Config.Id);
        }
    }
}
