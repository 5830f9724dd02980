using Art.Context;
using Art.Models;
using Art.Reasoning;

namespace Art.Hosting;

/// <summary>
/// <c>defaults</c>: the <see cref="ThreadConfig"/> a thread starts with when it is first used, so routing, fallback and
/// budgets work without code (from the command line, or for threads an app never configured).
/// </summary>
public sealed class ArtDefaultsOptions
{
    /// <summary>The thread's instance; the first configured provider when absent.</summary>
    public string? InstanceId { get; set; }

    public string? Model { get; set; }

    /// <summary>Loose parameter names as for a provider (<c>temperature</c>, <c>max_tokens</c>, <c>think</c>, ...).</summary>
    public IDictionary<string, string?>? Parameters { get; set; }

    public ArtModelPreferencesOptions? ModelPreferences { get; set; }

    public ArtCostPreferencesOptions? CostPreferences { get; set; }

    public bool AutoDetectCapabilities { get; set; }

    /// <summary>Tools a new thread may use; <c>["calculator"]</c> when absent, <c>[]</c> for none.</summary>
    public IList<string>? EnabledTools { get; set; }

    /// <summary>Messages of history sent with each call (most recent); 0 = all. Default 20.</summary>
    public int? HistoryLimit { get; set; }

    public string? SystemPrompt { get; set; }

    internal ThreadConfig? ToThreadConfig(string path, IReadOnlyList<string> instanceIds, List<string> errors)
    {
        var before = errors.Count;
        var instanceId = string.IsNullOrWhiteSpace(InstanceId) ? null : InstanceId.Trim();
        if (instanceId is not null && !instanceIds.Contains(instanceId))
        {
            errors.Add($"{path}:instanceId: '{instanceId}' is not a configured instance ({Known(instanceIds)}).");
        }

        ModelParameters? parameters = null;
        if (Parameters is { Count: > 0 })
        {
            try
            {
                parameters = ModelParameters.FromDictionary(Parameters);
            }
            catch (System.Text.Json.JsonException ex)
            {
                errors.Add($"{path}:parameters: {ex.Message}");
            }
        }

        var preferences = ModelPreferences?.ToPreferences($"{path}:modelPreferences", instanceIds, errors);
        var costs = CostPreferences?.ToPreferences($"{path}:costPreferences", errors);
        if (HistoryLimit is < 0)
        {
            errors.Add($"{path}:historyLimit: must be 0 (all) or more (got {HistoryLimit}).");
        }

        if (errors.Count > before)
        {
            return null;
        }

        return new ThreadConfig
        {
            Reasoning = new ThreadReasoningConfig
            {
                InstanceId = instanceId ?? (instanceIds.Count > 0 ? instanceIds[0] : null),
                Model = string.IsNullOrWhiteSpace(Model) ? null : Model,
                Parameters = parameters,
                ModelPreferences = preferences,
                CostPreferences = costs,
                AutoDetectCapabilities = AutoDetectCapabilities,
            },
            EnabledTools = EnabledTools is null ? [Tools.CalculatorTool.ToolName] : [.. EnabledTools.Where(t => !string.IsNullOrWhiteSpace(t))],
            HistoryLimit = HistoryLimit ?? 20,
            SystemPrompt = string.IsNullOrWhiteSpace(SystemPrompt) ? null : SystemPrompt,
        };
    }

    internal static string Known(IReadOnlyCollection<string> ids) => ids.Count == 0 ? "none configured" : "configured: " + string.Join(", ", ids);
}
