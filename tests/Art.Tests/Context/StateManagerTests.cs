using System.Text.Json;
using Art.Context;
using Art.Models;
using Art.Storage;
using Art.Storage.Repositories;

namespace Art.Tests.Context;

public sealed class StateManagerTests
{
    private readonly InMemoryStorageAdapter _storage = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private StateManager Create(Func<string, string?>? resolver = null) => new(new StateRepository(_storage), resolver);

    private static ThreadConfig Config(string? instanceId = "main", string? provider = null) => new()
    {
        Reasoning = new ThreadReasoningConfig
        {
            InstanceId = instanceId,
            Provider = provider,
            Model = "m1",
            ModelPreferences = new ModelPreferences { DefaultInstanceId = "a", FallbackInstances = ["b", "c"], PreferCheaperModels = false },
            CostPreferences = new CostPreferences { MaxCostPerCall = 0.5m, MaxCostPerThread = 2m, WarnCostThreshold = 1m },
            AutoDetectCapabilities = true,
        },
        EnabledTools = ["calculator"],
        HistoryLimit = 7,
        SystemPrompt = "be brief",
    };

    [Fact]
    public async Task LoadThreadContext_UnknownThread_ThrowsThreadNotFound()
    {
        var ex = await Assert.ThrowsAsync<ThreadNotFoundException>(() => Create().LoadThreadContextAsync("t-missing", Ct));
        Assert.Equal("t-missing", ex.ThreadId);
        Assert.Null(await Create().GetThreadConfigAsync("t-missing", Ct));
    }

    [Fact]
    public async Task SetThenLoad_RoundTripsConfig_AndKeepsStateOnConfigReplace()
    {
        var manager = Create();
        await manager.SetThreadConfigAsync("t1", Config(), Ct);
        var state = new AgentState(JsonDocument.Parse("""{"step":3}""").RootElement.Clone(), 2);
        await manager.SetAgentStateAsync("t1", state, Ct);
        await manager.SetThreadConfigAsync("t1", Config() with { HistoryLimit = 9 }, Ct);

        var loaded = await manager.LoadThreadContextAsync("t1", Ct);
        Assert.Equal(9, loaded.Config.HistoryLimit);
        Assert.Equal("be brief", loaded.Config.SystemPrompt);
        Assert.Equal(["calculator"], loaded.Config.EnabledTools);
        Assert.Equal(0.5m, loaded.Config.Reasoning.CostPreferences!.MaxCostPerCall);
        Assert.Equal(["b", "c"], loaded.Config.Reasoning.ModelPreferences!.FallbackInstances!);
        Assert.Equal(2, loaded.State!.Version);
        Assert.Equal(3, loaded.State.Data.GetProperty("step").GetInt32());
    }

    [Fact]
    public async Task UpdatePreferences_OnlyModelGiven_ReplacesModelKeepsCostAndEverythingElse()
    {
        var manager = Create();
        await manager.SetThreadConfigAsync("t1", Config(), Ct);
        var newModel = new ModelPreferences
        {
            DefaultInstanceId = "z",
            PreferredModels = new Dictionary<ModelCapability, ModelTarget> { [ModelCapability.Vision] = new() { InstanceId = "v", ModelId = "vm" } },
        };
        await manager.UpdateThreadReasoningPreferencesAsync("t1", modelPreferences: newModel, cancellationToken: Ct);

        var r = (await manager.GetThreadConfigAsync("t1", Ct))!.Reasoning;
        Assert.Equal("z", r.ModelPreferences!.DefaultInstanceId);
        Assert.Null(r.ModelPreferences.FallbackInstances); // replaced whole, not merged
        Assert.True(r.ModelPreferences.PreferCheaperModels); // the new object's default
        Assert.Equal("vm", r.ModelPreferences.PreferredModels![ModelCapability.Vision].ModelId);
        Assert.Equal(0.5m, r.CostPreferences!.MaxCostPerCall);
        Assert.Equal(2m, r.CostPreferences.MaxCostPerThread);
        Assert.Equal(1m, r.CostPreferences.WarnCostThreshold);
        Assert.Equal("main", r.InstanceId);
        Assert.Equal("m1", r.Model);
        Assert.True(r.AutoDetectCapabilities);
    }

    [Fact]
    public async Task UpdatePreferences_OnlyCostGiven_ReplacesCostKeepsModel()
    {
        var manager = Create();
        await manager.SetThreadConfigAsync("t1", Config(), Ct);
        await manager.UpdateThreadReasoningPreferencesAsync("t1", costPreferences: new CostPreferences { MaxTokensPerThread = 1000 }, cancellationToken: Ct);

        var config = (await manager.GetThreadConfigAsync("t1", Ct))!;
        Assert.Equal(1000, config.Reasoning.CostPreferences!.MaxTokensPerThread);
        Assert.Null(config.Reasoning.CostPreferences.MaxCostPerCall);
        Assert.Equal("a", config.Reasoning.ModelPreferences!.DefaultInstanceId);
        Assert.Equal(["b", "c"], config.Reasoning.ModelPreferences.FallbackInstances!);
        Assert.False(config.Reasoning.ModelPreferences.PreferCheaperModels);
        Assert.Equal(7, config.HistoryLimit);
    }

    [Fact]
    public async Task UpdatePreferences_BothNull_ChangesNothing_UnknownThreadThrows()
    {
        var manager = Create();
        await manager.SetThreadConfigAsync("t1", Config(), Ct);
        await manager.UpdateThreadReasoningPreferencesAsync("t1", cancellationToken: Ct);
        var r = (await manager.GetThreadConfigAsync("t1", Ct))!.Reasoning;
        Assert.Equal("a", r.ModelPreferences!.DefaultInstanceId);
        Assert.Equal(2m, r.CostPreferences!.MaxCostPerThread);
        await Assert.ThrowsAsync<ThreadNotFoundException>(() => manager.UpdateThreadReasoningPreferencesAsync("nope", new ModelPreferences(), cancellationToken: Ct));
    }

    [Fact]
    public async Task SetAgentState_UnknownThread_Throws_GetReturnsNull()
    {
        var manager = Create();
        await Assert.ThrowsAsync<ThreadNotFoundException>(() => manager.SetAgentStateAsync("t9", new AgentState(JsonDocument.Parse("{}").RootElement.Clone()), Ct));
        Assert.Null(await manager.GetAgentStateAsync("t9", Ct));
        Assert.Empty(await manager.ListThreadIdsAsync(Ct));
    }

    [Fact]
    public async Task IsToolEnabled_AndListThreadIds()
    {
        var manager = Create();
        await manager.SetThreadConfigAsync("t1", Config(), Ct);
        await manager.SetThreadConfigAsync("t2", Config() with { EnabledTools = [] }, Ct);
        Assert.True(await manager.IsToolEnabledAsync("t1", "calculator", Ct));
        Assert.False(await manager.IsToolEnabledAsync("t1", "Calculator", Ct));
        Assert.False(await manager.IsToolEnabledAsync("t2", "calculator", Ct));
        Assert.False(await manager.IsToolEnabledAsync("unknown", "calculator", Ct));
        Assert.Equal(["t1", "t2"], (await manager.ListThreadIdsAsync(Ct)).Order());
    }

    [Fact]
    public async Task Load_LegacyProvider_ResolvesToInstance_StoredConfigUnchanged()
    {
        var asked = new List<string>();
        var manager = Create(p => { asked.Add(p); return p == "ollama" ? "ollama-local" : null; });
        await manager.SetThreadConfigAsync("t1", Config(instanceId: null, provider: "ollama"), Ct);

        var loaded = await manager.LoadThreadContextAsync("t1", Ct);
        Assert.Equal("ollama-local", loaded.Config.Reasoning.InstanceId);
        Assert.Equal(["ollama"], asked);

        // The update path keeps the legacy field as written.
        await manager.UpdateThreadReasoningPreferencesAsync("t1", costPreferences: new CostPreferences(), cancellationToken: Ct);
        var raw = await new StateRepository(_storage).GetAsync("t1", Ct);
        Assert.Null(raw!.Config.Reasoning.InstanceId);
        Assert.Equal("ollama", raw.Config.Reasoning.Provider);
    }

    [Fact]
    public async Task Load_InstanceIdSet_ResolverNotAsked()
    {
        var manager = Create(_ => throw new InvalidOperationException("must not be called"));
        await manager.SetThreadConfigAsync("t1", Config(instanceId: "main", provider: "openai"), Ct);
        Assert.Equal("main", (await manager.LoadThreadContextAsync("t1", Ct)).Config.Reasoning.InstanceId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Load_LegacyProviderUnresolvable_ThrowsConfigurationErrorNamingThreadAndProvider(bool withResolver)
    {
        var manager = Create(withResolver ? _ => null : null);
        await manager.SetThreadConfigAsync("thread-7", Config(instanceId: null, provider: "anthropic"), Ct);
        var ex = await Assert.ThrowsAsync<ArtConfigurationException>(() => manager.LoadThreadContextAsync("thread-7", Ct));
        Assert.Contains("thread-7", ex.Message, StringComparison.Ordinal);
        Assert.Contains("anthropic", ex.Message, StringComparison.Ordinal);
    }
}
