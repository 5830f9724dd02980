namespace Art.Costs;

/// <summary>
/// One settled call in the persisted ledger (<c>art_cost_ledger</c>). The ledger is the source of truth for totals:
/// a thread's state is rebuilt from its entries after a restart. The id is the reservation id, so a settlement that
/// is written twice overwrites itself instead of counting twice.
/// </summary>
public sealed record CostLedgerEntry
{
    public const string Collection = "art_cost_ledger";

    public required string Id { get; init; }

    public required string ThreadId { get; init; }

    public required string InstanceId { get; init; }

    public required string ModelId { get; init; }

    public string? TraceId { get; init; }

    public string? RequestId { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    public long CachedInputTokens { get; init; }

    public long CacheWriteTokens { get; init; }

    public long ReasoningTokens { get; init; }

    /// <summary>USD; null when the price was unknown.</summary>
    public decimal? Cost { get; init; }

    /// <summary>Whether <see cref="Cost"/> was reported by the provider (OpenRouter) rather than computed from prices.</summary>
    public bool FromProvider { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The warning threshold this settlement crossed (a COST_WARNING was fired), for audit.</summary>
    public decimal? WarningThresholdCrossed { get; init; }
}
