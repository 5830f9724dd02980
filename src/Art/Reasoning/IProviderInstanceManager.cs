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

    /// <summary>The adapter of an instance; throws <see cref="UnknownInstanceException"/>.</summary>
    IProviderAdapter GetAdapter(string instanceId);

    bool TryGetAdapter(string instanceId, out IProviderAdapter adapter);

    /// <summary>Whether the instance runs on a local host (shares the host's FIFO gate).</summary>
    bool IsLocal(string instanceId);

    /// <summary>Waits for a slot; throws <see cref="LocalInstanceBusyException"/> or <see cref="ApiQueueTimeoutException"/> past the queue timeout.</summary>
    ValueTask<IInstanceLease> AcquireAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>The first instance of a provider type (legacy <c>Reasoning.Provider</c> resolution), or null.</summary>
    string? FindFirstInstanceOfProvider(string provider);
}
