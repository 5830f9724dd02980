using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Art.Reasoning;

/// <summary>
/// Generation parameters, normalised once: every alias (<c>max_tokens</c>, <c>maxOutputTokens</c>, <c>num_predict</c>,
/// <c>stop</c>, <c>stop_sequences</c>, <c>top_p</c>, ...) reads into one property. Layers merge with
/// <see cref="Merge"/>: call &gt; agent options &gt; thread &gt; instance defaults &gt; adapter defaults.
/// </summary>
[JsonConverter(typeof(ModelParametersJsonConverter))]
public sealed record ModelParameters
{
    public double? Temperature { get; init; }

    public double? TopP { get; init; }

    public int? TopK { get; init; }

    public int? MaxOutputTokens { get; init; }

    public IReadOnlyList<string>? StopSequences { get; init; }

    public long? Seed { get; init; }

    public double? FrequencyPenalty { get; init; }

    public double? PresencePenalty { get; init; }

    /// <summary>Context size to load a local model with (Ollama <c>num_ctx</c>).</summary>
    public int? ContextSize { get; init; }

    /// <summary>How long a local model stays loaded (Ollama <c>keep_alive</c>, e.g. <c>5m</c>, <c>-1</c>).</summary>
    public string? KeepAlive { get; init; }

    /// <summary>Ask for thinking (Ollama <c>think</c>, Anthropic extended thinking, Gemini includeThoughts).</summary>
    public bool? Think { get; init; }

    /// <summary><c>low</c>, <c>medium</c> or <c>high</c> for providers that take an effort.</summary>
    public string? ReasoningEffort { get; init; }

    /// <summary>Token budget for thinking (Anthropic <c>budget_tokens</c>, Gemini <c>thinkingBudget</c>).</summary>
    public int? ThinkingBudgetTokens { get; init; }

    /// <summary>Anything else, passed to the provider as is (provider-specific knobs).</summary>
    public IReadOnlyDictionary<string, JsonElement>? Extra { get; init; }

    public static ModelParameters Empty { get; } = new();

    /// <summary>Merges layers; later layers win field by field. Nulls are skipped.</summary>
    public static ModelParameters Merge(params ModelParameters?[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var result = Empty;
        foreach (var layer in layers)
        {
            if (layer is null)
            {
                continue;
            }

            Dictionary<string, JsonElement>? extra = null;
            if (result.Extra is not null || layer.Extra is not null)
            {
                extra = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var pair in result.Extra ?? new Dictionary<string, JsonElement>())
                {
                    extra[pair.Key] = pair.Value;
                }

                foreach (var pair in layer.Extra ?? new Dictionary<string, JsonElement>())
                {
                    extra[pair.Key] = pair.Value;
                }
            }

            result = new ModelParameters
            {
                Temperature = layer.Temperature ?? result.Temperature,
                TopP = layer.TopP ?? result.TopP,
                TopK = layer.TopK ?? result.TopK,
                MaxOutputTokens = layer.MaxOutputTokens ?? result.MaxOutputTokens,
                StopSequences = layer.StopSequences ?? result.StopSequences,
                Seed = layer.Seed ?? result.Seed,
                FrequencyPenalty = layer.FrequencyPenalty ?? result.FrequencyPenalty,
                PresencePenalty = layer.PresencePenalty ?? result.PresencePenalty,
                ContextSize = layer.ContextSize ?? result.ContextSize,
                KeepAlive = layer.KeepAlive ?? result.KeepAlive,
                Think = layer.Think ?? result.Think,
                ReasoningEffort = layer.ReasoningEffort ?? result.ReasoningEffort,
                ThinkingBudgetTokens = layer.ThinkingBudgetTokens ?? result.ThinkingBudgetTokens,
                Extra = extra,
            };
        }

        return result;
    }

    /// <summary>Reads parameters from loosely typed key/value pairs (configuration, CLI), normalising aliases.</summary>
    public static ModelParameters FromDictionary(IEnumerable<KeyValuePair<string, string?>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in values)
            {
                if (value is null)
                {
                    continue;
                }

                writer.WritePropertyName(key);
                if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                {
                    writer.WriteNumberValue(number);
                }
                else if (bool.TryParse(value, out var flag))
                {
                    writer.WriteBooleanValue(flag);
                }
                else
                {
                    writer.WriteStringValue(value);
                }
            }

            writer.WriteEndObject();
        }

        return JsonSerializer.Deserialize<ModelParameters>(stream.ToArray(), ArtJson.Options) ?? Empty;
    }

    /// <summary>Canonical name of a parameter alias, or null when the key is not a known alias.</summary>
    public static string? CanonicalName(string key) => key.Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant() switch
    {
        "TEMPERATURE" => "temperature",
        "TOPP" => "topP",
        "TOPK" => "topK",
        "MAXTOKENS" or "MAXOUTPUTTOKENS" or "MAXCOMPLETIONTOKENS" or "NUMPREDICT" or "MAXTOKENSTOSAMPLE" => "maxOutputTokens",
        "STOP" or "STOPSEQUENCES" => "stopSequences",
        "SEED" => "seed",
        "FREQUENCYPENALTY" => "frequencyPenalty",
        "PRESENCEPENALTY" => "presencePenalty",
        "NUMCTX" or "CONTEXTSIZE" or "CONTEXTLENGTH" => "contextSize",
        "KEEPALIVE" => "keepAlive",
        "THINK" or "THINKING" => "think",
        "REASONINGEFFORT" or "EFFORT" => "reasoningEffort",
        "THINKINGBUDGET" or "THINKINGBUDGETTOKENS" or "BUDGETTOKENS" => "thinkingBudgetTokens",
        _ => null,
    };
}

/// <summary>Reads every alias into the canonical property; writes canonical camelCase names.</summary>
internal sealed class ModelParametersJsonConverter : JsonConverter<ModelParameters>
{
    public override ModelParameters Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Model parameters must be a JSON object.");
        }

        using var doc = JsonDocument.ParseValue(ref reader);
        var result = new ModelParameters();
        Dictionary<string, JsonElement>? extra = null;
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            var name = ModelParameters.CanonicalName(property.Name);
            try
            {
                result = name switch
                {
                    "temperature" => result with { Temperature = ReadDouble(value) },
                    "topP" => result with { TopP = ReadDouble(value) },
                    "topK" => result with { TopK = ReadInt(value) },
                    "maxOutputTokens" => result with { MaxOutputTokens = ReadInt(value) },
                    "stopSequences" => result with { StopSequences = ReadStrings(value) },
                    "seed" => result with { Seed = (long)ReadDouble(value) },
                    "frequencyPenalty" => result with { FrequencyPenalty = ReadDouble(value) },
                    "presencePenalty" => result with { PresencePenalty = ReadDouble(value) },
                    "contextSize" => result with { ContextSize = ReadInt(value) },
                    "keepAlive" => result with { KeepAlive = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText() },
                    "think" => result with { Think = ReadBool(value) },
                    "reasoningEffort" => result with { ReasoningEffort = value.GetString() },
                    "thinkingBudgetTokens" => result with { ThinkingBudgetTokens = ReadInt(value) },
                    _ => result,
                };
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException)
            {
                throw new JsonException($"Model parameter '{property.Name}' has an invalid value: {value.GetRawText()}.", ex);
            }

            if (name is null && property.Name != "extra")
            {
                (extra ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal))[property.Name] = value.Clone();
            }
            else if (property.Name == "extra" && value.ValueKind == JsonValueKind.Object)
            {
                foreach (var inner in value.EnumerateObject())
                {
                    (extra ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal))[inner.Name] = inner.Value.Clone();
                }
            }
        }

        return extra is null ? result : result with { Extra = extra };
    }

    public override void Write(Utf8JsonWriter writer, ModelParameters value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        if (value.Temperature is { } t) writer.WriteNumber("temperature", t);
        if (value.TopP is { } p) writer.WriteNumber("topP", p);
        if (value.TopK is { } k) writer.WriteNumber("topK", k);
        if (value.MaxOutputTokens is { } m) writer.WriteNumber("maxOutputTokens", m);
        if (value.StopSequences is { } stops)
        {
            writer.WriteStartArray("stopSequences");
            foreach (var s in stops)
            {
                writer.WriteStringValue(s);
            }

            writer.WriteEndArray();
        }

        if (value.Seed is { } seed) writer.WriteNumber("seed", seed);
        if (value.FrequencyPenalty is { } fp) writer.WriteNumber("frequencyPenalty", fp);
        if (value.PresencePenalty is { } pp) writer.WriteNumber("presencePenalty", pp);
        if (value.ContextSize is { } ctx) writer.WriteNumber("contextSize", ctx);
        if (value.KeepAlive is { } keep) writer.WriteString("keepAlive", keep);
        if (value.Think is { } think) writer.WriteBoolean("think", think);
        if (value.ReasoningEffort is { } effort) writer.WriteString("reasoningEffort", effort);
        if (value.ThinkingBudgetTokens is { } budget) writer.WriteNumber("thinkingBudgetTokens", budget);
        if (value.Extra is { Count: > 0 } extra)
        {
            writer.WriteStartObject("extra");
            foreach (var (key, element) in extra)
            {
                writer.WritePropertyName(key);
                element.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static double ReadDouble(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? double.Parse(value.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture) : value.GetDouble();

    private static int ReadInt(JsonElement value) => checked((int)ReadDouble(value));

    private static bool ReadBool(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? bool.Parse(value.GetString()!) : value.GetBoolean();

    private static string[] ReadStrings(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => value.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToArray(),
        JsonValueKind.String => [value.GetString()!],
        _ => throw new FormatException("expected a string or an array of strings"),
    };
}
