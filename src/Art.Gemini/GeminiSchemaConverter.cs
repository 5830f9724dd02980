using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Art.Gemini;

/// <summary>
/// Converts a JSON Schema into the OpenAPI-3.0 subset Gemini's <c>Schema</c> accepts (for <c>functionDeclarations.parameters</c>
/// and <c>generationConfig.responseSchema</c>). Gemini rejects keywords it does not know, has no <c>$ref</c>, and
/// marks optional nulls with <c>nullable</c> instead of type arrays, so: local <c>$ref</c>s (<c>#/$defs/…</c>,
/// <c>#/definitions/…</c>) are inlined (a recursive reference is cut to a plain object after a few levels), type arrays
/// and <c>anyOf</c> with <c>null</c> become <c>nullable</c>, <c>oneOf</c> becomes <c>anyOf</c>, a single <c>allOf</c>
/// is merged, <c>const</c> becomes a one-value <c>enum</c>, enum values become strings, and unsupported keywords
/// (<c>$schema</c>, <c>additionalProperties</c>, <c>$defs</c>, <c>examples</c>, string formats other than
/// <c>enum</c>/<c>date-time</c>, ...) are dropped.
/// </summary>
public static class GeminiSchemaConverter
{
    private const int MaxRefDepth = 8;

    private static readonly HashSet<string> CopiedKeywords = new(StringComparer.Ordinal)
    {
        "description", "title", "minItems", "maxItems", "minimum", "maximum", "minLength", "maxLength", "pattern",
        "minProperties", "maxProperties", "propertyOrdering", "example", "default",
    };

    /// <summary>The Gemini schema of a JSON Schema document.</summary>
    public static JsonObject Convert(JsonElement schema)
    {
        var defs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (schema.ValueKind == JsonValueKind.Object)
        {
            foreach (var name in new[] { "$defs", "definitions" })
            {
                if (schema.TryGetProperty(name, out var d) && d.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in d.EnumerateObject())
                    {
                        defs[$"#/{name}/{p.Name}"] = p.Value;
                    }
                }
            }
        }

        return ConvertNode(schema, defs, 0);
    }

    private static JsonObject ConvertNode(JsonElement schema, Dictionary<string, JsonElement> defs, int depth)
    {
        if (schema.ValueKind == JsonValueKind.True || schema.ValueKind != JsonValueKind.Object)
        {
            // 'true' / '{}' means anything; Gemini needs a type, a free-form object is the closest.
            return new JsonObject { ["type"] = "OBJECT" };
        }

        if (schema.TryGetProperty("$ref", out var reference) && reference.ValueKind == JsonValueKind.String)
        {
            var target = reference.GetString()!;
            if (depth >= MaxRefDepth || !defs.TryGetValue(target, out var resolved))
            {
                var cut = new JsonObject { ["type"] = "OBJECT" };
                CopyDescription(schema, cut);
                return cut;
            }

            var inlined = ConvertNode(resolved, defs, depth + 1);
            CopyDescription(schema, inlined);
            return inlined;
        }

        var result = new JsonObject();
        var nullable = false;

        if (schema.TryGetProperty("type", out var type))
        {
            if (type.ValueKind == JsonValueKind.String)
            {
                if (type.GetString() == "null")
                {
                    nullable = true;
                }
                else
                {
                    result["type"] = TypeName(type.GetString()!);
                }
            }
            else if (type.ValueKind == JsonValueKind.Array)
            {
                var types = type.EnumerateArray().Select(t => t.GetString()).Where(t => t is not null).ToList();
                nullable = types.Remove("null");
                if (types.Count == 1)
                {
                    result["type"] = TypeName(types[0]!);
                }
                else if (types.Count > 1)
                {
                    var any = new JsonArray();
                    foreach (var t in types)
                    {
                        // Each alternative keeps the keywords that apply to its type.
                        var alternative = ConvertNode(WithType(schema, t!), defs, depth);
                        any.Add(alternative);
                    }

                    result["anyOf"] = any;
                }
            }
        }

        foreach (var keyword in new[] { "anyOf", "oneOf" })
        {
            if (schema.TryGetProperty(keyword, out var alternatives) && alternatives.ValueKind == JsonValueKind.Array)
            {
                var converted = new List<JsonObject>();
                foreach (var alternative in alternatives.EnumerateArray())
                {
                    if (IsNullSchema(alternative))
                    {
                        nullable = true;
                        continue;
                    }

                    converted.Add(ConvertNode(alternative, defs, depth));
                }

                if (converted.Count == 1 && !result.ContainsKey("type"))
                {
                    foreach (var (key, value) in converted[0].ToList())
                    {
                        converted[0].Remove(key);
                        result[key] = value;
                    }
                }
                else if (converted.Count > 0)
                {
                    var any = new JsonArray();
                    foreach (var c in converted)
                    {
                        any.Add(c);
                    }

                    result["anyOf"] = any;
                }
            }
        }

        if (schema.TryGetProperty("allOf", out var allOf) && allOf.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in allOf.EnumerateArray())
            {
                foreach (var (key, value) in ConvertNode(part, defs, depth).ToList())
                {
                    if (!result.ContainsKey(key))
                    {
                        result[key] = value?.DeepClone();
                    }
                }
            }
        }

        foreach (var property in schema.EnumerateObject())
        {
            if (CopiedKeywords.Contains(property.Name))
            {
                result[property.Name] = JsonNode.Parse(property.Value.GetRawText());
            }
        }

        if (schema.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String)
        {
            var f = format.GetString();
            var t = result["type"]?.GetValue<string>();
            if ((t == "STRING" && f is "enum" or "date-time") || (t == "NUMBER" && f is "float" or "double") || (t == "INTEGER" && f is "int32" or "int64"))
            {
                result["format"] = f;
            }
        }

        var enumValues = new JsonArray();
        if (schema.TryGetProperty("enum", out var en) && en.ValueKind == JsonValueKind.Array)
        {
            foreach (var v in en.EnumerateArray())
            {
                if (v.ValueKind == JsonValueKind.Null)
                {
                    nullable = true;
                }
                else
                {
                    enumValues.Add(EnumString(v));
                }
            }
        }

        if (schema.TryGetProperty("const", out var constant) && constant.ValueKind != JsonValueKind.Null)
        {
            enumValues.Add(EnumString(constant));
        }

        if (enumValues.Count > 0)
        {
            // Gemini enums are string enums.
            result["type"] = "STRING";
            result["format"] = "enum";
            result["enum"] = enumValues;
        }

        if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            var converted = new JsonObject();
            foreach (var p in properties.EnumerateObject())
            {
                converted[p.Name] = ConvertNode(p.Value, defs, depth);
            }

            result["properties"] = converted;
            result["type"] ??= "OBJECT";
        }

        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            var list = new JsonArray();
            foreach (var r in required.EnumerateArray())
            {
                if (r.ValueKind == JsonValueKind.String)
                {
                    list.Add(r.GetString());
                }
            }

            result["required"] = list;
        }

        if (schema.TryGetProperty("items", out var items))
        {
            result["items"] = ConvertNode(items, defs, depth);
            result["type"] ??= "ARRAY";
        }
        else if (schema.TryGetProperty("prefixItems", out var prefix) && prefix.ValueKind == JsonValueKind.Array && prefix.GetArrayLength() > 0)
        {
            result["items"] = ConvertNode(prefix[0], defs, depth);
            result["type"] ??= "ARRAY";
        }

        if (nullable)
        {
            result["nullable"] = true;
        }

        if (!result.ContainsKey("type") && !result.ContainsKey("anyOf"))
        {
            result["type"] = nullable ? "STRING" : "OBJECT";
        }

        return result;
    }

    private static bool IsNullSchema(JsonElement schema) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "null";

    private static JsonElement WithType(JsonElement schema, string type)
    {
        var node = JsonNode.Parse(schema.GetRawText())!.AsObject();
        node["type"] = type;
        return JsonSerializer.SerializeToElement(node);
    }

    private static void CopyDescription(JsonElement schema, JsonObject target)
    {
        if (schema.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
        {
            target["description"] = description.GetString();
        }
    }

    private static string EnumString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };

    private static string TypeName(string type) => type.ToUpper(CultureInfo.InvariantCulture) switch
    {
        "STRING" => "STRING",
        "NUMBER" => "NUMBER",
        "INTEGER" => "INTEGER",
        "BOOLEAN" => "BOOLEAN",
        "ARRAY" => "ARRAY",
        "OBJECT" => "OBJECT",
        var other => other,
    };
}
