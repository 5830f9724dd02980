using System.Collections.Concurrent;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Costs;

/// <summary>Behaviour switches of <see cref="CostTrackingService"/>.</summary>
public sealed record CostTrackingOptions
{
    /// <summary>
    /// When a thread has a cost limit (<c>MaxCostPerCall</c> or <c>MaxCostPerThread</c>) and the target's price is
    /// unknown, the limit cannot be checked. False (default) refuses the call (fail closed: a hard limit the user set
    /// must hold); true lets it through with a zero cost reservation and reports its cost as unknown.
    /// Token limits are checked either way.
    /// </summary>
    public bool AllowUnknownPriceUnderCostLimit { get; init; }

    /// <summary>
    /// How many completed (settled or released) reservation ids each thread remembers in memory, so that a repeated
    /// settle or release of a recent reservation is answered without touching storage. Older settlements are still
    /// recognised through the ledger; only a settle of a long-released reservation is no longer recognised (see
    /// <see cref="CostTrackingService"/>). Bounded so that a long-running server does not grow by one entry per call.
    /// </summary>
    public int RecentCompletionsPerThread { get; init; } = 256;

    /// <summary>
    /// When set, a thread's in-memory state is dropped after it has been unused this long with no call in flight and
    /// every settlement persisted; its next use rebuilds it from the ledger (the restart path). Null (default) keeps
    /// every thread seen for the life of the process. Idle threads are swept at most once per half this interval, on
    /// <see cref="CostTrackingService.ReserveAsync"/>.
    /// </summary>
    public TimeSpan? IdleThreadEviction { get; init; }
}

/// <summary>
/// The cost tracker: per-thread budget state in memory (settled totals plus in-flight reservations), guarded by one
/// async lock per thread so that check-and-reserve is atomic and hard limits hold under concurrent calls, and a
/// persisted ledger (<see cref="CostLedgerEntry"/>) from which a thread's totals are rebuilt lazily after a restart.
/// </summary>
/// <remarks>
/// <para>Guarantee: a thread's settled cost never exceeds <c>MaxCostPerThread</c> as long as each call's real usage
/// stays within its reservation (prompt estimate is an upper bound, the provider honours max output tokens). A call
/// that costs more than it reserved is still recorded truthfully (the money was spent) and further calls are refused.</para>
/// <para>Settlement and release are not cancellable: the money was spent or the hold must go, whatever the caller's
/// token says. Each reservation is settled or released once; later calls for it are no-ops.</para>
/// <para>Exactly-once without unbounded memory: a reservation's identity is its <see cref="CostReservation.Id"/>, not the
/// object (a copy made with <c>with</c> or read back from JSON settles the same hold), so a weak table keyed by the object
/// would not do. While a reservation is in flight it is in the thread's active set, and settling or releasing it
/// removes it from there under the thread's lock: that is what makes completion exactly-once. After completion the
/// id is kept only in a bounded per-thread FIFO of recent completions
/// (<see cref="CostTrackingOptions.RecentCompletionsPerThread"/>), so an immediate repeat returns the first result
/// from memory. A settle of an id that is neither active nor recent looks the id up in the ledger (the durable record
/// of every settlement, and the same path that serves settlements made before a restart): if it is there, its
/// recorded cost is returned and nothing is counted again. Settlements whose ledger write failed are not in the ledger,
/// so their results are kept (outside the bound; one per failed write) until the thread state is dropped. The one
/// thing the bound gives up: a settle of a reservation released more than
/// <see cref="CostTrackingOptions.RecentCompletionsPerThread"/> completions ago is recorded as spend, exactly as it
/// already was after a restart (a release leaves no ledger trace). That errs towards counting money, never towards
/// losing it. The same holds once an idle thread's state is dropped (<see cref="CostTrackingOptions.IdleThreadEviction"/>):
/// its recent completions go with it, its totals are rebuilt from the ledger on next use.</para>
/// <para>COST_WARNING fires when a settlement moves the thread's known total from below <c>WarnCostThreshold</c> to at
/// or above it. Because the total is rebuilt from the ledger, a restarted process does not fire again for a threshold
/// already crossed, and a raised threshold fires again when it is crossed.</para>
/// </remarks>
public sealed class CostTrackingService : ICostTracker
{
    private readonly IStorageAdapter _storage;
    private readonly IObservationManager? _observations;
    private readonly CostTrackingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ThreadState> _threads = new(StringComparer.Ordinal);
    private long _nextSweepTicks;
    private long _evictedThreadStates;

    public CostTrackingService(
        IStorageAdapter storage,
        IObservationManager? observations = null,
        CostTrackingOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger<CostTrackingService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _storage = storage;
        _observations = observations;
        _options = options ?? new CostTrackingOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.RecentCompletionsPerThread, nameof(options));
        if (_options.IdleThreadEviction is { } idle && idle <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), idle, "IdleThreadEviction must be positive.");
        }
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public decimal? CalculateCost(ModelPricing? pricing, TokenUsage usage) => UsagePricing.Calculate(pricing, usage);

    /// <summary>
    /// Upper bound of a call's cost, through the one pricing rule: the worst of plain and cache-write input, and of
    /// plain and reasoning output (either may be priced above the base price). Null when the price is unknown.
    /// </summary>
    public static decimal? EstimateMaxCost(ModelPricing? pricing, long inputTokens, long maxOutputTokens)
    {
        if (pricing is null || !pricing.IsKnown)
        {
            return null;
        }

        var plain = new TokenUsage { InputTokens = inputTokens, OutputTokens = maxOutputTokens };
        decimal? worst = null;
        foreach (var usage in new[]
                 {
                     plain,
                     plain with { CacheWriteTokens = inputTokens },
                     plain with { ReasoningTokens = maxOutputTokens },
                     plain with { CacheWriteTokens = inputTokens, ReasoningTokens = maxOutputTokens },
                 })
        {
            var cost = UsagePricing.Calculate(pricing, usage);
            if (cost is { } c && (worst is null || c > worst))
            {
                worst = c;
            }
        }

        return worst;
    }

    /// <inheritdoc />
    public async ValueTask<CostReservation> ReserveAsync(CostReservationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ThreadId);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.InstanceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ModelId);
        ArgumentOutOfRangeException.ThrowIfNegative(request.EstimatedInputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(request.MaxOutputTokens);
        cancellationToken.ThrowIfCancellationRequested();

        EvictIdleThreads();
        var estimateTokens = request.EstimatedInputTokens + request.MaxOutputTokens;
        var estimateCost = EstimateMaxCost(request.Pricing, request.EstimatedInputTokens, request.MaxOutputTokens);

        Refusal? refusal;
        var state = await LockStateAsync(request.ThreadId, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureLoadedAsync(state, cancellationToken).ConfigureAwait(false);
            refusal = Check(state, request, estimateCost, estimateTokens);
            if (refusal is null)
            {
                var reservation = new CostReservation
                {
                    Id = "res_" + Guid.NewGuid().ToString("N"),
                    Request = request,
                    ReservedCost = estimateCost ?? 0m,
                    ReservedTokens = estimateTokens,
                };
                state.Active.Add(reservation.Id, reservation);
                state.ReservedCost += reservation.ReservedCost;
                state.ReservedTokens += reservation.ReservedTokens;
                return reservation;
            }
        }
        finally
        {
            state.Lock.Release();
        }

        await RecordLimitReachedAsync(request, refusal).ConfigureAwait(false);
        throw refusal.Exception;
    }

    /// <inheritdoc />
    public async ValueTask<CallCost> SettleAsync(CostReservation reservation, TokenUsage usage, decimal? providerCost = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        ArgumentNullException.ThrowIfNull(usage);
        var request = reservation.Request;
        CallCost result;
        CostLedgerEntry entry;
        UsageTotals totalAfter;

        // Not cancellable on purpose (see the class remarks).
        var state = await LockStateAsync(request.ThreadId, CancellationToken.None).ConfigureAwait(false);
        try
        {
            await EnsureLoadedAsync(state, CancellationToken.None).ConfigureAwait(false);
            var cost = providerCost ?? UsagePricing.Calculate(request.Pricing, usage);
            result = new CallCost { Cost = cost, Usage = usage, FromProvider = providerCost is not null };

            var held = state.Active.Remove(reservation.Id, out var active) ? active : null;
            if (held is null)
            {
                if (state.TryGetCompleted(reservation.Id, out var earlier))
                {
                    if (earlier is null)
                    {
                        _logger.LogWarning("Reservation {ReservationId} of thread {ThreadId} was released before it was settled; the settlement is not recorded", reservation.Id, request.ThreadId);
                        return result;
                    }

                    _logger.LogDebug("Reservation {ReservationId} of thread {ThreadId} is already settled; ignoring the second settlement", reservation.Id, request.ThreadId);
                    return earlier;
                }

                // Neither in flight nor recent: settled long ago or before a restart, or never settled here at all.
                var recorded = await _storage.GetAsync<CostLedgerEntry>(CostLedgerEntry.Collection, reservation.Id, CancellationToken.None).ConfigureAwait(false);
                if (recorded is not null)
                {
                    _logger.LogDebug("Reservation {ReservationId} of thread {ThreadId} is already in the ledger; ignoring the second settlement", reservation.Id, request.ThreadId);
                    var first = ToCallCost(recorded);
                    state.RememberCompleted(reservation.Id, first, _options.RecentCompletionsPerThread);
                    return first;
                }
            }

            if (held is not null)
            {
                state.ReservedCost -= held.ReservedCost;
                state.ReservedTokens -= held.ReservedTokens;
                if (cost is { } c && c > held.ReservedCost && held.ReservedCost > 0m)
                {
                    _logger.LogWarning("Call on {InstanceId}/{ModelId} cost {Cost} USD, more than its reservation of {Reserved} USD", request.InstanceId, request.ModelId, c, held.ReservedCost);
                }
            }
            else
            {
                _logger.LogDebug("Settling reservation {ReservationId} of thread {ThreadId} that this process does not hold (made before a restart?)", reservation.Id, request.ThreadId);
            }

            var before = state.Total.Cost;
            var after = before + (cost ?? 0m);
            decimal? crossed = request.Preferences?.WarnCostThreshold is { } threshold && before < threshold && after >= threshold ? threshold : null;

            entry = new CostLedgerEntry
            {
                Id = reservation.Id,
                ThreadId = request.ThreadId,
                InstanceId = request.InstanceId,
                ModelId = request.ModelId,
                TraceId = request.TraceId,
                RequestId = request.RequestId,
                InputTokens = usage.InputTokens,
                OutputTokens = usage.OutputTokens,
                CachedInputTokens = usage.CachedInputTokens,
                CacheWriteTokens = usage.CacheWriteTokens,
                ReasoningTokens = usage.ReasoningTokens,
                Cost = cost,
                FromProvider = result.FromProvider,
                Timestamp = _time.GetUtcNow(),
                WarningThresholdCrossed = crossed,
            };

            // Memory first: the money is spent even if the ledger write fails, and limits must see it.
            state.Apply(entry);
            state.RememberCompleted(reservation.Id, result, _options.RecentCompletionsPerThread);
            totalAfter = state.Total.ToTotals();
            try
            {
                await _storage.SetAsync(CostLedgerEntry.Collection, entry.Id, entry, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Not in the ledger, so the ledger cannot answer a repeat once the id leaves the recent FIFO: keep it.
                state.Unpersisted[reservation.Id] = result;
                _logger.LogError(ex, "Could not write the cost ledger entry {EntryId} of thread {ThreadId}; the totals in memory include it", entry.Id, entry.ThreadId);
                throw;
            }
        }
        finally
        {
            state.Lock.Release();
        }

        if (entry.WarningThresholdCrossed is { } t)
        {
            await RecordWarningAsync(request, entry, t, totalAfter).ConfigureAwait(false);
        }

        return result;
    }

    /// <inheritdoc />
    public async ValueTask ReleaseAsync(CostReservation reservation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        ThreadState? state;
        while (true)
        {
            // A thread that is not resident holds no reservation (threads with holds are never evicted).
            if (!_threads.TryGetValue(reservation.Request.ThreadId, out state))
            {
                return;
            }

            await state.Lock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            if (!state.Evicted)
            {
                break;
            }

            state.Lock.Release();
        }

        try
        {
            state.LastUsed = _time.GetUtcNow();
            if (state.Active.Remove(reservation.Id, out var held))
            {
                state.ReservedCost -= held.ReservedCost;
                state.ReservedTokens -= held.ReservedTokens;
                state.RememberCompleted(reservation.Id, null, _options.RecentCompletionsPerThread);
            }
        }
        finally
        {
            state.Lock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<ThreadUsage> GetThreadUsageAsync(string threadId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        var state = await LockStateAsync(threadId, cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureLoadedAsync(state, cancellationToken).ConfigureAwait(false);
            return state.Snapshot();
        }
        finally
        {
            state.Lock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ThreadUsage>> GetAllUsageAsync(CancellationToken cancellationToken = default)
    {
        var entries = await _storage.QueryAsync<CostLedgerEntry>(CostLedgerEntry.Collection, null, cancellationToken).ConfigureAwait(false);
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            ids.Add(e.ThreadId);
        }

        foreach (var known in _threads.Keys)
        {
            ids.Add(known);
        }

        var result = new List<ThreadUsage>(ids.Count);
        foreach (var id in ids)
        {
            result.Add(await GetThreadUsageAsync(id, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    /// <summary>
    /// The thread's resident state, locked. An evicted state (dropped by <see cref="EvictIdleThreads"/> while this
    /// caller waited for its lock) is never used: the caller retries and gets, or creates, the one now in the map, so
    /// two states of one thread never both take calls.
    /// </summary>
    private async ValueTask<ThreadState> LockStateAsync(string threadId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var state = _threads.GetOrAdd(threadId, static id => new ThreadState(id));
            await state.Lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!state.Evicted)
            {
                state.LastUsed = _time.GetUtcNow();
                return state;
            }

            state.Lock.Release();
        }
    }

    /// <summary>
    /// Drops threads idle for <see cref="CostTrackingOptions.IdleThreadEviction"/>. Only a state whose lock is free,
    /// with nothing reserved and every settlement in the ledger, is dropped: rebuilding it from the ledger then gives
    /// the same totals, so limits hold. It is marked evicted under its lock before it leaves the map, so a caller
    /// already waiting for it retries (see <see cref="LockStateAsync"/>).
    /// </summary>
    private void EvictIdleThreads()
    {
        if (_options.IdleThreadEviction is not { } idle)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var next = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < next || Interlocked.CompareExchange(ref _nextSweepTicks, (now + (idle / 2)).UtcTicks, next) != next)
        {
            return;
        }

        foreach (var (threadId, state) in _threads)
        {
            if (!state.Lock.Wait(0))
            {
                continue;
            }

            try
            {
                if (state.Active.Count == 0 && state.Unpersisted.Count == 0 && now - state.LastUsed >= idle)
                {
                    state.Evicted = true;
                    _threads.TryRemove(new KeyValuePair<string, ThreadState>(threadId, state));
                    Interlocked.Increment(ref _evictedThreadStates);
                }
            }
            finally
            {
                state.Lock.Release();
            }
        }
    }

    /// <summary>Whether the thread's state is in memory (for tests of idle eviction).</summary>
    internal bool IsThreadResident(string threadId) => _threads.ContainsKey(threadId);

    /// <summary>How many thread states idle eviction has dropped (for tests).</summary>
    internal long EvictedThreadStates => Interlocked.Read(ref _evictedThreadStates);

    private Refusal? Check(ThreadState state, CostReservationRequest request, decimal? estimateCost, long estimateTokens)
    {
        var prefs = request.Preferences;
        if (prefs is null)
        {
            return null;
        }

        var committedCost = state.Total.Cost + state.ReservedCost;
        var committedTokens = state.Total.TotalTokens + state.ReservedTokens;

        if (estimateCost is null && (prefs.MaxCostPerCall is not null || prefs.MaxCostPerThread is not null) && !_options.AllowUnknownPriceUnderCostLimit)
        {
            var (kind, limit, committed) = prefs.MaxCostPerThread is { } perThread
                ? (BudgetLimitKind.CostPerThread, perThread, committedCost)
                : (BudgetLimitKind.CostPerCall, prefs.MaxCostPerCall!.Value, 0m);
            return new Refusal(kind, limit, committed, 0m, true,
                BudgetExceededException.ForUnknownPrice(request.ThreadId, kind, limit, committed, request.InstanceId + "/" + request.ModelId));
        }

        if (estimateCost is { } cost)
        {
            if (prefs.MaxCostPerCall is { } perCall && cost > perCall)
            {
                return Refuse(request.ThreadId, BudgetLimitKind.CostPerCall, perCall, 0m, cost);
            }

            if (prefs.MaxCostPerThread is { } perThread && committedCost + cost > perThread)
            {
                return Refuse(request.ThreadId, BudgetLimitKind.CostPerThread, perThread, committedCost, cost);
            }
        }

        if (prefs.MaxTokensPerCall is { } tokensPerCall && estimateTokens > tokensPerCall)
        {
            return Refuse(request.ThreadId, BudgetLimitKind.TokensPerCall, tokensPerCall, 0m, estimateTokens);
        }

        if (prefs.MaxTokensPerThread is { } tokensPerThread && committedTokens + estimateTokens > tokensPerThread)
        {
            return Refuse(request.ThreadId, BudgetLimitKind.TokensPerThread, tokensPerThread, committedTokens, estimateTokens);
        }

        return null;

        static Refusal Refuse(string threadId, BudgetLimitKind kind, decimal limit, decimal committed, decimal requested) =>
            new(kind, limit, committed, requested, false, new BudgetExceededException(threadId, kind, limit, committed, requested));
    }

    private async Task EnsureLoadedAsync(ThreadState state, CancellationToken cancellationToken)
    {
        if (state.Loaded)
        {
            return;
        }

        var entries = await _storage.QueryAsync<CostLedgerEntry>(
            CostLedgerEntry.Collection, FilterOptions.WhereEquals("threadId", state.ThreadId), cancellationToken).ConfigureAwait(false);
        foreach (var entry in entries)
        {
            state.Apply(entry);
        }

        state.Loaded = true;
    }

    private static CallCost ToCallCost(CostLedgerEntry entry) => new()
    {
        Cost = entry.Cost,
        FromProvider = entry.FromProvider,
        Usage = new TokenUsage
        {
            InputTokens = entry.InputTokens,
            OutputTokens = entry.OutputTokens,
            CachedInputTokens = entry.CachedInputTokens,
            CacheWriteTokens = entry.CacheWriteTokens,
            ReasoningTokens = entry.ReasoningTokens,
        },
    };

    /// <summary>
    /// Per-reservation bookkeeping the tracker retains for a thread (active holds, recent completions, unpersisted
    /// settlements); for tests that check memory stays bounded. Zero for a thread this process has not seen.
    /// </summary>
    internal int RetainedReservationEntries(string threadId)
    {
        if (!_threads.TryGetValue(threadId, out var state))
        {
            return 0;
        }

        state.Lock.Wait();
        try
        {
            return state.Active.Count + state.RecentCount + state.Unpersisted.Count;
        }
        finally
        {
            state.Lock.Release();
        }
    }

    private async Task RecordLimitReachedAsync(CostReservationRequest request, Refusal refusal)
    {
        if (_observations is null)
        {
            return;
        }

        var content = new CostLimitReachedContent(
            refusal.Kind, refusal.Limit, refusal.Committed, refusal.Requested, refusal.PriceUnknown,
            request.ThreadId, request.InstanceId, request.ModelId);
        try
        {
            await _observations.RecordAsync(
                NewObservation.Create(ObservationType.CostLimitReached, content, request.ThreadId, request.TraceId, request.InstanceId, request.ModelId)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogError(ex, "Could not record COST_LIMIT_REACHED for thread {ThreadId}", request.ThreadId);
        }
    }

    private async Task RecordWarningAsync(CostReservationRequest request, CostLedgerEntry entry, decimal threshold, UsageTotals total)
    {
        _logger.LogInformation("Thread {ThreadId} reached its cost warning threshold of {Threshold} USD (total {Total} USD)", request.ThreadId, threshold, total.Cost);
        if (_observations is null)
        {
            return;
        }

        var content = new CostWarningContent(threshold, total.Cost, entry.Cost, total.UnknownCostCalls, request.ThreadId, request.InstanceId, request.ModelId);
        try
        {
            await _observations.RecordAsync(
                NewObservation.Create(ObservationType.CostWarning, content, request.ThreadId, request.TraceId, request.InstanceId, request.ModelId)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogError(ex, "Could not record COST_WARNING for thread {ThreadId}", request.ThreadId);
        }
    }

    /// <summary>Content of a COST_LIMIT_REACHED observation (limits in USD or tokens according to the kind).</summary>
    private sealed record CostLimitReachedContent(
        BudgetLimitKind LimitKind, decimal Limit, decimal Committed, decimal Requested, bool PriceUnknown,
        string ThreadId, string InstanceId, string ModelId);

    /// <summary>Content of a COST_WARNING observation.</summary>
    private sealed record CostWarningContent(
        decimal Threshold, decimal TotalCost, decimal? CallCost, int UnknownCostCalls,
        string ThreadId, string InstanceId, string ModelId);

    private sealed record Refusal(BudgetLimitKind Kind, decimal Limit, decimal Committed, decimal Requested, bool PriceUnknown, BudgetExceededException Exception);

    private sealed class Totals
    {
        public decimal Cost { get; private set; }

        public int UnknownCostCalls { get; private set; }

        public int Calls { get; private set; }

        public long InputTokens { get; private set; }

        public long OutputTokens { get; private set; }

        public long CachedInputTokens { get; private set; }

        public long ReasoningTokens { get; private set; }

        public long TotalTokens => InputTokens + OutputTokens;

        public void Add(CostLedgerEntry entry)
        {
            Calls++;
            if (entry.Cost is { } c)
            {
                Cost += c;
            }
            else
            {
                UnknownCostCalls++;
            }

            InputTokens += entry.InputTokens;
            OutputTokens += entry.OutputTokens;
            CachedInputTokens += entry.CachedInputTokens;
            ReasoningTokens += entry.ReasoningTokens;
        }

        public UsageTotals ToTotals() => new()
        {
            Cost = Cost,
            UnknownCostCalls = UnknownCostCalls,
            Calls = Calls,
            InputTokens = InputTokens,
            OutputTokens = OutputTokens,
            CachedInputTokens = CachedInputTokens,
            ReasoningTokens = ReasoningTokens,
        };
    }

    /// <summary>One thread's budget state; every member is touched only under <see cref="Lock"/>.</summary>
    private sealed class ThreadState(string threadId)
    {
        public string ThreadId { get; } = threadId;

        /// <summary>Never disposed: it has no wait handle unless AvailableWaitHandle is read, which it is not.</summary>
        public SemaphoreSlim Lock { get; } = new(1, 1);

        public bool Loaded { get; set; }

        /// <summary>Set (under the lock) when the state leaves the map; whoever then takes the lock must not use it.</summary>
        public bool Evicted { get; set; }

        public DateTimeOffset LastUsed { get; set; }

        public Totals Total { get; } = new();

        public Dictionary<string, Totals> ByInstance { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Totals> ByModel { get; } = new(StringComparer.Ordinal);

        public decimal ReservedCost { get; set; }

        public long ReservedTokens { get; set; }

        public Dictionary<string, CostReservation> Active { get; } = new(StringComparer.Ordinal);

        /// <summary>Settlements whose ledger write failed, so the ledger cannot recognise a repeat (one per failure).</summary>
        public Dictionary<string, CallCost> Unpersisted { get; } = new(StringComparer.Ordinal);

        /// <summary>Recently completed ids: the settled result, or null for a release. Bounded by <see cref="_recentOrder"/>.</summary>
        private readonly Dictionary<string, CallCost?> _recent = new(StringComparer.Ordinal);

        private readonly Queue<string> _recentOrder = new();

        public int RecentCount => _recent.Count;

        public bool TryGetCompleted(string id, out CallCost? result) =>
            _recent.TryGetValue(id, out result) || Unpersisted.TryGetValue(id, out result);

        /// <summary>Remembers a completion, forgetting the oldest beyond <paramref name="capacity"/> (FIFO).</summary>
        public void RememberCompleted(string id, CallCost? result, int capacity)
        {
            if (capacity == 0 || !_recent.TryAdd(id, result))
            {
                return;
            }

            _recentOrder.Enqueue(id);
            while (_recentOrder.Count > capacity)
            {
                _recent.Remove(_recentOrder.Dequeue());
            }
        }

        public void Apply(CostLedgerEntry entry)
        {
            Total.Add(entry);
            Get(ByInstance, entry.InstanceId).Add(entry);
            Get(ByModel, entry.InstanceId + "/" + entry.ModelId).Add(entry);
        }

        public ThreadUsage Snapshot() => new()
        {
            ThreadId = ThreadId,
            Total = Total.ToTotals(),
            ByInstance = ByInstance.ToDictionary(p => p.Key, p => p.Value.ToTotals(), StringComparer.Ordinal),
            ByModel = ByModel.ToDictionary(p => p.Key, p => p.Value.ToTotals(), StringComparer.Ordinal),
            ReservedCost = ReservedCost,
        };

        private static Totals Get(Dictionary<string, Totals> map, string key)
        {
            if (!map.TryGetValue(key, out var totals))
            {
                totals = new Totals();
                map.Add(key, totals);
            }

            return totals;
        }
    }
}
