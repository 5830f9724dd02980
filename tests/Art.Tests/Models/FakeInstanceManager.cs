using Art.Reasoning;

namespace Art.Tests.Models;

/// <summary>Exposes instance configs only: the router reads nothing else of the manager.</summary>
internal sealed class FakeInstanceManager(params ProviderInstanceConfig[] configs) : IProviderInstanceManager
{
    public IReadOnlyList<ProviderInstanceConfig> Instances { get; } = configs;

    public ProviderInstanceConfig GetConfig(string instanceId) =>
        Instances.FirstOrDefault(i => i.Id == instanceId) ?? throw new UnknownInstanceException(instanceId, Instances.Select(i => i.Id));

    public IProviderAdapter GetAdapter(string instanceId) => throw new NotSupportedException();

    public bool TryGetAdapter(string instanceId, out IProviderAdapter adapter)
    {
        adapter = null!;
        return false;
    }

    public bool IsLocal(string instanceId) => GetConfig(instanceId).Provider == "ollama";

    public ValueTask<IInstanceLease> AcquireAsync(string instanceId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public string? FindFirstInstanceOfProvider(string provider) => Instances.FirstOrDefault(i => i.Provider == provider)?.Id;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
