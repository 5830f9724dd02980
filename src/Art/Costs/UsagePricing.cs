using Art.Models;
using Art.Reasoning;

namespace Art.Costs;

/// <summary>
/// Usage to money, one rule for every provider thanks to <see cref="TokenUsage"/>'s normalisation:
/// uncached input at the input price, cache reads and writes at their prices (input price when absent),
/// visible output at the output price, reasoning at the reasoning price (output price when absent).
/// </summary>
public static class UsagePricing
{
    private const decimal Million = 1_000_000m;

    /// <summary>USD, or null when the input or output price is unknown.</summary>
    public static decimal? Calculate(ModelPricing? pricing, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        if (pricing is not { InputPerMillion: { } input, OutputPerMillion: { } output })
        {
            return null;
        }

        var cached = Math.Min(usage.CachedInputTokens, usage.InputTokens);
        var cacheWrite = Math.Min(usage.CacheWriteTokens, usage.InputTokens - cached);
        var plainInput = usage.InputTokens - cached - cacheWrite;
        var reasoning = Math.Min(usage.ReasoningTokens, usage.OutputTokens);
        var plainOutput = usage.OutputTokens - reasoning;

        var total = (plainInput * input)
            + (cached * (pricing.CachedInputPerMillion ?? input))
            + (cacheWrite * (pricing.CacheWritePerMillion ?? input))
            + (plainOutput * output)
            + (reasoning * (pricing.ReasoningPerMillion ?? output));
        return total / Million;
    }
}
