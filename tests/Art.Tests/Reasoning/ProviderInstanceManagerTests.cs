using Art.Reasoning;
using Microsoft.Extensions.Time.Testing;

namespace Art.Tests.Reasoning;

public sealed class ProviderInstanceManagerTests
{
    private const string SecretKey = "sk-test-SECRET-0123456789abcdef";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ProviderFactoryRegistry Registry(out FakeProviderFactory remote, out FakeProviderFactory local, bool requiresKey = false)
    {
        remote = new FakeProviderFactory("fake", "fake-compatible") { RequiresKey = requiresKey };
        local = new FakeProviderFactory("local-fake") { LocalByDefault = true, EnvironmentVariable = null, DefaultUrl = "http://127.0.0.1:11434" };
        return new ProviderFactoryRegistry().Register(remote).Register(local);
    }

    private static async Task<ProviderInstanceManager> CreateAsync(ProviderFactoryRegistry registry, ProviderInstanceManagerOptions? options, params ProviderInstanceConfig[] configs)
    {
        var manager = new ProviderInstanceManager(configs, registry, options ?? new ProviderInstanceManagerOptions { EnvironmentReader = _ => null });
        await manager.InitializeAsync(Ct);
        return manager;
    }

    private static ProviderInstanceConfig Local(string id, string url = "http://127.0.0.1:11434", int? max = null, TimeSpan? timeout = null) =>
        new() { Id = id, Provider = "local-fake", BaseUrl = url, MaxConcurrency = max, QueueTimeout = timeout };

    [Fact]
    public void Register_SameNameTwiceAnyCase_Throws()
    {
        var registry = new ProviderFactoryRegistry().Register(new FakeProviderFactory("openai"));
        var ex = Assert.Throws<ArtConfigurationException>(() => registry.Register(new FakeProviderFactory("deepseek", "OpenAI")));
        Assert.Contains("OpenAI", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["openai"], registry.ProviderNames);
        Assert.True(registry.TryGetFactory("OPENAI", out _));
    }

    [Fact]
    public async Task InitializeAsync_SeveralBadEntries_OneExceptionNamingEveryEntry()
    {
        var registry = Registry(out var remote, out _);
        var manager = new ProviderInstanceManager(
        [
            new ProviderInstanceConfig { Id = " ", Provider = "fake" },
            new ProviderInstanceConfig { Id = "dup", Provider = "fake" },
            new ProviderInstanceConfig { Id = "dup", Provider = "fake" },
            new ProviderInstanceConfig { Id = "typo", Provider = "opnai" },
            new ProviderInstanceConfig { Id = "ftp", Provider = "fake", BaseUrl = "ftp://host/x" },
            new ProviderInstanceConfig { Id = "relative", Provider = "fake", BaseUrl = "/v1" },
            new ProviderInstanceConfig { Id = "negmax", Provider = "fake", MaxConcurrency = -1 },
            new ProviderInstanceConfig { Id = "negwait", Provider = "fake", QueueTimeout = TimeSpan.FromSeconds(-5) },
            new ProviderInstanceConfig { Id = "fine", Provider = "fake" },
        ], registry, new ProviderInstanceManagerOptions { EnvironmentReader = _ => null });

        var ex = await Assert.ThrowsAsync<ArtConfigurationException>(() => manager.InitializeAsync(Ct));

        Assert.Contains("(7 problems)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("entry #1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'dup' is used by entries #2 and #3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unknown provider 'opnai'; known providers: fake, fake-compatible, local-fake", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'ftp' (#5) has an unusable baseUrl 'ftp://host/x'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'relative' (#6) has an unusable baseUrl", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'negmax' (#7) has maxConcurrency -1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'negwait' (#8) has a negative queueTimeout", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("fine", ex.Message, StringComparison.Ordinal);
        Assert.Contains("typo", ex.Entry, StringComparison.Ordinal);
        Assert.Empty(remote.Created);
        Assert.Throws<InvalidOperationException>(() => manager.Instances);
    }

    [Fact]
    public async Task InitializeAsync_NoBaseUrlAndNoDefault_IsConfigError()
    {
        var registry = new ProviderFactoryRegistry().Register(new FakeProviderFactory("openai-compatible") { DefaultUrl = null });
        var manager = new ProviderInstanceManager([new ProviderInstanceConfig { Id = "lm", Provider = "openai-compatible" }], registry, new ProviderInstanceManagerOptions { EnvironmentReader = _ => null });
        var ex = await Assert.ThrowsAsync<ArtConfigurationException>(() => manager.InitializeAsync(Ct));
        Assert.Contains("'lm' (#1) (openai-compatible) has no baseUrl", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("local-fake", null, null, true)]
    [InlineData("fake", "http://127.0.0.1:8080", null, true)]
    [InlineData("fake", "http://localhost:1234/v1", null, true)]
    [InlineData("fake", "http://[::1]:1234", null, true)]
    [InlineData("fake", "http://127.0.0.2:1234", null, true)]
    [InlineData("fake", "https://api.example.com/v1", null, false)]
    [InlineData("fake", null, null, false)]
    [InlineData("fake", "http://localhost:8080", false, false)]
    [InlineData("local-fake", "http://192.168.1.20:11434", null, true)]
    [InlineData("fake", "https://gpu-box.lan", true, true)]
    public async Task InitializeAsync_IsLocal_AutoDetectedFromFactoryAndLoopbackUrl(string provider, string? url, bool? configured, bool expected)
    {
        await using var manager = await CreateAsync(Registry(out _, out _), null, new ProviderInstanceConfig { Id = "i", Provider = provider, BaseUrl = url, IsLocal = configured });
        Assert.Equal(expected, manager.IsLocal("i"));
        Assert.Equal(expected, manager.GetConfig("i").IsLocal);
    }

    [Fact]
    public async Task InitializeAsync_NoBaseUrl_DefaultsFromFactoryAndAdapterGetsResolvedConfig()
    {
        var registry = Registry(out var remote, out _);
        await using var manager = await CreateAsync(registry, null, new ProviderInstanceConfig { Id = "a", Provider = "FAKE" });
        Assert.Equal("https://api.fake.example/v1", manager.GetConfig("a").BaseUrl);
        var context = Assert.Single(remote.Created);
        Assert.Equal("https://api.fake.example/v1", context.Config.BaseUrl);
        Assert.Equal(false, context.Config.IsLocal);
        Assert.Same(remote.Adapters[0], manager.GetAdapter("a"));
        Assert.True(manager.TryGetAdapter("a", out var adapter));
        Assert.Same(remote.Adapters[0], adapter);
        Assert.False(manager.TryGetAdapter("zzz", out _));
        var unknown = Assert.Throws<UnknownInstanceException>(() => manager.GetAdapter("zzz"));
        Assert.Contains("Configured instances: a", unknown.Message, StringComparison.Ordinal);
        Assert.Equal("a", manager.FindFirstInstanceOfProvider("fake"));
        Assert.Null(manager.FindFirstInstanceOfProvider("local-fake"));
    }

    [Fact]
    public async Task InitializeAsync_KeyInConfig_WinsOverEnvironmentAndSecrets_AndIsRedacted()
    {
        var registry = Registry(out var remote, out _, requiresKey: true);
        var secrets = new FakeSecretsRepository();
        secrets.Keys["a"] = "from-secrets";
        var options = new ProviderInstanceManagerOptions { EnvironmentReader = _ => "from-env", SecretsRepository = secrets };
        await using var manager = await CreateAsync(registry, options, new ProviderInstanceConfig { Id = "a", Provider = "fake", ApiKey = SecretKey });

        Assert.Equal(SecretKey, remote.Created[0].Config.ApiKey);
        Assert.Equal("***", manager.GetConfig("a").ApiKey);
        Assert.Equal("***", manager.Instances[0].ApiKey);
        Assert.DoesNotContain(SecretKey, manager.GetConfig("a").ToString(), StringComparison.Ordinal);
        Assert.Equal(0, secrets.Reads);
    }

    [Fact]
    public async Task InitializeAsync_NoConfigKey_ReadsFactoryOrInstanceEnvironmentVariableBeforeSecrets()
    {
        var registry = Registry(out var remote, out _, requiresKey: true);
        var env = new Dictionary<string, string> { ["FAKE_API_KEY"] = "factory-env", ["WORK_KEY"] = "instance-env" };
        var secrets = new FakeSecretsRepository();
        secrets.Keys["a"] = "from-secrets";
        secrets.Keys["b"] = "from-secrets";
        var options = new ProviderInstanceManagerOptions { EnvironmentReader = n => env.GetValueOrDefault(n), SecretsRepository = secrets };
        await using var manager = await CreateAsync(registry, options,
            new ProviderInstanceConfig { Id = "a", Provider = "fake" },
            new ProviderInstanceConfig { Id = "b", Provider = "fake", ApiKeyEnvironmentVariable = "WORK_KEY" });

        Assert.Equal("factory-env", remote.Created[0].Config.ApiKey);
        Assert.Equal("instance-env", remote.Created[1].Config.ApiKey);
        Assert.Equal(0, secrets.Reads);
    }

    [Fact]
    public async Task InitializeAsync_NoConfigOrEnvironmentKey_ReadsUnlockedSecrets()
    {
        var registry = Registry(out var remote, out _, requiresKey: true);
        var secrets = new FakeSecretsRepository();
        secrets.Keys["a"] = "from-secrets";
        await using var manager = await CreateAsync(registry, new ProviderInstanceManagerOptions { EnvironmentReader = _ => null, SecretsRepository = secrets },
            new ProviderInstanceConfig { Id = "a", Provider = "fake" });
        Assert.Equal("from-secrets", remote.Created[0].Config.ApiKey);
    }

    [Fact]
    public async Task InitializeAsync_LockedSecretsAndNoKey_InstanceUnavailableWithAllWaysWithoutKeyText()
    {
        var registry = Registry(out var remote, out _, requiresKey: true);
        var secrets = new FakeSecretsRepository { IsLocked = true };
        secrets.Keys["a"] = SecretKey;
        secrets.Keys["b"] = SecretKey;
        var env = new Dictionary<string, string> { ["OTHER"] = SecretKey };
        var manager = new ProviderInstanceManager(
        [
            new ProviderInstanceConfig { Id = "a", Provider = "fake" },
            new ProviderInstanceConfig { Id = "b", Provider = "fake", ApiKeyEnvironmentVariable = "B_KEY" },
            new ProviderInstanceConfig { Id = "ok", Provider = "local-fake" },
        ], registry, new ProviderInstanceManagerOptions { EnvironmentReader = n => env.GetValueOrDefault(n), SecretsRepository = secrets });

        await using (manager)
        {
            await manager.InitializeAsync(Ct);

            Assert.Equal(["a", "b", "ok"], manager.Instances.Select(i => i.Id));
            Assert.False(manager.IsAvailable("a", out var reasonA));
            Assert.False(manager.IsAvailable("b", out var reasonB));
            Assert.True(manager.IsAvailable("ok", out var reasonOk));
            Assert.Null(reasonOk);
            Assert.Contains("no API key for instance 'a' (fake)", reasonA, StringComparison.Ordinal);
            Assert.Contains("apiKey", reasonA, StringComparison.Ordinal);
            Assert.Contains("FAKE_API_KEY", reasonA, StringComparison.Ordinal);
            Assert.Contains("art keys set a", reasonA, StringComparison.Ordinal);
            Assert.Contains("secrets repository is locked", reasonA, StringComparison.Ordinal);
            Assert.Contains("B_KEY", reasonB, StringComparison.Ordinal);
            Assert.Contains("instance 'b'", reasonB, StringComparison.Ordinal);

            var ex = Assert.Throws<ArtConfigurationException>(() => manager.GetAdapter("a"));
            Assert.Equal("a", ex.Entry);
            Assert.Contains("'a' is unavailable", ex.Message, StringComparison.Ordinal);
            Assert.Contains("FAKE_API_KEY", ex.Message, StringComparison.Ordinal);
            foreach (var text in new[] { reasonA!, reasonB!, ex.Message })
            {
                Assert.DoesNotContain(SecretKey, text, StringComparison.Ordinal);
                Assert.DoesNotContain("sk-", text, StringComparison.Ordinal);
            }

            Assert.Equal(0, secrets.Reads);
            Assert.Empty(remote.Created);
        }
    }

    [Fact]
    public async Task InitializeAsync_KeylessRemoteAndLocal_LocalServesKeylessListedButUnusable()
    {
        var registry = Registry(out var remote, out var local, requiresKey: true);
        await using var manager = await CreateAsync(registry, null,
            new ProviderInstanceConfig { Id = "openai", Provider = "fake", Model = "gpt" },
            Local("ollama", max: 1));

        Assert.Equal(["openai", "ollama"], manager.Instances.Select(i => i.Id));
        Assert.Equal("fake", manager.GetConfig("openai").Provider);
        Assert.False(manager.IsLocal("openai"));
        Assert.Empty(remote.Created);
        Assert.False(manager.TryGetAdapter("openai", out _));
        Assert.Equal("openai", Assert.Throws<ArtConfigurationException>(() => manager.GetAdapter("openai")).Entry);
        var acquire = await Assert.ThrowsAsync<ArtConfigurationException>(async () => await manager.AcquireAsync("openai", Ct));
        Assert.Contains("FAKE_API_KEY", acquire.Message, StringComparison.Ordinal);
        Assert.Null(manager.GetGateKey("openai"));

        Assert.True(manager.TryGetAdapter("ollama", out var adapter));
        Assert.Same(local.Adapters[0], adapter);
        Assert.Same(adapter, manager.GetAdapter("ollama"));
        using (var lease = await manager.AcquireAsync("ollama", Ct))
        {
            Assert.Equal("ollama", lease.InstanceId);
        }

        Assert.Throws<UnknownInstanceException>(() => manager.IsAvailable("nope", out _));
    }

    [Fact]
    public async Task InitializeAsync_StructuralErrorBesideKeylessInstance_StillFailsNamingOnlyTheStructuralEntry()
    {
        var registry = Registry(out var remote, out _, requiresKey: true);
        var manager = new ProviderInstanceManager(
        [
            new ProviderInstanceConfig { Id = "keyless", Provider = "fake" },
            new ProviderInstanceConfig { Id = "typo", Provider = "opnai" },
            new ProviderInstanceConfig { Id = "typo", Provider = "fake", ApiKey = SecretKey },
        ], registry, new ProviderInstanceManagerOptions { EnvironmentReader = _ => null });

        var ex = await Assert.ThrowsAsync<ArtConfigurationException>(() => manager.InitializeAsync(Ct));

        Assert.Contains("(2 problems)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unknown provider 'opnai'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'typo' is used by entries #2 and #3", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("keyless", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretKey, ex.Message, StringComparison.Ordinal);
        Assert.Empty(remote.Created);
        Assert.Throws<InvalidOperationException>(() => manager.Instances);
    }

    [Fact]
    public async Task InitializeAsync_RealSecretsRepository_UnlockedIsReadAndLockedIsSkipped()
    {
        using var secrets = new Art.Secrets.EncryptedSecretsRepository(new Art.Storage.InMemoryStorageAdapter());
        await secrets.UnlockWithPasswordAsync("correct horse battery staple", Ct);
        await secrets.SaveApiKeyAsync("a", SecretKey, Ct);

        var registry = Registry(out var remote, out _, requiresKey: true);
        await using (var manager = await CreateAsync(registry, new ProviderInstanceManagerOptions { EnvironmentReader = _ => null, SecretsRepository = secrets },
            new ProviderInstanceConfig { Id = "a", Provider = "fake" }))
        {
            Assert.Equal(SecretKey, remote.Created[0].Config.ApiKey);
            Assert.Equal("***", manager.GetConfig("a").ApiKey);
        }

        secrets.Lock();
        var locked = new ProviderInstanceManager([new ProviderInstanceConfig { Id = "a", Provider = "fake" }], Registry(out _, out _, requiresKey: true),
            new ProviderInstanceManagerOptions { EnvironmentReader = _ => null, SecretsRepository = secrets });
        await using (locked)
        {
            await locked.InitializeAsync(Ct);
            Assert.False(locked.IsAvailable("a", out var reason));
            Assert.Contains("no API key for instance 'a' (fake)", reason, StringComparison.Ordinal);
            Assert.DoesNotContain(SecretKey, reason!, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task InitializeAsync_FactoryThrows_WrapsNamingInstanceScrubsKeyAndDisposesCreated()
    {
        var local = new FakeProviderFactory("local-fake") { LocalByDefault = true, DefaultUrl = "http://127.0.0.1:11434" };
        var broken = new FakeProviderFactory("broken") { FailWith = c => new InvalidOperationException("bad key " + c.Config.ApiKey) };
        var registry = new ProviderFactoryRegistry().Register(local).Register(broken);
        var manager = new ProviderInstanceManager(
            [Local("first"), new ProviderInstanceConfig { Id = "second", Provider = "broken", ApiKey = SecretKey }],
            registry, new ProviderInstanceManagerOptions { EnvironmentReader = _ => null });

        var ex = await Assert.ThrowsAsync<ArtConfigurationException>(() => manager.InitializeAsync(Ct));
        Assert.Contains("instance 'second' (broken)", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretKey, ex.Message, StringComparison.Ordinal);
        Assert.Equal("second", ex.Entry);
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        Assert.Equal(1, local.Adapters[0].Disposals);
    }

    [Fact]
    public async Task DisposeAsync_Twice_DisposesEachAdapterOnce()
    {
        var registry = Registry(out var remote, out var local);
        var manager = await CreateAsync(registry, null, Local("l"), new ProviderInstanceConfig { Id = "r", Provider = "fake" });
        await manager.DisposeAsync();
        await manager.DisposeAsync();
        Assert.Equal(1, local.Adapters[0].Disposals);
        Assert.Equal(1, remote.Adapters[0].Disposals);
    }

    [Fact]
    public async Task AcquireAsync_SameLocalHost_SecondWaitsUntilFirstLeaseIsDisposed()
    {
        var time = new FakeTimeProvider();
        await using var manager = await CreateAsync(Registry(out _, out _), new ProviderInstanceManagerOptions { TimeProvider = time, EnvironmentReader = _ => null }, Local("l"));

        var first = await manager.AcquireAsync("l", Ct);
        var second = manager.AcquireAsync("l", Ct).AsTask();
        await Task.Delay(50, Ct);
        Assert.False(second.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(3));
        first.Dispose();
        using var lease = await second.WaitAsync(Wait, Ct);
        Assert.Equal("l", lease.InstanceId);
        Assert.Equal(TimeSpan.FromSeconds(3), lease.Waited);
    }

    [Fact]
    public async Task AcquireAsync_LocalBusyPastQueueTimeout_ThrowsLocalInstanceBusy()
    {
        var time = new FakeTimeProvider();
        await using var manager = await CreateAsync(Registry(out _, out _), new ProviderInstanceManagerOptions { TimeProvider = time, EnvironmentReader = _ => null },
            Local("l", url: "http://localhost:11434", timeout: TimeSpan.FromSeconds(10)));

        using var first = await manager.AcquireAsync("l", Ct);
        var second = manager.AcquireAsync("l", Ct).AsTask();
        time.Advance(TimeSpan.FromSeconds(9));
        await Task.Delay(20, Ct);
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        var ex = await Assert.ThrowsAsync<LocalInstanceBusyException>(() => second.WaitAsync(Wait, Ct));
        Assert.Equal("l", ex.InstanceId);
        Assert.Equal("localhost:11434", ex.Host);
        Assert.Equal(TimeSpan.FromSeconds(10), ex.Waited);
    }

    [Fact]
    public async Task AcquireAsync_LocalDefaultQueueTimeout_ComesFromOptions()
    {
        var time = new FakeTimeProvider();
        await using var manager = await CreateAsync(Registry(out _, out _),
            new ProviderInstanceManagerOptions { TimeProvider = time, EnvironmentReader = _ => null, DefaultLocalQueueTimeout = TimeSpan.FromMinutes(1) }, Local("l"));
        using var first = await manager.AcquireAsync("l", Ct);
        var second = manager.AcquireAsync("l", Ct).AsTask();
        time.Advance(TimeSpan.FromSeconds(59));
        await Task.Delay(20, Ct);
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<LocalInstanceBusyException>(() => second.WaitAsync(Wait, Ct));
    }

    [Fact]
    public async Task AcquireAsync_Waiters_AreServedInArrivalOrder()
    {
        await using var manager = await CreateAsync(Registry(out _, out _), null, Local("l", timeout: Timeout.InfiniteTimeSpan));
        var holder = await manager.AcquireAsync("l", Ct);
        var order = new List<int>();
        var waiters = new List<Task>();
        for (var i = 0; i < 8; i++)
        {
            var index = i;
            var acquire = manager.AcquireAsync("l", Ct).AsTask();
            waiters.Add(acquire.ContinueWith(
                t =>
                {
                    lock (order)
                    {
                        order.Add(index);
                    }

                    t.Result.Dispose();
                },
                Ct,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default));
        }

        holder.Dispose();
        await Task.WhenAll(waiters).WaitAsync(Wait, Ct);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], order);
    }

    [Fact]
    public async Task AcquireAsync_TwoLocalInstancesOnSameHost_ShareGate_DifferentHostsDoNot()
    {
        await using var manager = await CreateAsync(Registry(out _, out _), null,
            Local("a", "http://localhost:11434"),
            new ProviderInstanceConfig { Id = "b", Provider = "fake", BaseUrl = "http://127.0.0.1:11434/v1" },
            Local("c", "http://127.0.0.1:11435"),
            Local("d", "http://[::1]:11434"));

        Assert.Equal("local:localhost:11434", manager.GetGateKey("a"));
        Assert.Equal(manager.GetGateKey("a"), manager.GetGateKey("b"));
        Assert.Equal(manager.GetGateKey("a"), manager.GetGateKey("d"));
        Assert.NotEqual(manager.GetGateKey("a"), manager.GetGateKey("c"));

        var held = await manager.AcquireAsync("a", Ct);
        var b = manager.AcquireAsync("b", Ct).AsTask();
        var d = manager.AcquireAsync("d", Ct).AsTask();
        using var c = await manager.AcquireAsync("c", Ct).AsTask().WaitAsync(Wait, Ct);
        await Task.Delay(50, Ct);
        Assert.False(b.IsCompleted);
        Assert.False(d.IsCompleted);

        held.Dispose();
        var leaseB = await b.WaitAsync(Wait, Ct);
        Assert.False(d.IsCompleted);
        leaseB.Dispose();
        (await d.WaitAsync(Wait, Ct)).Dispose();
    }

    [Fact]
    public async Task AcquireAsync_SharedLocalGate_HasSmallestConfiguredWidth()
    {
        await using var manager = await CreateAsync(Registry(out _, out _), null,
            Local("a", max: 3), Local("b", url: "http://localhost:11434", max: 2));
        using var one = await manager.AcquireAsync("a", Ct);
        using var two = await manager.AcquireAsync("a", Ct);
        var three = manager.AcquireAsync("b", Ct).AsTask();
        await Task.Delay(50, Ct);
        Assert.False(three.IsCompleted);
        two.Dispose();
        (await three.WaitAsync(Wait, Ct)).Dispose();
    }

    [Fact]
    public async Task AcquireAsync_RemoteMaxConcurrency_QueuesThenThrowsApiQueueTimeout()
    {
        var time = new FakeTimeProvider();
        await using var manager = await CreateAsync(Registry(out _, out _), new ProviderInstanceManagerOptions { TimeProvider = time, EnvironmentReader = _ => null },
            new ProviderInstanceConfig { Id = "r", Provider = "fake", MaxConcurrency = 2, QueueTimeout = TimeSpan.FromSeconds(5) },
            new ProviderInstanceConfig { Id = "free", Provider = "fake" });

        Assert.False(manager.IsLocal("r"));
        Assert.Equal("remote:r", manager.GetGateKey("r"));
        Assert.Null(manager.GetGateKey("free"));
        using var a = await manager.AcquireAsync("r", Ct);
        using var b = await manager.AcquireAsync("r", Ct);
        var c = manager.AcquireAsync("r", Ct).AsTask();
        time.Advance(TimeSpan.FromSeconds(5));
        var ex = await Assert.ThrowsAsync<ApiQueueTimeoutException>(() => c.WaitAsync(Wait, Ct));
        Assert.Equal("r", ex.InstanceId);
        Assert.Equal(2, ex.MaxConcurrency);

        var unlimited = new List<IInstanceLease>();
        for (var i = 0; i < 20; i++)
        {
            unlimited.Add(await manager.AcquireAsync("free", Ct));
        }

        Assert.All(unlimited, l => Assert.Equal(TimeSpan.Zero, l.Waited));
        unlimited.ForEach(l => l.Dispose());
    }

    [Fact]
    public async Task Lease_DisposedTwice_ReleasesOnce()
    {
        await using var manager = await CreateAsync(Registry(out _, out _), null, Local("l"));
        var lease = await manager.AcquireAsync("l", Ct);
        lease.Dispose();
        lease.Dispose();

        using var next = await manager.AcquireAsync("l", Ct).AsTask().WaitAsync(Wait, Ct);
        var blocked = manager.AcquireAsync("l", Ct).AsTask();
        await Task.Delay(50, Ct);
        Assert.False(blocked.IsCompleted, "a double dispose must not free two slots");
        next.Dispose();
        (await blocked.WaitAsync(Wait, Ct)).Dispose();
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileQueued_ThrowsAndLeavesQueueIntact()
    {
        await using var manager = await CreateAsync(Registry(out _, out _), null, Local("l"));
        var holder = await manager.AcquireAsync("l", Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var cancelled = manager.AcquireAsync("l", cts.Token).AsTask();
        var after = manager.AcquireAsync("l", Ct).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Wait, Ct));
        Assert.False(after.IsCompleted);

        holder.Dispose();
        using var lease = await after.WaitAsync(Wait, Ct);
        var last = manager.AcquireAsync("l", Ct).AsTask();
        await Task.Delay(50, Ct);
        Assert.False(last.IsCompleted, "the cancelled waiter must not have taken or leaked a slot");
        lease.Dispose();
        (await last.WaitAsync(Wait, Ct)).Dispose();
    }
}
