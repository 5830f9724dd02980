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
    public ScriptedProviderFactory(TimeProvider? timeProvider = null)
        : this(timeProvider, [ScriptedProviderAdapter.DefaultProviderName])
    {
    }

    /// <summary>
    /// Serves several provider type names at once, so a test can configure instances of "different providers" (each
    /// with its own registry models and prices) that are all scripted. An adapter created through <see cref="Create"/>
    /// carries its instance's provider name.
    /// </summary>
    /// <param name="timeProvider">Clock for scripted delays; the system clock when null.</param>
    /// <param name="providerNames">Provider type names to register under (at least one).</param>
    public ScriptedProviderFactory(TimeProvider? timeProvider, IReadOnlyList<string> providerNames)
    {
        ArgumentNullException.ThrowIfNull(providerNames);
        ArgumentOutOfRangeException.ThrowIfZero(providerNames.Count);
        _time = timeProvider ?? TimeProvider.System;
        ProviderNames = [.. providerNames];
    }

    public IReadOnlyList<string> ProviderNames { get; }

    /// <summary>The adapter of an instance, created when first asked for.</summary>
    public ScriptedProviderAdapter For(string instanceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        return _adapters.GetOrAdd(instanceId, id => new ScriptedProviderAdapter(id, _time));
    }

    public bool IsLocalByDefault(string providerName) => false;

    public string? ApiKeyEnvironmentVariable(string providerName) => null;

    public bool RequiresApiKey(string providerName) => false;

    /// <summary>A placeholder that never resolves (RFC 2606 <c>.invalid</c>): scripted instances make no network calls,
    /// but the instance manager wants an absolute URL for every instance.</summary>
    public string? DefaultBaseUrl(string providerName) => "https://scripted.invalid";

    /// <summary>Returns the instance's adapter; the config's model becomes the listed model when none is configured.</summary>
    public IProviderAdapter Create(ProviderAdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var provider = string.IsNullOrEmpty(context.Config.Provider) ? ScriptedProviderAdapter.DefaultProviderName : context.Config.Provider;
        var adapter = _adapters.GetOrAdd(context.Config.Id, id => new ScriptedProviderAdapter(id, _time, providerName: provider));
        if (adapter.Models.Count == 0 && context.Config.Model is { Length: > 0 } model)
        {
            adapter.Models = [new ProviderModelInfo { Name = model }];
        }

        return adapter;
    }
}
