namespace Art.Reasoning;

/// <summary>A slot at a provider instance; disposing it releases the slot exactly once.</summary>
public interface IInstanceLease : IDisposable
{
    string InstanceId { get; }

    /// <summary>How long the caller waited for the slot.</summary>
    TimeSpan Waited { get; }
}

/// <summary>Holds the configured instances, their adapters and their concurrency gates.</summary>
public interface IProviderInstanceManager : IAsyncDisposable
{
    /// <summary>All instances, in configuration order.</summary>
    IReadOnlyList<ProviderInstanceConfig> Instances { get; }

    /// <summary>The config of an instance (API key redacted); throws <see cref="UnknownInstanceException"/>.</summary>
    ProviderInstanceConfig GetConfig(string instanceId);

    /// <summary>
    /// The adapter of an instance; throws <see cref="UnknownInstanceException"/>, or <see cref="ArtConfigurationException"/>
    /// (with the reason) for an instance that is configured but unavailable (see <see cref="IsAvailable"/>).
    /// </summary>
    IProviderAdapter GetAdapter(string instanceId);

    /// <summary>False for an unknown instance and for an unavailable one (see <see cref="IsAvailable"/>).</summary>
    bool TryGetAdapter(string instanceId, out IProviderAdapter adapter);

    /// <summary>
    /// Whether a configured instance can serve calls. A remote instance without an API key stays listed in
    /// <see cref="Instances"/> but has no adapter: one missing key must not stop the other instances (a local Ollama
    /// still chats). <paramref name="reason"/> says why and how to fix it (never any key text). Throws
    /// <see cref="UnknownInstanceException"/> for an id that is not configured. The default (for managers that create
    /// every adapter) is always available.
    /// </summary>
    bool IsAvailable(string instanceId, out string? reason)
    {
        reason = null;
        return true;
    }

    /// <summary>Whether the instance runs on a local host (shares the host's FIFO gate).</summary>
    bool IsLocal(string instanceId);

    /// <summary>Waits for a slot; throws <see cref="LocalInstanceBusyException"/> or <see cref="ApiQueueTimeoutException"/> past the queue timeout.</summary>
    ValueTask<IInstanceLease> AcquireAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>The first instance of a provider type (legacy <c>Reasoning.Provider</c> resolution), or null.</summary>
    string? FindFirstInstanceOfProvider(string provider);
}
