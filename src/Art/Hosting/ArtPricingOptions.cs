using Art.Models;

namespace Art.Hosting;

/// <summary>A price override in USD per million tokens (<c>providers:N:pricing:MODEL</c>).</summary>
public sealed class ArtPricingOptions
{
    public decimal? InputPerMillion { get; set; }

    public decimal? OutputPerMillion { get; set; }

    public decimal? CachedInputPerMillion { get; set; }

    public decimal? CacheWritePerMillion { get; set; }

    public decimal? ReasoningPerMillion { get; set; }

    internal ModelPricing? ToPricing(string path, List<string> errors)
    {
        var before = errors.Count;
        Check(InputPerMillion, "inputPerMillion");
        Check(OutputPerMillion, "outputPerMillion");
        Check(CachedInputPerMillion, "cachedInputPerMillion");
        Check(CacheWritePerMillion, "cacheWritePerMillion");
        Check(ReasoningPerMillion, "reasoningPerMillion");
        return errors.Count > before
            ? null
            : new ModelPricing
            {
                InputPerMillion = InputPerMillion,
                OutputPerMillion = OutputPerMillion,
                CachedInputPerMillion = CachedInputPerMillion,
                CacheWritePerMillion = CacheWritePerMillion,
                ReasoningPerMillion = ReasoningPerMillion,
            };

        void Check(decimal? value, string name)
        {
            if (value is < 0)
            {
                errors.Add($"{path}:{name}: must not be negative.");
            }
        }
    }
}
