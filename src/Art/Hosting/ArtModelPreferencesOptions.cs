using Art.Context;
using Art.Models;

namespace Art.Hosting;

/// <summary><c>defaults:modelPreferences</c>: the bindable form of <see cref="ModelPreferences"/>.</summary>
public sealed class ArtModelPreferencesOptions
{
    public string? DefaultInstanceId { get; set; }

    /// <summary>Keyed by capability (<c>vision</c>, <c>tool_use</c>, <c>reasoning</c>, <c>json_output</c>, ...).</summary>
    public IDictionary<string, ArtModelTargetOptions>? PreferredModels { get; set; }

    public IList<string>? FallbackInstances { get; set; }

    public bool? AllowCrossProviderFallback { get; set; }

    public bool? PreferCheaperModels { get; set; }

    internal ModelPreferences? ToPreferences(string path, IReadOnlyList<string> instanceIds, List<string> errors)
    {
        var before = errors.Count;
        var defaultInstance = string.IsNullOrWhiteSpace(DefaultInstanceId) ? null : DefaultInstanceId.Trim();
        if (defaultInstance is not null && !instanceIds.Contains(defaultInstance))
        {
            errors.Add($"{path}:defaultInstanceId: '{defaultInstance}' is not a configured instance ({ArtDefaultsOptions.Known(instanceIds)}).");
        }

        var fallbacks = new List<string>();
        var list = FallbackInstances ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            var id = list[i]?.Trim();
            if (string.IsNullOrEmpty(id))
            {
                continue;
            }

            if (!instanceIds.Contains(id))
            {
                errors.Add($"{path}:fallbackInstances:{i}: '{id}' is not a configured instance ({ArtDefaultsOptions.Known(instanceIds)}).");
            }

            fallbacks.Add(id);
        }

        Dictionary<ModelCapability, ModelTarget>? preferred = null;
        if (PreferredModels is { Count: > 0 })
        {
            preferred = [];
            foreach (var (name, target) in PreferredModels)
            {
                var keyPath = $"{path}:preferredModels:{name}";
                if (!TryParseCapability(name, out var capability))
                {
                    errors.Add($"{keyPath}: unknown capability '{name}' (known: {string.Join(", ", Enum.GetNames<ModelCapability>().Select(ToSnake))}).");
                    continue;
                }

                if (target is null || (string.IsNullOrWhiteSpace(target.InstanceId) && string.IsNullOrWhiteSpace(target.Provider)))
                {
                    errors.Add($"{keyPath}: give an instanceId, or a provider and modelId.");
                    continue;
                }

                if (!string.IsNullOrWhiteSpace(target.InstanceId) && !instanceIds.Contains(target.InstanceId.Trim()))
                {
                    errors.Add($"{keyPath}:instanceId: '{target.InstanceId}' is not a configured instance ({ArtDefaultsOptions.Known(instanceIds)}).");
                    continue;
                }

                preferred[capability] = new ModelTarget
                {
                    InstanceId = string.IsNullOrWhiteSpace(target.InstanceId) ? null : target.InstanceId.Trim(),
                    Provider = string.IsNullOrWhiteSpace(target.Provider) ? null : target.Provider.Trim().ToLowerInvariant(),
                    ModelId = string.IsNullOrWhiteSpace(target.ModelId) ? null : target.ModelId.Trim(),
                };
            }
        }

        if (errors.Count > before)
        {
            return null;
        }

        var defaults = new ModelPreferences();
        return new ModelPreferences
        {
            DefaultInstanceId = defaultInstance,
            PreferredModels = preferred,
            FallbackInstances = fallbacks.Count > 0 ? fallbacks : null,
            AllowCrossProviderFallback = AllowCrossProviderFallback ?? defaults.AllowCrossProviderFallback,
            PreferCheaperModels = PreferCheaperModels ?? defaults.PreferCheaperModels,
        };
    }

    /// <summary>Accepts <c>tool_use</c>, <c>toolUse</c>, <c>ToolUse</c> and <c>tool-use</c>.</summary>
    public static bool TryParseCapability(string? text, out ModelCapability capability)
    {
        capability = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var compact = text.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        return Enum.TryParse(compact, ignoreCase: true, out capability) && Enum.IsDefined(capability) && !int.TryParse(compact, out _);
    }

    /// <summary>The wire name of a capability (<c>tool_use</c>).</summary>
    public static string ToSnake(string name) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
