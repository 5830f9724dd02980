using Art.Context;

namespace Art.Hosting;

/// <summary><c>defaults:costPreferences</c>: budgets in USD and tokens (see <see cref="CostPreferences"/>).</summary>
public sealed class ArtCostPreferencesOptions
{
    public decimal? MaxCostPerCall { get; set; }

    public decimal? MaxCostPerThread { get; set; }

    public decimal? WarnCostThreshold { get; set; }

    public long? MaxTokensPerThread { get; set; }

    public long? MaxTokensPerCall { get; set; }

    internal CostPreferences? ToPreferences(string path, List<string> errors)
    {
        var before = errors.Count;
        if (MaxCostPerCall is < 0)
        {
            errors.Add($"{path}:maxCostPerCall: must not be negative.");
        }

        if (MaxCostPerThread is < 0)
        {
            errors.Add($"{path}:maxCostPerThread: must not be negative.");
        }

        if (WarnCostThreshold is < 0)
        {
            errors.Add($"{path}:warnCostThreshold: must not be negative.");
        }

        if (MaxTokensPerThread is < 1)
        {
            errors.Add($"{path}:maxTokensPerThread: must be positive.");
        }

        if (MaxTokensPerCall is < 1)
        {
            errors.Add($"{path}:maxTokensPerCall: must be positive.");
        }

        return errors.Count > before
            ? null
            : new CostPreferences
            {
                MaxCostPerCall = MaxCostPerCall,
                MaxCostPerThread = MaxCostPerThread,
                WarnCostThreshold = WarnCostThreshold,
                MaxTokensPerThread = MaxTokensPerThread,
                MaxTokensPerCall = MaxTokensPerCall,
            };
    }
}
