using Art.Reasoning;

namespace Art.Benchmarks.Support;

/// <summary>Instances in a dictionary; each has a semaphore gate (unbounded width) so leasing costs what a real gate costs.</summary>
public sealed class BenchInstanceManager : IProviderInstanceManager
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public IReadOnlyList<ProviderInstanceConfig> Instances => [.. _entries.Values.Select(e => e.Config)];

    public void Add(ProviderInstanceConfig config, IProviderAdapter adapter)
    {
        ArgumentNullException.ThrowIfNull(config);
        _entries[config.Id] = new Entry(config, adapter, new SemaphoreSlim(int.MaxValue / 2));
    }

    public ProviderInstanceConfig GetConfig(string instanceId) => Get(instanceId).Config;

    public IProviderAdapter GetAdapter(string instanceId) => Get(instanceId).Adapter;

    public bool TryGetAdapter(string instanceId, out IProviderAdapter adapter)
    {
        var found = _entries.TryGetValue(instanceId, out var entry);
        adapter = entry?.Adapter!;
        return found;
    }

    public bool IsLocal(string instanceId) => false;

    public async ValueTask<IInstanceLease> AcquireAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        var entry = Get(instanceId);
        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Lease(instanceId, entry.Gate);
    }

    public string? FindFirstInstanceOfProvider(string provider) =>
        _entries.Values.FirstOrDefault(e => e.Config.Provider == provider)?.Config.Id;

    public ValueTask DisposeAsync()
    {
        foreach (var entry in _entries.Values)
        {
            entry.Gate.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private Entry Get(string instanceId) =>
        _entries.TryGetValue(instanceId, out var entry) ? entry : throw new Art.UnknownInstanceException(instanceId, _entries.Keys);

    private sealed record Entry(ProviderInstanceConfig Config, IProviderAdapter Adapter, SemaphoreSlim Gate);

    private sealed class Lease(string instanceId, SemaphoreSlim gate) : IInstanceLease
    {
        private int _released;

        public string InstanceId => instanceId;

        public TimeSpan Waited => TimeSpan.Zero;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
