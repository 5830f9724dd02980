using System.Text.Json;
using Art.Context;
using Art.Hosting;
using Art.Reasoning;
using Art.Secrets;
using Art.Sqlite;
using Art.Storage;
using Art.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Art.Tests.Hosting;

public sealed class ArtHostingTests
{
    private static ArtOptions ScriptedOptions(string? storageKind = "memory") => new()
    {
        Storage = new ArtStorageOptions { Kind = storageKind! },
        Providers = [new ArtProviderOptions { Id = "s1", Provider = "scripted", BaseUrl = "https://scripted.invalid", Model = "m1" }, new ArtProviderOptions { Id = "s2", Provider = "scripted", BaseUrl = "https://scripted.invalid", Model = "m2" }],
        Defaults = new ArtDefaultsOptions { SystemPrompt = "You are terse.", HistoryLimit = 10, ModelPreferences = new ArtModelPreferencesOptions { FallbackInstances = ["s2"] } },
        Engine = new ArtEngineOptions { MaxRetriesPerInstance = 0, BaseBackoff = TimeSpan.Zero },
    };

    [Fact]
    public async Task CreateArtInstance_ScriptedProvider_StreamChatPersistsTurnAndSendsHistory()
    {
        var factory = new ScriptedProviderFactory();
        factory.For("s1").Enqueue(ScriptedResponse.Text("Hello ", "Ada.").Usage(10, 2), ScriptedResponse.Text("Ada."));
        await using var art = await ArtHost.CreateArtInstanceAsync(ScriptedOptions(), b => b.AddProviderFactory(factory), TestContext.Current.CancellationToken);

        var first = await Collect(art.StreamChatAsync("t", "I am Ada.", cancellationToken: TestContext.Current.CancellationToken));
        var second = await Collect(art.StreamChatAsync("t", "Who am I?", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal("Hello Ada.", first);
        Assert.Equal("Ada.", second);
        var sent = factory.For("s1").Requests[^1].Prompt.Messages;
        Assert.Equal(
            [(MessageRole.System, "You are terse."), (MessageRole.User, "I am Ada."), (MessageRole.Assistant, "Hello Ada."), (MessageRole.User, "Who am I?")],
            sent.Select(m => (m.Role, m.Text)));
        var stored = await art.ConversationManager.GetMessagesAsync("t", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["I am Ada.", "Hello Ada.", "Who am I?", "Ada."], stored.Select(m => m.Content));
        var usage = await art.CostTracker.GetThreadUsageAsync("t", TestContext.Current.CancellationToken);
        Assert.Equal(2, usage.Total.Calls);
    }

    [Fact]
    public async Task ProcessAsync_NewThread_CreatedFromDefaultsAndAgentAnswers()
    {
        var factory = new ScriptedProviderFactory();
        factory.For("s1").DefaultResponse = ScriptedResponse.Text("Agent answer.");
        var options = ScriptedOptions();
        options.Defaults.EnabledTools = [];
        await using var art = await ArtHost.CreateArtInstanceAsync(options, b => b.AddProviderFactory(factory), TestContext.Current.CancellationToken);

        var response = await art.ProcessAsync("agent-thread", "Say something.", TestContext.Current.CancellationToken);

        Assert.Equal(Art.Agents.AgentStatus.Success, response.Status);
        Assert.Equal("Agent answer.", response.Message.Content);
        Assert.NotNull(await art.StateManager.GetThreadConfigAsync("agent-thread", TestContext.Current.CancellationToken));
        var stored = await art.ConversationManager.GetMessagesAsync("agent-thread", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["Say something.", "Agent answer."], stored.Select(m => m.Content));
    }

    [Fact]
    public async Task StreamChat_PrimaryFails_FallsBackToDefaultsFallbackInstance()
    {
        var factory = new ScriptedProviderFactory();
        factory.For("s1").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.Transient, "down"));
        factory.For("s2").Enqueue(ScriptedResponse.Text("from s2"));
        await using var art = await ArtHost.CreateArtInstanceAsync(ScriptedOptions(), b => b.AddProviderFactory(factory), TestContext.Current.CancellationToken);

        var events = new List<StreamEvent>();
        await foreach (var e in art.StreamChatAsync("t", "hi", cancellationToken: TestContext.Current.CancellationToken))
        {
            events.Add(e);
        }

        Assert.Equal("from s2", string.Concat(events.OfType<ContentDelta>().Select(d => d.Text)));
        Assert.Equal("s2", events.OfType<Completed>().Single().InstanceId);
    }

    [Fact]
    public async Task StreamChat_Cancelled_KeepsOnlyUserMessage()
    {
        var factory = new ScriptedProviderFactory();
        factory.For("s1").Enqueue(ScriptedResponse.Text("partial ").HangUntilCancelled());
        await using var art = await ArtHost.CreateArtInstanceAsync(ScriptedOptions(), b => b.AddProviderFactory(factory), TestContext.Current.CancellationToken);
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in art.StreamChatAsync("t", "hi", cancellationToken: cts.Token))
            {
                if (e is ContentDelta)
                {
                    await cts.CancelAsync();
                }
            }
        });

        var stored = await art.ConversationManager.GetMessagesAsync("t", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal([MessageRole.User], stored.Select(m => m.Role));
    }

    [Fact]
    public async Task GetOrCreateThread_NewThread_GetsDefaultsExistingKeepsItsConfig()
    {
        await using var art = await ArtHost.CreateArtInstanceAsync(ScriptedOptions(), b => b.AddProviderFactory(new ScriptedProviderFactory()), TestContext.Current.CancellationToken);
        var custom = new ThreadConfig { Reasoning = new ThreadReasoningConfig { InstanceId = "s2" }, HistoryLimit = 3 };
        await art.StateManager.SetThreadConfigAsync("mine", custom, TestContext.Current.CancellationToken);

        var created = await art.GetOrCreateThreadAsync("fresh", TestContext.Current.CancellationToken);
        var kept = await art.GetOrCreateThreadAsync("mine", TestContext.Current.CancellationToken);

        Assert.Equal("s1", created.Reasoning.InstanceId);
        Assert.Equal(["s2"], created.Reasoning.ModelPreferences!.FallbackInstances!);
        Assert.Equal(["calculator"], created.EnabledTools);
        Assert.Equal("fresh", Assert.Single(await art.StateManager.ListThreadIdsAsync(TestContext.Current.CancellationToken), id => id == "fresh"));
        Assert.Equal("s2", kept.Reasoning.InstanceId);
        Assert.Equal(3, kept.HistoryLimit);
        Assert.Null(kept.Reasoning.ModelPreferences);
        Assert.NotNull(art.ToolRegistry.GetExecutor("calculator"));
    }

    [Fact]
    public async Task Build_SqliteKindWithoutAddSqlite_NamesStorageKind()
    {
        var error = await Assert.ThrowsAsync<ArtConfigurationException>(() => ArtHost.CreateArtInstanceAsync(ScriptedOptions("sqlite"), b => b.AddProviderFactory(new ScriptedProviderFactory()), TestContext.Current.CancellationToken));

        Assert.Equal("storage:kind", error.Entry);
        Assert.Contains("AddSqlite", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_UnknownProvider_FailsWithConfigurationError()
    {
        var options = ScriptedOptions();
        options.Providers.Add(new ArtProviderOptions { Id = "x", Provider = "nobody" });

        await Assert.ThrowsAsync<ArtConfigurationException>(() => ArtHost.CreateArtInstanceAsync(options, b => b.AddProviderFactory(new ScriptedProviderFactory()), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Build_EncryptedSecretsWithPassword_KeyResolvesForInstance()
    {
        var storage = new InMemoryStorageAdapter();
        using (var setup = new EncryptedSecretsRepository(storage))
        {
            await setup.UnlockWithPasswordAsync("pw", TestContext.Current.CancellationToken);
            await setup.SaveApiKeyAsync("keyed", "sk-from-store", TestContext.Current.CancellationToken);
        }

        var keyed = new KeyCapturingFactory();
        var options = new ArtOptions { Storage = new ArtStorageOptions { Kind = "memory" }, Providers = [new ArtProviderOptions { Id = "keyed", Provider = "needs-key" }] };
        await using var art = await ArtHost.CreateArtInstanceAsync(options, b => b.UseStorage(storage).UseEncryptedSecrets("pw").AddProviderFactory(keyed), TestContext.Current.CancellationToken);

        Assert.Equal("sk-from-store", keyed.SeenKey);
        Assert.NotNull(art.Secrets);
        Assert.False(art.Secrets!.IsLocked);
        await art.DisposeAsync();
        Assert.True(art.Secrets.IsLocked);
    }

    [Fact]
    public async Task AddArt_FromJsonFile_ResolvesWorkingInstanceAndInterfaces()
    {
        var folder = Directory.CreateTempSubdirectory("art-hosting-");
        try
        {
            var db = Path.Join(folder.FullName, "art.db");
            var file = Path.Join(folder.FullName, "appsettings.json");
            await File.WriteAllTextAsync(file, $$"""
                {
                  "Art": {
                    "storage": { "kind": "sqlite", "path": {{JsonSerializer.Serialize(db)}} },
                    "providers": [ { "id": "s1", "provider": "scripted", "baseUrl": "https://scripted.invalid", "model": "m1" } ],
                    "defaults": { "historyLimit": 5 },
                    "engine": { "firstTokenTimeout": "00:00:30" }
                  }
                }
                """, TestContext.Current.CancellationToken);
            var configuration = new ConfigurationBuilder().AddJsonFile(file).Build();
            var factory = new ScriptedProviderFactory();
            factory.For("s1").Enqueue(ScriptedResponse.Text("from DI"));
            var services = new ServiceCollection();
            services.AddArt(configuration, b => b.AddSqlite().AddProviderFactory(factory));

            await using (var provider = services.BuildServiceProvider())
            {
                var accessor = provider.GetRequiredService<ArtInstanceAccessor>();
                var art = await accessor.GetAsync(TestContext.Current.CancellationToken);
                Assert.Same(art, provider.GetRequiredService<ArtInstance>());
                Assert.Same(art.ReasoningEngine, provider.GetRequiredService<IReasoningEngine>());
                Assert.Same(art.StateManager, provider.GetRequiredService<IStateManager>());
                Assert.Same(art.Storage, provider.GetRequiredService<IStorageAdapter>());

                var answer = await Collect(art.StreamChatAsync("di", "hello", cancellationToken: TestContext.Current.CancellationToken));

                Assert.Equal("from DI", answer);
                Assert.Equal(5, (await art.GetOrCreateThreadAsync("di", TestContext.Current.CancellationToken)).HistoryLimit);
            }

            Assert.True(File.Exists(db));
            await using var reopened = new SqliteStorageAdapter(db);
            var messages = await new Art.Storage.Repositories.ConversationRepository(reopened).GetAsync("di", cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(["hello", "from DI"], messages.Select(m => m.Content));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AddArt_InvalidConfiguration_ThrowsOnFirstResolution()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["providers:0:id"] = "a" }).Build();
        var services = new ServiceCollection();
        services.AddArt(configuration);
        await using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<ArtConfigurationException>(() => provider.GetRequiredService<ArtInstanceAccessor>().GetAsync(TestContext.Current.CancellationToken));
        Assert.Contains("providers:0:provider", error.Message, StringComparison.Ordinal);
    }

    private static async Task<string> Collect(IAsyncEnumerable<StreamEvent> events)
    {
        var text = new System.Text.StringBuilder();
        await foreach (var e in events)
        {
            if (e is ContentDelta d)
            {
                text.Append(d.Text);
            }
        }

        return text.ToString();
    }

    /// <summary>A provider type that needs a key and records the one it was given.</summary>
    private sealed class KeyCapturingFactory : IProviderFactory
    {
        public string? SeenKey { get; private set; }

        public IReadOnlyList<string> ProviderNames { get; } = ["needs-key"];

        public bool IsLocalByDefault(string providerName) => false;

        public string? ApiKeyEnvironmentVariable(string providerName) => null;

        public bool RequiresApiKey(string providerName) => true;

        public string? DefaultBaseUrl(string providerName) => "https://example.invalid";

        public IProviderAdapter Create(ProviderAdapterContext context)
        {
            SeenKey = context.Config.ApiKey;
            return new ScriptedProviderAdapter(context.Config.Id);
        }
    }
}
