using System.Collections.Concurrent;
using Art.Context;
using Art.Reasoning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Models;

/// <summary>Settings of <see cref="ModelCapabilityDiscovery"/>.</summary>
public sealed record ModelDiscoveryOptions
{
    /// <summary>How long a discovered entry is trusted before the provider is asked again (default 10 min).</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a failed discovery is not retried for the same instance and model (default 1 min).</summary>
    public TimeSpan FailureTtl { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest one discovery may take; routing then goes on with what the registry knows (default 10 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Capability auto-detection before routing: when a thread asks for auto-detected capabilities
/// (<see cref="ThreadReasoningConfig.AutoDetectCapabilities"/>), every configured instance whose adapter implements
/// <see cref="IModelDiscovery"/> (Ollama's <c>/api/show</c>) is asked about the model a call could go to there, and the
/// answer is registered as a <see cref="ModelInfoSource.Discovered"/> entry, so the router filters on what the model
/// really supports instead of "unknown". Provider-neutral: the core knows only the interface.
/// </summary>
/// <remarks>
/// <para><b>Which models.</b> Per discoverable instance: the model the call or thread names for it (call instance and
/// model, thread instance and model, preferred-model targets, default and fallback instances), and the instance's
/// configured model. Models the application registered itself (<see cref="ModelInfoSource.User"/>) are never
/// overwritten.</para>
/// <para><b>Cache.</b> Per instance and model: a success is trusted for <see cref="ModelDiscoveryOptions.Ttl"/> (also
/// across restarts, through the persisted entry's <see cref="ModelInfo.UpdatedAt"/>), a failure is not retried for
/// <see cref="ModelDiscoveryOptions.FailureTtl"/>. Concurrent calls share one request per instance and model.</para>
/// <para><b>Failures</b> (server down, model not pulled, timeout) are logged and never fail the call: routing goes on with
/// what the registry knows. Only the caller's cancellation propagates.</para>
/// </remarks>
public sealed partial class ModelCapabilityDiscovery
{
    private readonly IProviderInstanceManager _instances;
    private readonly IModelRegistry _registry;
    private readonly ModelDiscoveryOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(string InstanceId, string ModelId), Entry> _cache = new();
    private readonly ConcurrentDictionary<string, Entry> _listings = new(StringComparer.Ordinal);

    public ModelCapabilityDiscovery(IProviderInstanceManager instances, IModelRegistry registry, ModelDiscoveryOptions? options = null, TimeProvider? timeProvider = null, ILogger<ModelCapabilityDiscovery>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(registry);
        _instances = instances;
        _registry = registry;
        _options = options ?? new ModelDiscoveryOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Provider requests made so far (successful or not); for diagnostics and tests.</summary>
    public int DiscoveryRequests => Volatile.Read(ref _requests);

    private int _requests;

    /// <summary>Model listings requested so far (successful or not); for diagnostics and tests.</summary>
    public int ListingRequests => Volatile.Read(ref _listingRequests);

    private int _listingRequests;

    /// <summary>
    /// Makes sure the registry knows which models the local instances without a configured model have installed
    /// (always: it decides which models exist there, see <see cref="ListInstalledModelsAsync"/>), and, when the thread
    /// asks for auto-detection, what the candidate models of <paramref name="request"/> can do.
    /// </summary>
    public async ValueTask DiscoverForAsync(RoutingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        List<Task>? pending = null;
        foreach (var config in _instances.Instances)
        {
            if (EnsureListing(config) is { } listing)
            {
                (pending ??= []).Add(listing);
            }
        }

        if (request.Reasoning.AutoDetectCapabilities)
        {
            foreach (var (instanceId, modelId) in Candidates(request))
            {
                if (Ensure(instanceId, modelId) is { } task)
                {
                    (pending ??= []).Add(task);
                }
            }
        }

        if (pending is not null)
        {
            await Task.WhenAll(pending).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Discovers one model of one instance now unless it is cached or registered by the application; the registered entry or null.</summary>
    public async Task<ModelInfo?> DiscoverAsync(string instanceId, string modelId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        if (Ensure(instanceId, modelId) is { } task)
        {
            await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return _instances.TryGetAdapter(instanceId, out var adapter) ? _registry.GetModelInfo(adapter.ProviderName, modelId) : null;
    }

    /// <summary>
    /// Lists the models installed on a local instance that has no configured model (Ollama <c>/api/tags</c>) unless a
    /// listing is cached, and registers each as a <see cref="ModelInfoSource.Discovered"/> entry, so the router, which
    /// routes a local instance only to models known to be there, has something to choose from in the zero-configuration
    /// case instead of guessing a catalog model that may not be pulled. Does nothing for remote instances and for
    /// instances with a model configured (they pay nothing). Failures are logged and cached for
    /// <see cref="ModelDiscoveryOptions.FailureTtl"/>; they never fail the call (an unreachable server then gives the
    /// adapter's own error when the call is sent).
    /// </summary>
    public async Task ListInstalledModelsAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        if (EnsureListing(_instances.GetConfig(instanceId)) is { } task)
        {
            await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Forgets cached results (e.g. after a pull or delete), so the next call asks the provider again.</summary>
    public void Invalidate(string? instanceId = null, string? modelId = null)
    {
        foreach (var key in _listings.Keys)
        {
            if (instanceId is null || key == instanceId)
            {
                _listings.TryRemove(key, out _);
            }
        }

        foreach (var key in _cache.Keys)
        {
            if ((instanceId is null || key.InstanceId == instanceId) && (modelId is null || key.ModelId == modelId))
            {
                _cache.TryRemove(key, out _);
            }
        }
    }

    /// <summary>The (instance, model) pairs a call could be routed to, for instances that support discovery.</summary>
    private HashSet<(string, string)> Candidates(RoutingRequest request)
    {
        var result = new HashSet<(string, string)>();
        var reasoning = request.Reasoning;
        var threadInstance = reasoning.InstanceId ?? (reasoning.Provider is { } legacy ? _instances.FindFirstInstanceOfProvider(legacy) : null);
        Add(request.InstanceId, request.ModelId ?? (request.InstanceId == threadInstance ? reasoning.Model : null));
        Add(threadInstance, request.InstanceId is null ? request.ModelId ?? reasoning.Model : reasoning.Model);
        if (reasoning.ModelPreferences is { } preferences)
        {
            if (preferences.PreferredModels is { } preferred)
            {
                foreach (var target in preferred.Values)
                {
                    var instance = target?.InstanceId ?? (target?.Provider is { } provider ? _instances.FindFirstInstanceOfProvider(provider) : null);
                    Add(instance, target?.ModelId);
                }
            }

            Add(preferences.DefaultInstanceId, null);
            foreach (var fallback in preferences.FallbackInstances ?? [])
            {
                Add(fallback, null);
            }
        }

        // Every discoverable instance's own model (the cheapest-fit step and cross-provider fallbacks consider them).
        foreach (var config in _instances.Instances)
        {
            Add(config.Id, null);
        }

        return result;

        void Add(string? instanceId, string? modelId)
        {
            if (instanceId is null || !_instances.TryGetAdapter(instanceId, out var adapter) || adapter is not IModelDiscovery)
            {
                return;
            }

            if (modelId is not null)
            {
                result.Add((instanceId, modelId));
            }

            if (_instances.GetConfig(instanceId).Model is { Length: > 0 } configured)
            {
                result.Add((instanceId, configured));
            }
        }
    }

    /// <summary>The discovery to wait for, or null when the cache or the registry already answers.</summary>
    private Task? Ensure(string instanceId, string modelId)
    {
        if (!_instances.TryGetAdapter(instanceId, out var adapter) || adapter is not IModelDiscovery discovery)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        var key = (instanceId, modelId);
        if (_cache.TryGetValue(key, out var cached) && (!cached.Task.IsCompleted || cached.ExpiresAt > now))
        {
            return cached.Task.IsCompleted ? null : cached.Task;
        }

        var known = _registry.GetModelInfo(adapter.ProviderName, modelId);
        if (known is { Source: ModelInfoSource.User }
            || (known is { Source: ModelInfoSource.Discovered, UpdatedAt: { } updated } && now - updated < _options.Ttl))
        {
            return null;
        }

        var entry = new Entry();
        if (cached is null ? !_cache.TryAdd(key, entry) : !_cache.TryUpdate(key, entry, cached))
        {
            // Another caller started the same discovery a moment ago: wait for theirs.
            return _cache.TryGetValue(key, out var theirs) && !theirs.Task.IsCompleted ? theirs.Task : null;
        }

        _ = RunAsync(entry, discovery, instanceId, modelId);
        return entry.Task;
    }

    /// <summary>The listing to wait for, or null when the instance needs none or the cache answers.</summary>
    private Task? EnsureListing(ProviderInstanceConfig config)
    {
        if (config.Model is { Length: > 0 } || !_instances.IsLocal(config.Id) || !_instances.TryGetAdapter(config.Id, out var adapter))
        {
            return null;
        }

        var now = _time.GetUtcNow();
        if (_listings.TryGetValue(config.Id, out var cached) && (!cached.Task.IsCompleted || cached.ExpiresAt > now))
        {
            return cached.Task.IsCompleted ? null : cached.Task;
        }

        var entry = new Entry();
        if (cached is null ? !_listings.TryAdd(config.Id, entry) : !_listings.TryUpdate(config.Id, entry, cached))
        {
            return _listings.TryGetValue(config.Id, out var theirs) && !theirs.Task.IsCompleted ? theirs.Task : null;
        }

        _ = RunListingAsync(entry, adapter, config.Id);
        return entry.Task;
    }

    private async Task RunListingAsync(Entry entry, IProviderAdapter adapter, string instanceId)
    {
        await Task.Yield();
        Interlocked.Increment(ref _listingRequests);
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        try
        {
            var listed = await adapter.ListModelsAsync(timeout.Token).ConfigureAwait(false);
            var added = new List<ModelInfo>();
            foreach (var model in listed)
            {
                if (string.IsNullOrWhiteSpace(model.Name))
                {
                    continue;
                }

                var known = _registry.GetModelInfo(adapter.ProviderName, model.Name);
                if (known is { Source: ModelInfoSource.User or ModelInfoSource.Discovered })
                {
                    // The application's own entry, or one already learned (possibly richer, from /api/show): keep it.
                    continue;
                }

                // Catalog facts of the same model id (a seed entry like "qwen3:4b") are better than "unknown".
                var catalog = known ?? (model.Name.EndsWith(":latest", StringComparison.Ordinal)
                    ? _registry.GetModelInfo(adapter.ProviderName, model.Name[..^":latest".Length])
                    : null);
                added.Add(new ModelInfo
                {
                    Provider = adapter.ProviderName,
                    ModelId = model.Name,
                    DisplayName = model.DisplayName ?? catalog?.DisplayName,
                    Capabilities = model.Capabilities ?? catalog?.Capabilities ?? new Dictionary<ModelCapability, bool>(),
                    ContextWindow = model.ContextWindow ?? catalog?.ContextWindow,
                    MaxOutputTokens = model.MaxOutputTokens ?? catalog?.MaxOutputTokens,
                    Pricing = ModelPricing.Free,
                    Source = ModelInfoSource.Discovered,

                    // No timestamp: a listing says the model exists, not what it can do, so capability auto-detection
                    // (which trusts only stamped Discovered entries) still asks /api/show about it.
                    UpdatedAt = null,
                });
            }

            if (added.Count > 0)
            {
                await _registry.RegisterModelsAsync(added, CancellationToken.None).ConfigureAwait(false);
            }

            entry.ExpiresAt = _time.GetUtcNow() + _options.Ttl;
            Log.Listed(_logger, instanceId, listed.Count, added.Count);
        }
#pragma warning disable CA1031 // Listing is best effort: routing goes on with what the registry knows; the failure is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            entry.ExpiresAt = _time.GetUtcNow() + _options.FailureTtl;
            Log.ListingFailed(_logger, instanceId, ex);
        }
        finally
        {
            entry.Complete();
        }
    }

    private async Task RunAsync(Entry entry, IModelDiscovery discovery, string instanceId, string modelId)
    {
        await Task.Yield();
        Interlocked.Increment(ref _requests);
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        try
        {
            var info = await discovery.DiscoverModelAsync(modelId, timeout.Token).ConfigureAwait(false);
            var stamped = info with
            {
                Source = ModelInfoSource.Discovered,
                UpdatedAt = info.UpdatedAt ?? _time.GetUtcNow(),
            };
            await _registry.RegisterModelAsync(stamped, CancellationToken.None).ConfigureAwait(false);
            entry.ExpiresAt = _time.GetUtcNow() + _options.Ttl;
            Log.Discovered(_logger, instanceId, modelId, stamped.Capabilities.Count, stamped.ContextWindow);
        }
#pragma warning disable CA1031 // Discovery is best effort: routing goes on with what the registry knows; the failure is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            entry.ExpiresAt = _time.GetUtcNow() + _options.FailureTtl;
            Log.Failed(_logger, instanceId, modelId, ex);
        }
        finally
        {
            entry.Complete();
        }
    }

    /// <summary>One discovery: pending from creation (so a concurrent caller waits for it), then cached until it expires.</summary>
    private sealed class Entry
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _expiresTicks = DateTimeOffset.MaxValue.UtcTicks;

        public Task Task => _done.Task;

        public void Complete() => _done.TrySetResult();

        public DateTimeOffset ExpiresAt
        {
            get => new(Volatile.Read(ref _expiresTicks), TimeSpan.Zero);
            set => Volatile.Write(ref _expiresTicks, value.UtcTicks);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Discovered {InstanceId}/{ModelId}: {CapabilityCount} capabilities, context window {ContextWindow}")]
        public static partial void Discovered(ILogger logger, string instanceId, string modelId, int capabilityCount, int? contextWindow);

        [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Could not discover {InstanceId}/{ModelId}; routing uses what the registry knows")]
        public static partial void Failed(ILogger logger, string instanceId, string modelId, Exception exception);

        [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "Listed {InstanceId}: {ListedCount} installed model(s), {RegisteredCount} newly registered")]
        public static partial void Listed(ILogger logger, string instanceId, int listedCount, int registeredCount);

        [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "Could not list the models installed on {InstanceId}; routing uses what the registry knows")]
        public static partial void ListingFailed(ILogger logger, string instanceId, Exception exception);
    }
}
