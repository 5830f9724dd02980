using System.Globalization;
using System.Text.Json;
using Art.Models;

namespace Art.OpenAI;

/// <summary>
/// Parses a <c>GET /models</c> body. OpenAI, DeepSeek and local servers list ids only; OpenRouter adds
/// <c>context_length</c>, <c>pricing</c> (USD per token, as strings) and modalities/parameters, which become
/// <see cref="ProviderModelInfo.Pricing"/> (USD per million, decimal), <see cref="ProviderModelInfo.ContextWindow"/>
/// and capability hints.
/// </summary>
internal static class OpenAIModelList
{
    private const decimal Million = 1_000_000m;

    public static IReadOnlyList<ProviderModelInfo> Parse(string body)
    {
        using var doc = JsonDocument.Parse(body);
        if (!doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var result = new List<ProviderModelInfo>();
        foreach (var item in data.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("id", out var idElement) || idElement.GetString() is not { Length: > 0 } id)
            {
                continue;
            }

            var info = new ProviderModelInfo
            {
                Name = id,
                DisplayName = item.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null,
                ContextWindow = Int(item, "context_length"),
                MaxOutputTokens = item.TryGetProperty("top_provider", out var top) && top.ValueKind == JsonValueKind.Object ? Int(top, "max_completion_tokens") : null,
                ModifiedAt = item.TryGetProperty("created", out var created) && created.ValueKind == JsonValueKind.Number && created.TryGetInt64(out var unix)
                    ? DateTimeOffset.FromUnixTimeSeconds(unix)
                    : null,
                Pricing = item.TryGetProperty("pricing", out var pricing) && pricing.ValueKind == JsonValueKind.Object ? Pricing(pricing) : null,
                Capabilities = Capabilities(item),
            };
            result.Add(info);
        }

        return result;
    }

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;

    private static ModelPricing? Pricing(JsonElement pricing)
    {
        var input = PerMillion(pricing, "prompt");
        var output = PerMillion(pricing, "completion");
        if (input is null && output is null)
        {
            return null;
        }

        var reasoning = PerMillion(pricing, "internal_reasoning");
        return new ModelPricing
        {
            InputPerMillion = input,
            OutputPerMillion = output,
            CachedInputPerMillion = PerMillion(pricing, "input_cache_read"),
            CacheWritePerMillion = PerMillion(pricing, "input_cache_write"),

            // OpenRouter sends "0" for models that bill reasoning as ordinary output; only a positive price is a separate rate.
            ReasoningPerMillion = reasoning is > 0m ? reasoning : null,
        };
    }

    /// <summary>USD per token (a string such as "0.000003", or a number) to USD per million tokens; negative (-1 = variable) is unknown.</summary>
    private static decimal? PerMillion(JsonElement pricing, string name)
    {
        if (!pricing.TryGetProperty(name, out var value))
        {
            return null;
        }

        decimal perToken;
        switch (value.ValueKind)
        {
            case JsonValueKind.String when decimal.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed):
                perToken = parsed;
                break;
            case JsonValueKind.Number when value.TryGetDecimal(out var number):
                perToken = number;
                break;
            default:
                return null;
        }

        return perToken < 0m ? null : perToken * Million;
    }

    private static Dictionary<ModelCapability, bool>? Capabilities(JsonElement item)
    {
        var caps = new Dictionary<ModelCapability, bool>();
        if (item.TryGetProperty("architecture", out var arch) && arch.ValueKind == JsonValueKind.Object
            && arch.TryGetProperty("input_modalities", out var modalities) && modalities.ValueKind == JsonValueKind.Array)
        {
            var list = modalities.EnumerateArray().Select(m => m.GetString()).ToArray();
            caps[ModelCapability.Text] = list.Contains("text");
            caps[ModelCapability.Vision] = list.Contains("image");
        }

        if (item.TryGetProperty("supported_parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Array)
        {
            var list = parameters.EnumerateArray().Select(m => m.GetString()).ToArray();
            caps[ModelCapability.ToolUse] = list.Contains("tools");
            caps[ModelCapability.Reasoning] = list.Contains("reasoning") || list.Contains("include_reasoning");
            caps[ModelCapability.JsonOutput] = list.Contains("structured_outputs") || list.Contains("response_format");
        }

        return caps.Count == 0 ? null : caps;
    }
}
