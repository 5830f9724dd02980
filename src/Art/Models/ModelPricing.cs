using System.Text.Json.Serialization;

namespace Art.Models;

/// <summary>
/// Prices in USD per million tokens. A null price is unknown (cost reported as unknown), never zero.
/// Local models carry explicit zeros.
/// </summary>
public sealed record ModelPricing
{
    public decimal? InputPerMillion { get; init; }

    public decimal? OutputPerMillion { get; init; }

    /// <summary>Price of prompt tokens read from the provider's cache; defaults to the input price when absent.</summary>
    public decimal? CachedInputPerMillion { get; init; }

    /// <summary>Price of prompt tokens written to the cache (Anthropic); defaults to the input price when absent.</summary>
    public decimal? CacheWritePerMillion { get; init; }

    /// <summary>Price of reasoning tokens when priced apart; defaults to the output price.</summary>
    public decimal? ReasoningPerMillion { get; init; }

    /// <summary>Zero prices, for local models.</summary>
    public static ModelPricing Free { get; } = new() { InputPerMillion = 0m, OutputPerMillion = 0m, CachedInputPerMillion = 0m, CacheWritePerMillion = 0m, ReasoningPerMillion = 0m };

    /// <summary>True when both the input and output prices are known, the minimum to price a call.</summary>
    [JsonIgnore]
    public bool IsKnown => InputPerMillion is not null && OutputPerMillion is not null;
}
