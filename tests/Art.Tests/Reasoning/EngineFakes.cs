using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Art.Tests.Reasoning;

// Small fakes of ART's own interfaces for unit tests of the engine's logic. Integration tests with the real
// router, cost tracker, instance manager, state and observation managers live elsewhere.

internal sealed class FakeRouter : IModelRouter
{
    private readonly Lock _gate = new();

    public FakeRouter(RouteDecision decision) => Decision = decision;

    public RouteDecision Decision { get; set; }

    /// <summary>When set, answers requests instead of <see cref="Decision"/> (e.g. a re-route with MinContextWindow).</summary>
    public Func<RoutingRequest, RouteDecision>? OnSelect { get; set; }

    public List<RoutingRequest> Requests { get; } = [];

    public List<(string InstanceId, AttemptOutcome Outcome, ProviderErrorKind? Kind)> Outcomes { get; } = [];

    public ValueTask<RouteDecision> SelectAsync(RoutingRequest request, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Requests.Add(request);
        }

        return ValueTask.FromResult(OnSelect?.Invoke(request) ?? Decision);
    }

    public void ReportOutcome(string instanceId, AttemptOutcome outcome, ProviderErrorKind? kind = null)
    {
        lock (_gate)
        {
            Outcomes.Add((instanceId, outcome, kind));
        }
    }

    public bool IsAvailable(string instanceId) => true;
}

internal sealed class FakeCostTracker : ICostTracker
{
    private readonly Lock _gate = new();
    private int _next;

    /// <summary>Returns an exception to refuse a reservation with, or null to accept.</summary>
    public Func<CostReservationRequest, Exception?>? Refuse { get; set; }

    public List<CostReservationRequest> Reserved { get; } = [];

    public List<(CostReservation Reservation, TokenUsage Usage, decimal? ProviderCost)> Settled { get; } = [];

    public List<CostReservation> Released { get; } = [];

    /// <summary>Reservations neither settled nor released.</summary>
    public int Outstanding
    {
        get
        {
            lock (_gate)
            {
                return Reserved.Count - Settled.Count - Released.Count;
            }
        }
    }

    public ValueTask<CostReservation> ReserveAsync(CostReservationRequest request, CancellationToken cancellationToken = default)
    {
        if (Refuse?.Invoke(request) is { } refusal)
        {
            throw refusal;
        }

        lock (_gate)
        {
            Reserved.Add(request);
            return ValueTask.FromResult(new CostReservation { Id = "res-" + ++_next, Request = request, ReservedTokens = request.EstimatedInputTokens + request.MaxOutputTokens });
        }
    }

    public ValueTask<CallCost> SettleAsync(CostReservation reservation, TokenUsage usage, decimal? providerCost = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Assert.DoesNotContain(Settled, s => s.Reservation.Id == reservation.Id);
            Assert.DoesNotContain(Released, r => r.Id == reservation.Id);
            Settled.Add((reservation, usage, providerCost));
        }

        return ValueTask.FromResult(new CallCost
        {
            Cost = providerCost ?? UsagePricing.Calculate(reservation.Request.Pricing, usage),
            Usage = usage,
            FromProvider = providerCost is not null,
        });
    }

    public ValueTask ReleaseAsync(CostReservation reservation, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Assert.DoesNotContain(Settled, s => s.Reservation.Id == reservation.Id);
            Assert.DoesNotContain(Released, r => r.Id == reservation.Id);
            Released.Add(reservation);
        }

        return ValueTask.CompletedTask;
    }

    public decimal? CalculateCost(ModelPricing? pricing, TokenUsage usage) => UsagePricing.Calculate(pricing, usage);

    public Task<ThreadUsage> GetThreadUsageAsync(string threadId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<ThreadUsage>> GetAllUsageAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
}

internal sealed class FakeInstanceManager : IProviderInstanceManager
{
    private readonly Dictionary<string, (ProviderInstanceConfig Config, IProviderAdapter Adapter)> _instances = new(StringComparer.Ordinal);
    private int _acquired;
    private int _released;
    private int _doubleReleases;

    public IReadOnlyList<ProviderInstanceConfig> Instances => [.. _instances.Values.Select(v => v.Config)];

    /// <summary>Returns an exception to fail an acquisition with (e.g. LocalInstanceBusyException).</summary>
    public Func<string, Exception?>? FailAcquire { get; set; }

    public int Acquired => Volatile.Read(ref _acquired);

    public int Released => Volatile.Read(ref _released);

    public int Held => Acquired - Released;

    public int DoubleReleases => Volatile.Read(ref _doubleReleases);

    public FakeInstanceManager Add(ProviderInstanceConfig config, IProviderAdapter adapter)
    {
        _instances[config.Id] = (config, adapter);
        return this;
    }

    public ProviderInstanceConfig GetConfig(string instanceId) =>
        _instances.TryGetValue(instanceId, out var entry) ? entry.Config : throw new UnknownInstanceException(instanceId, _instances.Keys);

    public IProviderAdapter GetAdapter(string instanceId) =>
        _instances.TryGetValue(instanceId, out var entry) ? entry.Adapter : throw new UnknownInstanceException(instanceId, _instances.Keys);

    public bool TryGetAdapter(string instanceId, out IProviderAdapter adapter)
    {
        var found = _instances.TryGetValue(instanceId, out var entry);
        adapter = entry.Adapter;
        return found;
    }

    public bool IsLocal(string instanceId) => false;

    public ValueTask<IInstanceLease> AcquireAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        if (FailAcquire?.Invoke(instanceId) is { } failure)
        {
            throw failure;
        }

        Interlocked.Increment(ref _acquired);
        return ValueTask.FromResult<IInstanceLease>(new Lease(this, instanceId));
    }

    public string? FindFirstInstanceOfProvider(string provider) => null;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Lease(FakeInstanceManager owner, string instanceId) : IInstanceLease
    {
        private int _disposed;

        public string InstanceId => instanceId;

        public TimeSpan Waited => TimeSpan.Zero;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Increment(ref owner._released);
            }
            else
            {
                Interlocked.Increment(ref owner._doubleReleases);
            }
        }
    }
}

internal sealed class FakeStateManager : IStateManager
{
    private readonly Dictionary<string, ThreadConfig> _configs = new(StringComparer.Ordinal);

    public FakeStateManager Add(string threadId, ThreadConfig config)
    {
        _configs[threadId] = config;
        return this;
    }

    public Task<ThreadContext> LoadThreadContextAsync(string threadId, CancellationToken cancellationToken = default) =>
        _configs.TryGetValue(threadId, out var config)
            ? Task.FromResult(new ThreadContext(config, null))
            : throw new ThreadNotFoundException(threadId);

    public Task<ThreadConfig?> GetThreadConfigAsync(string threadId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_configs.GetValueOrDefault(threadId));

    public Task SetThreadConfigAsync(string threadId, ThreadConfig config, CancellationToken cancellationToken = default)
    {
        _configs[threadId] = config;
        return Task.CompletedTask;
    }

    public Task UpdateThreadReasoningPreferencesAsync(string threadId, ModelPreferences? modelPreferences = null, CostPreferences? costPreferences = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public Task<AgentState?> GetAgentStateAsync(string threadId, CancellationToken cancellationToken = default) => Task.FromResult<AgentState?>(null);

    public Task SetAgentStateAsync(string threadId, AgentState state, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<bool> IsToolEnabledAsync(string threadId, string toolName, CancellationToken cancellationToken = default) => Task.FromResult(false);

    public Task<IReadOnlyList<string>> ListThreadIdsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. _configs.Keys]);
}

internal sealed class FakeRegistry : IModelRegistry
{
    public Dictionary<string, ModelPricing> Prices { get; } = new(StringComparer.Ordinal);

    public int Count => 0;

    public ModelPricing? ResolvePricing(ProviderInstanceConfig instance, string modelId) =>
        instance.Pricing?.GetValueOrDefault(modelId) ?? Prices.GetValueOrDefault(instance.Id + "/" + modelId);

    public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public ModelInfo? GetModelInfo(string provider, string modelId) => null;

    public IReadOnlyList<ModelInfo> GetModelsForProvider(string provider) => [];

    public Task RegisterModelAsync(ModelInfo model, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task RegisterModelsAsync(IReadOnlyList<ModelInfo> models, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<ModelInfo>> FindModelsWithCapabilitiesAsync(IReadOnlyCollection<ModelCapability> capabilities, string? provider = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<CapabilityValidation> ValidateModelCapabilitiesAsync(string provider, string modelId, IReadOnlyCollection<ModelCapability> capabilities, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<ModelUIInfo>> GetAllModelsForUIAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<int> ImportPriceMapAsync(Stream priceMapJson, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}

/// <summary>A FakeTimeProvider that reports every timer it creates, so a test can wait for a backoff to be scheduled before advancing.</summary>
internal sealed class SignalingTimeProvider(FakeTimeProvider inner) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<TimeSpan> _dueTimes = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeTimeProvider Inner => inner;

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = inner.CreateTimer(callback, state, dueTime, period);
        Signal(dueTime);
        return new SignalingTimer(this, timer);
    }

    private void Signal(TimeSpan dueTime)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _dueTimes.Add(dueTime);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>Reports Change calls too (CancellationTokenSource.CancelAfter re-arms one timer).</summary>
    private sealed class SignalingTimer(SignalingTimeProvider owner, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var result = inner.Change(dueTime, period);
            owner.Signal(dueTime);
            return result;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>Waits until a timer with exactly <paramref name="dueTime"/> was created.</summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime, TimeSpan timeout) => await WaitForTimerAsync(d => d == dueTime, timeout, 1);

    /// <summary>Waits until <paramref name="count"/> timers matching <paramref name="match"/> were created or re-armed; returns their due times.</summary>
    public async Task<IReadOnlyList<TimeSpan>> WaitForTimerAsync(Func<TimeSpan, bool> match, TimeSpan timeout, int count)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var found = _dueTimes.Where(match).ToList();
                if (found.Count >= count)
                {
                    return found;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cts.Token);
        }
    }

    public IReadOnlyList<TimeSpan> DueTimes
    {
        get
        {
            lock (_gate)
            {
                return [.. _dueTimes];
            }
        }
    }
}

/// <summary>Wires an engine to fakes and scripted adapters for one test.</summary>
internal sealed class EngineHarness
{
    public const string Thread = "t1";

    public EngineHarness(RouteDecision? decision = null, ReasoningEngineOptions? options = null, TimeProvider? time = null, ThreadConfig? thread = null)
    {
        Time = time ?? TimeProvider.System;
        Factory = new ScriptedProviderFactory(Time);
        Router = new FakeRouter(decision ?? Decide("a"));
        State.Add(Thread, thread ?? new ThreadConfig { Reasoning = new ThreadReasoningConfig { InstanceId = "a" } });
        Options = options ?? new ReasoningEngineOptions
        {
            BaseBackoff = TimeSpan.Zero,
            MaxBackoff = TimeSpan.Zero,
            AttemptTimeout = null,
            FirstTokenTimeout = null,
            IdleTimeout = null,
        };
    }

    public TimeProvider Time { get; }

    public ScriptedProviderFactory Factory { get; }

    public FakeRouter Router { get; }

    public FakeCostTracker Costs { get; } = new();

    public FakeInstanceManager Instances { get; } = new();

    public FakeStateManager State { get; } = new();

    public CollectingObservationManager Observations { get; } = new();

    public FakeRegistry Registry { get; } = new();

    public ReasoningEngineOptions Options { get; set; }

    /// <summary>Adds a scripted instance (model "m-{id}") and returns its adapter.</summary>
    public ScriptedProviderAdapter Instance(string id, ModelParameters? parameters = null, ModelPricing? pricing = null)
    {
        var adapter = Factory.For(id);
        Instances.Add(
            new ProviderInstanceConfig
            {
                Id = id,
                Provider = "scripted",
                Model = "m-" + id,
                Parameters = parameters,
                Pricing = pricing is null ? null : new Dictionary<string, ModelPricing> { ["m-" + id] = pricing },
            },
            adapter);
        return adapter;
    }

    public ReasoningEngine Build(Func<ArtPrompt, CallOptions, bool, IReadOnlyList<ModelCapability>>? analyzer = null) =>
        new(State, Router, Registry, Costs, Instances, Observations, Options, Time, capabilityAnalyzer: analyzer, jitter: new Random(42));

    public static RouteTarget Target(string instance, int? contextWindow = null) =>
        new(instance, "scripted", "m-" + instance)
        {
            Model = contextWindow is null ? null : new ModelInfo { Provider = "scripted", ModelId = "m-" + instance, ContextWindow = contextWindow },
        };

    public static RouteDecision Decide(string primary, params string[] fallbacks) =>
        new() { Primary = Target(primary), Fallbacks = [.. fallbacks.Select(f => Target(f))], Why = "test" };

    public static CallOptions Call(string? requestId = null) => new() { ThreadId = Thread, RequestId = requestId };
}
