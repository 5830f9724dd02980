using System.Collections.Concurrent;
using Art.Models;
using Art.Reasoning;

namespace Art.Testing;

/// <summary>
/// Serves provider type <c>scripted</c>: one <see cref="ScriptedProviderAdapter"/> per instance id, created on first
/// use, so a test can script an instance before or after ART creates it (<see cref="For"/> and
/// <see cref="Create"/> return the same adapter).
/// </summary>
public sealed class ScriptedProviderFactory : IProviderFactory
{
    private readonly ConcurrentDictionary<string, ScriptedProviderAdapter> _adapters = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <param name="timeProvider">Clock for scripted delays of every adapter (a FakeTimeProvider in tests); the system clock when null.</param>
    public ScriptedProviderFactory(TimeProvider? timeProvider = null) => _time = timeProvider ?? TimeProvider.System;

    public IReadOnlyList<string> ProviderNames { get; } = [ScriptedProviderAdapter.DefaultProviderName];

    /// <summary>The adapter of an instance, created when first asked for.</summary>
    public ScriptedProviderAdapter For(string instanceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        return _adapters.GetOrAdd(instanceId, id => new ScriptedProviderAdapter(id, _time));
    }

    public bool IsLocalByDefault(string providerName) => false;

    public string? ApiKeyEnvironmentVariable(string providerName) => null;

    public bool RequiresApiKey(string providerName) => false;

    public string? DefaultBaseUrl(string providerName) => null;

    /// <summary>Returns the instance's adapter; the config's model becomes the listed model when none is configured.</summary>
    public IProviderAdapter Create(ProviderAdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var adapter = For(context.Config.Id);
        if (adapter.Models.Count == 0 && context.Config.Model is { Length: > 0 } model)
        {
            adapter.Models = [new ProviderModelInfo { Name = model }];
        }

        return adapter;
    }
}
