using System.Text.Json;

namespace Art.Models;

/// <summary>
/// Reads the community LiteLLM model price map (BerriAI/litellm, MIT, Copyright (c) 2023 Berri AI) into registry entries.
/// The map prices in USD <em>per token</em>; ART keeps USD per million tokens as exact decimals, so JSON numbers are read
/// as <see cref="decimal"/> (never through <see cref="double"/>): <c>2.5e-06</c> becomes exactly <c>2.5</c>.
/// Used by the catalog generator and by <see cref="IModelRegistry.ImportPriceMapAsync"/>, so both agree on every quirk.
/// </summary>
/// <remarks>
/// Quirks handled:
/// <list type="bullet">
/// <item>A missing <c>supports_*</c> flag is <em>unknown</em>, not false (the capability is left out of the dictionary).</item>
/// <item><c>max_tokens</c> is a legacy alias of the output limit; it is used only when <c>max_output_tokens</c> is absent.</item>
/// <item>The gpt-5 family lists <c>max_input_tokens</c> as context minus output (272k + 128k = 400k), so their context
/// window is the sum; every other entry's <c>max_input_tokens</c> is the whole context window.</item>
/// <item>Keys may carry a provider prefix (<c>gemini/</c>, <c>deepseek/</c>, <c>openrouter/</c>, <c>ollama/</c>); the model id
/// drops it, but OpenRouter ids keep their own <c>vendor/model</c> form.</item>
/// <item>Only chat models of the six ART providers are kept (<c>mode</c> chat, or absent on an entry that has token prices);
/// entries with neither token prices nor token limits (per-session tool fees) and entries whose
/// <c>supported_output_modalities</c> lack text (TTS, music) are skipped.</item>
/// </list>
/// </remarks>
public static class LiteLlmPriceMap
{
    private const decimal PerMillion = 1_000_000m;

    /// <summary>The provider types this parser maps; everything else in the map is skipped.</summary>
    public static IReadOnlyList<string> SupportedProviders { get; } = ["openai", "anthropic", "gemini", "deepseek", "openrouter", "ollama"];

    /// <summary>Parses a whole price map; entries that are not chat models of a supported provider are skipped.</summary>
    /// <remarks>When two keys map to the same <c>provider/modelId</c> (a prefixed and an unprefixed copy), the prefixed key wins,
    /// then the lexically first, so the result does not depend on the file's key order.</remarks>
    public static IReadOnlyList<ModelInfo> Parse(JsonElement root, ModelInfoSource source = ModelInfoSource.Imported, DateTimeOffset? updatedAt = null)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("A LiteLLM price map is a JSON object keyed by model name.");
        }

        var chosen = new Dictionary<string, (ModelInfo Model, bool Prefixed, string Key)>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in root.EnumerateObject())
        {
            if (!TryParseEntry(property.Name, property.Value, out var model, out var prefixed, source, updatedAt))
            {
                continue;
            }

            if (chosen.TryGetValue(model.Key, out var existing))
            {
                var better = (prefixed && !existing.Prefixed)
                    || (prefixed == existing.Prefixed && string.CompareOrdinal(property.Name, existing.Key) < 0);
                if (!better)
                {
                    continue;
                }
            }

            chosen[model.Key] = (model, prefixed, property.Name);
        }

        var result = new List<ModelInfo>(chosen.Count);
        foreach (var entry in chosen.Values)
        {
            result.Add(entry.Model);
        }

        result.Sort(CompareByKey);
        return result;
    }

    /// <summary>Parses a price map from a stream.</summary>
    public static async Task<IReadOnlyList<ModelInfo>> ParseAsync(Stream json, ModelInfoSource source = ModelInfoSource.Imported, DateTimeOffset? updatedAt = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = await JsonDocument.ParseAsync(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }, cancellationToken).ConfigureAwait(false);
        return Parse(document.RootElement, source, updatedAt);
    }

    /// <summary>Stable order for catalogs and tests: provider, then model id (ordinal).</summary>
    public static int CompareByKey(ModelInfo? a, ModelInfo? b)
    {
        if (ReferenceEquals(a, b))
        {
            return 0;
        }

        if (a is null)
        {
            return -1;
        }

        if (b is null)
        {
            return 1;
        }

        var byProvider = string.CompareOrdinal(a.Provider, b.Provider);
        return byProvider != 0 ? byProvider : string.CompareOrdinal(a.ModelId, b.ModelId);
    }

    /// <summary>Maps one entry; false when it is not a chat model of a supported provider.</summary>
    public static bool TryParseEntry(string key, JsonElement entry, out ModelInfo model, ModelInfoSource source = ModelInfoSource.Imported, DateTimeOffset? updatedAt = null) =>
        TryParseEntry(key, entry, out model, out _, source, updatedAt);

    private static bool TryParseEntry(string key, JsonElement entry, out ModelInfo model, out bool prefixed, ModelInfoSource source, DateTimeOffset? updatedAt)
    {
        model = null!;
        prefixed = false;
        if (entry.ValueKind != JsonValueKind.Object || string.IsNullOrWhiteSpace(key) || key.StartsWith("ft:", StringComparison.Ordinal))
        {
            return false;
        }

        var litellmProvider = GetString(entry, "litellm_provider");
        var provider = MapProvider(litellmProvider, key);
        if (provider is null)
        {
            return false;
        }

        var input = GetPerMillion(entry, "input_cost_per_token");
        var output = GetPerMillion(entry, "output_cost_per_token");
        var mode = GetString(entry, "mode");
        var isChat = mode is null ? input is not null || output is not null : string.Equals(mode, "chat", StringComparison.Ordinal);
        if (!isChat)
        {
            return false;
        }

        if (entry.TryGetProperty("supported_output_modalities", out var outputs) && outputs.ValueKind == JsonValueKind.Array && !ContainsString(outputs, "text"))
        {
            // "chat" models that only speak or make music (TTS, Lyria) cannot answer in text.
            return false;
        }

        var modelId = StripPrefix(key, litellmProvider, provider, out prefixed);
        if (modelId.Length == 0)
        {
            return false;
        }

        var maxInput = GetInt(entry, "max_input_tokens");
        var maxOutput = GetInt(entry, "max_output_tokens") ?? GetInt(entry, "max_tokens");
        if (input is null && output is null && maxInput is null && maxOutput is null)
        {
            // Not a token-priced model (e.g. "openai/container", a per-session code-interpreter fee).
            return false;
        }
        int? context = maxInput;
        if (maxInput is { } mi && maxOutput is { } mo && IsGpt5ContextMinusOutput(provider, modelId, mi, mo))
        {
            context = mi + mo;
        }

        var capabilities = new Dictionary<ModelCapability, bool> { [ModelCapability.Text] = true };
        AddFlag(capabilities, entry, "supports_vision", ModelCapability.Vision);
        AddFlag(capabilities, entry, "supports_function_calling", ModelCapability.ToolUse);
        AddFlag(capabilities, entry, "supports_response_schema", ModelCapability.JsonOutput);
        AddFlag(capabilities, entry, "supports_reasoning", ModelCapability.Reasoning);
        AddFlag(capabilities, entry, "supports_native_streaming", ModelCapability.Streaming);

        ModelPricing? pricing = null;
        var cacheRead = GetPerMillion(entry, "cache_read_input_token_cost");
        var cacheWrite = GetPerMillion(entry, "cache_creation_input_token_cost");
        var reasoning = GetPerMillion(entry, "output_cost_per_reasoning_token");
        if (input is not null || output is not null || cacheRead is not null || cacheWrite is not null || reasoning is not null)
        {
            pricing = new ModelPricing
            {
                InputPerMillion = input,
                OutputPerMillion = output,
                CachedInputPerMillion = cacheRead,
                CacheWritePerMillion = cacheWrite,
                ReasoningPerMillion = reasoning,
            };
        }

        var deprecated = false;
        if (GetString(entry, "deprecation_date") is { } deprecation
            && DateOnly.TryParseExact(deprecation, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date))
        {
            var today = DateOnly.FromDateTime((updatedAt ?? DateTimeOffset.UtcNow).UtcDateTime);
            deprecated = date <= today;
        }

        model = new ModelInfo
        {
            Provider = provider,
            ModelId = modelId,
            Capabilities = capabilities,
            ContextWindow = context,
            MaxOutputTokens = maxOutput,
            Pricing = pricing,
            Deprecated = deprecated,
            Source = source,
            UpdatedAt = updatedAt,
        };
        return true;
    }

    /// <summary>The gpt-5 reasoning models list 272k input + 128k output for a 400k window; the chat variants do not.</summary>
    private static bool IsGpt5ContextMinusOutput(string provider, string modelId, int maxInput, int maxOutput)
    {
        var id = provider == "openrouter" && modelId.StartsWith("openai/", StringComparison.Ordinal) ? modelId[7..] : modelId;
        return provider is "openai" or "openrouter"
            && id.StartsWith("gpt-5", StringComparison.Ordinal)
            && maxInput + maxOutput == 400_000;
    }

    private static string? MapProvider(string? litellmProvider, string key)
    {
        var name = litellmProvider;
        if (string.IsNullOrEmpty(name))
        {
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            name = slash > 0 ? key[..slash] : null;
        }

        return name switch
        {
            "openai" => "openai",
            "anthropic" => "anthropic",
            "gemini" => "gemini",
            "deepseek" => "deepseek",
            "openrouter" => "openrouter",
            "ollama" or "ollama_chat" => "ollama",
            _ => null,
        };
    }

    private static string StripPrefix(string key, string? litellmProvider, string provider, out bool prefixed)
    {
        foreach (var prefix in (ReadOnlySpan<string?>)[litellmProvider, provider, provider == "ollama" ? "ollama_chat" : null])
        {
            if (!string.IsNullOrEmpty(prefix) && key.Length > prefix.Length + 1
                && key.StartsWith(prefix, StringComparison.Ordinal) && key[prefix.Length] == '/')
            {
                prefixed = true;
                return key[(prefix.Length + 1)..];
            }
        }

        prefixed = false;
        return key;
    }

    private static void AddFlag(Dictionary<ModelCapability, bool> capabilities, JsonElement entry, string flag, ModelCapability capability)
    {
        if (entry.TryGetProperty(flag, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            capabilities[capability] = value.GetBoolean();
        }
    }

    private static bool ContainsString(JsonElement array, string value)
    {
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.ValueEquals(value))
            {
                return true;
            }
        }

        return false;
    }

    private static string? GetString(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? GetInt(JsonElement entry, string name)
    {
        if (!entry.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number)
        {
            return null;
        }

        if (value.TryGetInt32(out var i))
        {
            return i > 0 ? i : null;
        }

        return value.TryGetDecimal(out var d) && d > 0 && d <= int.MaxValue ? (int)d : null;
    }

    private static decimal? GetPerMillion(JsonElement entry, string name)
    {
        if (!entry.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var perToken) || perToken < 0)
        {
            return null;
        }

        return Normalize(perToken * PerMillion);
    }

    /// <summary>Drops trailing zeros (<c>2.5000000</c> → <c>2.5</c>) so the generated catalog reads well and diffs stay small.</summary>
    internal static decimal Normalize(decimal value) => value / 1.000000000000000000000000000000000m;
}
