using System.Globalization;
using System.Net;
using System.Text;
using Art.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Reasoning;

/// <summary>What <see cref="ProviderInstanceManager"/> needs besides the instance list.</summary>
public sealed record ProviderInstanceManagerOptions
{
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Third source of API keys, read only while unlocked (a locked repository is skipped, not an error).</summary>
    public IEncryptedSecretsRepository? SecretsRepository { get; init; }

    /// <summary>Reads an environment variable; <see cref="Environment.GetEnvironmentVariable(string)"/> by default (tests replace it).</summary>
    public Func<string, string?>? EnvironmentReader { get; init; }

    /// <summary>HTTP handler handed to every adapter (tests, proxies).</summary>
    public HttpMessageHandler? HttpHandler { get; init; }

    /// <summary>How long a call waits for a busy local host when the instance sets no <c>QueueTimeout</c>: a local model often needs minutes per answer.</summary>
    public TimeSpan DefaultLocalQueueTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a call waits for a slot of a remote instance with <c>MaxConcurrency</c> when it sets no <c>QueueTimeout</c>.</summary>
    public TimeSpan DefaultRemoteQueueTimeout { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// Holds the configured provider instances: one adapter per instance (thread-safe singletons), and the concurrency
/// gates. <b>Local rule:</b> instances on one local host (host and port; <c>localhost</c>, <c>127.0.0.1</c> and
/// <c>::1</c> are the same host) share one FIFO gate, because one machine serves one model well at a time; its width
/// is the smallest <c>MaxConcurrency</c> among them (default 1). A remote instance with <c>MaxConcurrency</c> gets
/// its own FIFO gate; without it, calls are not limited. This fixes upstream's ProviderManagerImpl, which allowed one
/// local instance at all, failed at once instead of queueing, and shared adapters between keys.
/// <para><b>Missing keys</b> are not fatal: an instance whose provider needs a key and finds none in any source is kept
/// as <em>unavailable</em> (listed, no adapter, <see cref="IsAvailable"/> says why), so one unset key does not stop the
/// other instances. Structural mistakes (ids, providers, URLs, limits) still fail <see cref="InitializeAsync"/>.</para>
/// </summary>
public sealed class ProviderInstanceManager : IProviderInstanceManager
{
    private readonly IReadOnlyList<ProviderInstanceConfig> _configured;
    private readonly ProviderFactoryRegistry _registry;
    private readonly ProviderInstanceManagerOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Instance> _instances = new(StringComparer.Ordinal);
    private readonly List<ProviderInstanceConfig> _redacted = [];
    private int _initialized;
    private int _disposed;

    public ProviderInstanceManager(IEnumerable<ProviderInstanceConfig> configs, ProviderFactoryRegistry registry, ProviderInstanceManagerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(configs);
        ArgumentNullException.ThrowIfNull(registry);
        _configured = [.. configs];
        _registry = registry;
        _options = options ?? new ProviderInstanceManagerOptions();
        _logger = _options.LoggerFactory.CreateLogger<ProviderInstanceManager>();
    }

    /// <inheritdoc />
    public IReadOnlyList<ProviderInstanceConfig> Instances
    {
        get
        {
            EnsureInitialized();
            return _redacted;
        }
    }

    /// <summary>
    /// Validates every configuration first and reports all problems in one <see cref="ArtConfigurationException"/>,
    /// then resolves keys (an instance without one becomes unavailable), and creates the adapters. Call once before
    /// anything else.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.CompareExchange(ref _initialized, 1, 0) != 0)
        {
            throw new InvalidOperationException("The provider instance manager is already initialized.");
        }

        try
        {
            var resolved = Validate();
            var withKeys = await ResolveKeysAsync(resolved, cancellationToken).ConfigureAwait(false);
            CreateAdapters(withKeys);
        }
        catch
        {
            Volatile.Write(ref _initialized, 0);
            throw;
        }

        Volatile.Write(ref _initialized, 2);
    }

    /// <inheritdoc />
    public ProviderInstanceConfig GetConfig(string instanceId) => Get(instanceId).Config.Redacted();

    /// <inheritdoc />
    public IProviderAdapter GetAdapter(string instanceId) => GetUsable(instanceId).Adapter!;

    /// <inheritdoc />
    public bool TryGetAdapter(string instanceId, out IProviderAdapter adapter)
    {
        EnsureInitialized();
        if (instanceId is not null && _instances.TryGetValue(instanceId, out var instance) && instance.Adapter is { } created)
        {
            adapter = created;
            return true;
        }

        adapter = null!;
        return false;
    }

    /// <inheritdoc />
    public bool IsAvailable(string instanceId, out string? reason)
    {
        reason = Get(instanceId).UnavailableReason;
        return reason is null;
    }

    /// <inheritdoc />
    public bool IsLocal(string instanceId) => Get(instanceId).Config.IsLocal == true;

    /// <summary>The key of the gate an instance uses (<c>local:host:port</c>, <c>remote:id</c>), or null when it is not limited.</summary>
    public string? GetGateKey(string instanceId) => Get(instanceId).GateKey;

    /// <inheritdoc />
    public async ValueTask<IInstanceLease> AcquireAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        var instance = GetUsable(instanceId);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (instance.Gate is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return new Lease(instance.Config.Id, null, TimeSpan.Zero);
        }

        var start = _options.TimeProvider.GetTimestamp();
        var acquired = await instance.Gate.WaitAsync(instance.QueueTimeout, cancellationToken).ConfigureAwait(false);
        var waited = _options.TimeProvider.GetElapsedTime(start);
        if (!acquired)
        {
            _logger.LogWarning("Instance {InstanceId} had no free slot within {Timeout}", instance.Config.Id, instance.QueueTimeout);
            if (instance.Config.IsLocal == true)
            {
                throw new LocalInstanceBusyException(instance.Config.Id, instance.HostDisplay!, waited);
            }

            throw new ApiQueueTimeoutException(instance.Config.Id, instance.Gate.Width, waited);
        }

        return new Lease(instance.Config.Id, instance.Gate, waited);
    }

    /// <inheritdoc />
    public string? FindFirstInstanceOfProvider(string provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        EnsureInitialized();
        return _redacted.FirstOrDefault(c => string.Equals(c.Provider, provider, StringComparison.OrdinalIgnoreCase))?.Id;
    }

    /// <summary>Disposes every adapter once; errors are logged, not thrown, so one bad adapter does not leak the others.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var instance in _instances.Values)
        {
            if (instance.Adapter is null)
            {
                continue;
            }

            try
            {
                await instance.Adapter.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Disposing the adapter of instance {InstanceId} failed", instance.Config.Id);
            }
        }
    }

    /// <summary>Normalised host key of a URL: loopback names collapse to one host; the port is explicit.</summary>
    internal static string HostKey(Uri uri)
    {
        var host = IsLoopback(uri) ? "localhost" : uri.IdnHost.ToLowerInvariant();
        return host + ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
    }

    internal static bool IsLoopback(Uri uri)
    {
        if (uri.IsLoopback)
        {
            return true;
        }

        var host = uri.IdnHost.Trim('[', ']');
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    private Instance Get(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        EnsureInitialized();
        return _instances.TryGetValue(instanceId, out var instance)
            ? instance
            : throw new UnknownInstanceException(instanceId, _redacted.Select(c => c.Id));
    }

    /// <summary>An instance that has an adapter; an unavailable one throws with its reason (which never holds a key).</summary>
    private Instance GetUsable(string instanceId)
    {
        var instance = Get(instanceId);
        return instance.UnavailableReason is { } reason
            ? throw new ArtConfigurationException($"Provider instance '{instanceId}' is unavailable: {reason}", instanceId)
            : instance;
    }

    private void EnsureInitialized()
    {
        if (Volatile.Read(ref _initialized) != 2)
        {
            throw new InvalidOperationException("The provider instance manager is not initialized: call InitializeAsync first.");
        }
    }

    /// <summary>Phase 1: every entry is checked and every problem collected before anything is created.</summary>
    private List<Resolved> Validate()
    {
        var problems = new List<(string Entry, string Message)>();
        var firstPosition = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<Resolved>();
        for (var i = 0; i < _configured.Count; i++)
        {
            var position = i + 1;
            var config = _configured[i];
            if (config is null)
            {
                problems.Add(($"#{position}", $"entry #{position} is null"));
                continue;
            }

            var label = string.IsNullOrWhiteSpace(config.Id) ? $"#{position}" : $"'{config.Id}' (#{position})";
            var ok = true;
            if (string.IsNullOrWhiteSpace(config.Id))
            {
                problems.Add(($"#{position}", $"entry #{position} ({config.Provider}) has no id: give every instance a unique id"));
                ok = false;
            }
            else if (firstPosition.TryGetValue(config.Id, out var first))
            {
                problems.Add((config.Id, $"instance id '{config.Id}' is used by entries #{first} and #{position}: ids must be unique"));
                ok = false;
            }
            else
            {
                firstPosition.Add(config.Id, position);
            }

            IProviderFactory? factory = null;
            if (string.IsNullOrWhiteSpace(config.Provider) || !_registry.TryGetFactory(config.Provider, out factory))
            {
                var known = _registry.ProviderNames;
                problems.Add((config.Id ?? $"#{position}", $"instance {label} has unknown provider '{config.Provider}'; known providers: {(known.Count == 0 ? "(none registered)" : string.Join(", ", known))}"));
                ok = false;
                factory = null;
            }

            if (config.MaxConcurrency is { } max && max < 1)
            {
                problems.Add((config.Id ?? $"#{position}", $"instance {label} has maxConcurrency {max}; it must be at least 1 (omit it for no limit on a remote instance)"));
                ok = false;
            }

            if (config.QueueTimeout is { } queueTimeout && queueTimeout < TimeSpan.Zero && queueTimeout != Timeout.InfiniteTimeSpan)
            {
                problems.Add((config.Id ?? $"#{position}", $"instance {label} has a negative queueTimeout ({queueTimeout}); use zero (do not wait) or a positive duration"));
                ok = false;
            }

            Uri? baseUri = null;
            if (factory is not null)
            {
                var baseUrl = string.IsNullOrWhiteSpace(config.BaseUrl) ? factory.DefaultBaseUrl(config.Provider) : config.BaseUrl;
                if (string.IsNullOrWhiteSpace(baseUrl))
                {
                    problems.Add((config.Id ?? $"#{position}", $"instance {label} ({config.Provider}) has no baseUrl and the provider has no default: set baseUrl"));
                    ok = false;
                }
                else if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out baseUri) || (baseUri.Scheme != Uri.UriSchemeHttp && baseUri.Scheme != Uri.UriSchemeHttps))
                {
                    problems.Add((config.Id ?? $"#{position}", $"instance {label} has an unusable baseUrl '{baseUrl}': it must be an absolute http or https URL"));
                    ok = false;
                    baseUri = null;
                }
            }

            if (ok && factory is not null && baseUri is not null)
            {
                var isLocal = config.IsLocal ?? (factory.IsLocalByDefault(config.Provider) || IsLoopback(baseUri));
                result.Add(new Resolved(config with { BaseUrl = baseUri.OriginalString, IsLocal = isLocal }, factory, baseUri));
            }
        }

        if (problems.Count > 0)
        {
            throw Aggregate("Provider instance configuration is invalid", problems);
        }

        return result;
    }

    /// <summary>
    /// Phase 2: API keys, config → environment → unlocked secrets repository. Keys never appear in messages. An instance
    /// that needs a key and has none is marked unavailable with the three ways to give it one; it is not an error.
    /// </summary>
    private async Task<List<Resolved>> ResolveKeysAsync(List<Resolved> resolved, CancellationToken cancellationToken)
    {
        var env = _options.EnvironmentReader ?? Environment.GetEnvironmentVariable;
        var result = new List<Resolved>(resolved.Count);
        foreach (var item in resolved)
        {
            var config = item.Config;
            var provider = config.Provider;
            var key = string.IsNullOrWhiteSpace(config.ApiKey) ? null : config.ApiKey;
            var source = key is null ? null : "config";
            var envVar = string.IsNullOrWhiteSpace(config.ApiKeyEnvironmentVariable)
                ? item.Factory.ApiKeyEnvironmentVariable(provider)
                : config.ApiKeyEnvironmentVariable;
            if (key is null && envVar is not null)
            {
                var value = env(envVar);
                if (!string.IsNullOrWhiteSpace(value))
                {
                    key = value;
                    source = "environment variable " + envVar;
                }
            }

            var secretsLocked = false;
            if (key is null && _options.SecretsRepository is { } secrets)
            {
                if (secrets.IsLocked)
                {
                    secretsLocked = true;
                    _logger.LogDebug("Secrets repository is locked; skipping it for instance {InstanceId}", config.Id);
                }
                else
                {
                    try
                    {
                        var stored = await secrets.GetApiKeyAsync(config.Id, cancellationToken).ConfigureAwait(false);
                        if (!string.IsNullOrWhiteSpace(stored))
                        {
                            key = stored;
                            source = "secrets repository";
                        }
                    }
                    catch (SecretsLockedException)
                    {
                        secretsLocked = true;
                        _logger.LogDebug("Secrets repository was locked while reading the key of instance {InstanceId}; skipping it", config.Id);
                    }
                }
            }

            if (key is null && item.Factory.RequiresApiKey(provider))
            {
                var envHint = envVar is null
                    ? "set apiKeyEnvironmentVariable to a variable holding it"
                    : $"set the environment variable {envVar}";
                var lockedNote = secretsLocked ? " (the secrets repository is locked now)" : string.Empty;
                var reason = $"no API key for instance '{config.Id}' ({provider}): set apiKey in its configuration, {envHint}, or store it in the secrets repository under '{config.Id}' (art keys set {config.Id}) and unlock the repository{lockedNote}";
                _logger.LogWarning("Provider instance {InstanceId} ({Provider}) has no API key; it is unavailable until one is given", config.Id, provider);
                result.Add(item with { UnavailableReason = reason });
                continue;
            }

            if (source is not null)
            {
                _logger.LogDebug("API key of instance {InstanceId} comes from the {KeySource}", config.Id, source);
            }

            result.Add(item with { Config = config with { ApiKey = key } });
        }

        return result;
    }

    /// <summary>Phase 3: gates, then adapters; a factory failure disposes what was created and names the instance.</summary>
    private void CreateAdapters(List<Resolved> resolved)
    {
        // Local gates: one per normalised host, width = smallest MaxConcurrency configured among its instances.
        var localWidths = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in resolved.Where(r => r.Config.IsLocal == true && r.UnavailableReason is null))
        {
            var host = HostKey(item.BaseUri);
            var width = item.Config.MaxConcurrency ?? int.MaxValue;
            localWidths[host] = localWidths.TryGetValue(host, out var current) ? Math.Min(current, width) : width;
        }

        var localGates = localWidths.ToDictionary(
            p => p.Key,
            p => new FairAsyncGate(p.Value == int.MaxValue ? 1 : p.Value, _options.TimeProvider),
            StringComparer.Ordinal);

        var created = new List<Instance>();
        try
        {
            foreach (var item in resolved)
            {
                var config = item.Config;
                if (item.UnavailableReason is { } reason)
                {
                    // Listed without adapter or gate; the gate width of its host is decided by the usable instances.
                    created.Add(new Instance(config, null, null, null, config.IsLocal == true ? HostKey(item.BaseUri) : null, TimeSpan.Zero, reason));
                    continue;
                }

                FairAsyncGate? gate = null;
                string? gateKey = null;
                string? hostDisplay = null;
                TimeSpan queueTimeout;
                if (config.IsLocal == true)
                {
                    hostDisplay = HostKey(item.BaseUri);
                    gateKey = "local:" + hostDisplay;
                    gate = localGates[hostDisplay];
                    queueTimeout = config.QueueTimeout ?? _options.DefaultLocalQueueTimeout;
                }
                else
                {
                    if (config.MaxConcurrency is { } max)
                    {
                        gateKey = "remote:" + config.Id;
                        gate = new FairAsyncGate(max, _options.TimeProvider);
                    }

                    queueTimeout = config.QueueTimeout ?? _options.DefaultRemoteQueueTimeout;
                }

                IProviderAdapter adapter;
                try
                {
                    adapter = item.Factory.Create(new ProviderAdapterContext
                    {
                        Config = config,
                        LoggerFactory = _options.LoggerFactory,
                        TimeProvider = _options.TimeProvider,
                        HttpHandler = _options.HttpHandler,
                    });
                }
                catch (Exception ex)
                {
                    throw new ArtConfigurationException(
                        $"Could not create the adapter of instance '{config.Id}' ({config.Provider}): {Scrub(ex.Message, config.ApiKey)}", config.Id, ex);
                }

                created.Add(new Instance(config, adapter, gate, gateKey, hostDisplay, queueTimeout, null));
            }
        }
        catch
        {
            foreach (var instance in created)
            {
                if (instance.Adapter is not null)
                {
                    DisposeQuietly(instance.Adapter);
                }
            }

            throw;
        }

        foreach (var instance in created)
        {
            _instances.Add(instance.Config.Id, instance);
            _redacted.Add(instance.Config.Redacted());
            _logger.LogInformation(
                "Provider instance {InstanceId} ({Provider}) at {BaseUrl}, local: {IsLocal}, gate: {Gate}, available: {Available}",
                instance.Config.Id, instance.Config.Provider, instance.Config.BaseUrl, instance.Config.IsLocal, instance.GateKey ?? "none", instance.UnavailableReason is null);
        }
    }

    private void DisposeQuietly(IProviderAdapter adapter)
    {
        try
        {
            adapter.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Disposing adapter {InstanceId} after a failed initialization failed", adapter.InstanceId);
        }
    }

    /// <summary>A factory's message could echo the key it was given; never let it through.</summary>
    private static string Scrub(string message, string? key) =>
        string.IsNullOrEmpty(key) ? message : message.Replace(key, "***", StringComparison.Ordinal);

    private static ArtConfigurationException Aggregate(string title, List<(string Entry, string Message)> problems)
    {
        var text = new StringBuilder();
        text.Append(title).Append(" (").Append(problems.Count.ToString(CultureInfo.InvariantCulture)).Append(problems.Count == 1 ? " problem):" : " problems):");
        foreach (var (_, message) in problems)
        {
            text.Append("\n - ").Append(message);
        }

        return new ArtConfigurationException(text.ToString(), string.Join(", ", problems.Select(p => p.Entry).Distinct(StringComparer.Ordinal)));
    }

    private sealed record Resolved(ProviderInstanceConfig Config, IProviderFactory Factory, Uri BaseUri, string? UnavailableReason = null);

    /// <summary>One configured instance; <see cref="Adapter"/> is null exactly when <see cref="UnavailableReason"/> is set.</summary>
    private sealed record Instance(ProviderInstanceConfig Config, IProviderAdapter? Adapter, FairAsyncGate? Gate, string? GateKey, string? HostDisplay, TimeSpan QueueTimeout, string? UnavailableReason);

    /// <summary>Releases its slot exactly once, however many times it is disposed.</summary>
    private sealed class Lease(string instanceId, FairAsyncGate? gate, TimeSpan waited) : IInstanceLease
    {
        private int _released;

        public string InstanceId { get; } = instanceId;

        public TimeSpan Waited { get; } = waited;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate?.Release();
            }
        }
    }
}
