using Art.Costs;
using Art.Models;
using Art.Reasoning;

namespace Art.Benchmarks.Support;

/// <summary>Reservations and settlement against per-thread totals under one lock, priced with <see cref="UsagePricing"/>.</summary>
public sealed class BenchCostTracker : ICostTracker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, decimal> _spent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, decimal> _reserved = new(StringComparer.Ordinal);
    private long _next;

    public ValueTask<CostReservation> ReserveAsync(CostReservationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var estimate = UsagePricing.Calculate(request.Pricing, new TokenUsage { InputTokens = request.EstimatedInputTokens, OutputTokens = request.MaxOutputTokens }) ?? 0m;
        lock (_gate)
        {
            var spent = _spent.GetValueOrDefault(request.ThreadId);
            var reserved = _reserved.GetValueOrDefault(request.ThreadId);
            if (request.Preferences?.MaxCostPerThread is { } limit && spent + reserved + estimate > limit)
            {
                throw new Art.BudgetExceededException(request.ThreadId, Art.BudgetLimitKind.CostPerThread, limit, spent + reserved, estimate);
            }

            _reserved[request.ThreadId] = reserved + estimate;
            return ValueTask.FromResult(new CostReservation { Id = (++_next).ToString(System.Globalization.CultureInfo.InvariantCulture), Request = request, ReservedCost = estimate });
        }
    }

    public ValueTask<CallCost> SettleAsync(CostReservation reservation, TokenUsage usage, decimal? providerCost = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        var cost = providerCost ?? UsagePricing.Calculate(reservation.Request.Pricing, usage);
        lock (_gate)
        {
            var thread = reservation.Request.ThreadId;
            _reserved[thread] = _reserved.GetValueOrDefault(thread) - reservation.ReservedCost;
            _spent[thread] = _spent.GetValueOrDefault(thread) + (cost ?? 0m);
        }

        return ValueTask.FromResult(new CallCost { Cost = cost, Usage = usage, FromProvider = providerCost is not null });
    }

    public ValueTask ReleaseAsync(CostReservation reservation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        lock (_gate)
        {
            var thread = reservation.Request.ThreadId;
            _reserved[thread] = _reserved.GetValueOrDefault(thread) - reservation.ReservedCost;
        }

        return ValueTask.CompletedTask;
    }

    public decimal? CalculateCost(ModelPricing? pricing, TokenUsage usage) => UsagePricing.Calculate(pricing, usage);

    public Task<ThreadUsage> GetThreadUsageAsync(string threadId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(new ThreadUsage
            {
                ThreadId = threadId,
                Total = new UsageTotals { Cost = _spent.GetValueOrDefault(threadId) },
                ReservedCost = _reserved.GetValueOrDefault(threadId),
            });
        }
    }

    public async Task<IReadOnlyList<ThreadUsage>> GetAllUsageAsync(CancellationToken cancellationToken = default)
    {
        string[] threads;
        lock (_gate)
        {
            threads = [.. _spent.Keys];
        }

        var result = new List<ThreadUsage>(threads.Length);
        foreach (var thread in threads)
        {
            result.Add(await GetThreadUsageAsync(thread, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }
}
