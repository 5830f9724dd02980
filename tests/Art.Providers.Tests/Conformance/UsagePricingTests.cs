using Art.Costs;
using Art.Models;
using Art.Reasoning;

namespace Art.Providers.Tests.Conformance;

public sealed class UsagePricingTests
{
    [Fact]
    public void Calculate_CachedAndReasoningTokens_PricedApart()
    {
        var pricing = new ModelPricing { InputPerMillion = 2.5m, OutputPerMillion = 10m, CachedInputPerMillion = 1.25m };
        var usage = new TokenUsage { InputTokens = 1000, CachedInputTokens = 400, OutputTokens = 200, ReasoningTokens = 50 };

        // 600 * 2.5 + 400 * 1.25 + 150 * 10 + 50 * 10 = 1500 + 500 + 1500 + 500 = 4000 per million
        Assert.Equal(0.004m, UsagePricing.Calculate(pricing, usage));
    }

    [Fact]
    public void Calculate_MissingPrice_IsUnknownNotZero()
    {
        Assert.Null(UsagePricing.Calculate(new ModelPricing { InputPerMillion = 1m }, new TokenUsage { InputTokens = 10 }));
        Assert.Null(UsagePricing.Calculate(null, new TokenUsage { InputTokens = 10 }));
    }
}
