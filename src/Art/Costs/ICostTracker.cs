using Art.Context;
using Art.Models;
using Art.Reasoning;

namespace Art.Costs;

/// <summary>What a call may cost, reserved against the thread's budget before it is sent.</summary>
public sealed record CostReservationRequest
{
    public required string ThreadId { get; init; }

    public required string InstanceId { get; init; }

    public required string ModelId { get; init; }

    public CostPreferences? Preferences { get; init; }

    /// <summary>Prices of the target (null = unknown: the cost part of the budget cannot be checked, tokens still are).</summary>
    public ModelPricing? Pricing { get; init; }

    public long EstimatedInputTokens { get; init; }

    /// <summary>Upper bound of output tokens for the estimate.</summary>
    public long MaxOutputTokens { get; init; }

    public string? TraceId { get; init; }

    public string? RequestId { get; init; }
}

/// <summary>A hold on a thread's budget; settled or released exactly once.</summary>
public sealed record CostReservation
{
    public required string Id { get; init; }

    public required CostReservationRequest Request { get; init; }

    /// <summary>Reserved USD (0 when the price is unknown).</summary>
    public decimal ReservedCost { get; init; }

    public long ReservedTokens { get; init; }
}

/// <summary>The money of one settled call.</summary>
public sealed record CallCost
{
    /// <summary>USD; null when the price is unknown.</summary>
    public decimal? Cost { get; init; }

    public required TokenUsage Usage { get; init; }

    /// <summary>Whether the cost came from the provider itself (OpenRouter) rather than the price table.</summary>
    public bool FromProvider { get; init; }
}

/// <summary>Totals over a set of ledger entries.</summary>
public sealed record UsageTotals
{
    public decimal Cost { get; init; }

    /// <summary>Calls whose price was unknown (their cost is not in <see cref="Cost"/>).</summary>
    public int UnknownCostCalls { get; init; }

    public int Calls { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    public long CachedInputTokens { get; init; }

    public long ReasoningTokens { get; init; }

    public long TotalTokens => InputTokens + OutputTokens;
}

/// <summary>A thread's usage: total, and broken down per instance and per model (<c>instance/model</c>).</summary>
public sealed record ThreadUsage
{
    public required string ThreadId { get; init; }

    public required UsageTotals Total { get; init; }

    public IReadOnlyDictionary<string, UsageTotals> ByInstance { get; init; } = new Dictionary<string, UsageTotals>();

    public IReadOnlyDictionary<string, UsageTotals> ByModel { get; init; } = new Dictionary<string, UsageTotals>();

    /// <summary>Money currently reserved by calls in flight.</summary>
    public decimal ReservedCost { get; init; }
}

/// <summary>
/// Turns usage into money, holds budgets and keeps the persisted ledger (<c>art_cost_ledger</c>).
/// Reservations make hard limits hold under concurrency.
/// </summary>
public interface ICostTracker
{
    /// <summary>Reserves the call's estimate; throws <see cref="BudgetExceededException"/> (after recording COST_LIMIT_REACHED) when a hard limit would be crossed.</summary>
    ValueTask<CostReservation> ReserveAsync(CostReservationRequest request, CancellationToken cancellationToken = default);

    /// <summary>Settles to the real usage, writes the ledger entry, releases the rest and fires warnings once per crossing.</summary>
    ValueTask<CallCost> SettleAsync(CostReservation reservation, TokenUsage usage, decimal? providerCost = null, CancellationToken cancellationToken = default);

    /// <summary>Releases a reservation without usage (the attempt failed before any token was billed).</summary>
    ValueTask ReleaseAsync(CostReservation reservation, CancellationToken cancellationToken = default);

    /// <summary>USD for a usage at a price; null when the price is unknown.</summary>
    decimal? CalculateCost(ModelPricing? pricing, TokenUsage usage);

    Task<ThreadUsage> GetThreadUsageAsync(string threadId, CancellationToken cancellationToken = default);

    /// <summary>Usage of every thread.</summary>
    Task<IReadOnlyList<ThreadUsage>> GetAllUsageAsync(CancellationToken cancellationToken = default);
}
