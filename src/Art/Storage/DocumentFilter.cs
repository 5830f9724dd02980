using System.Globalization;
using System.Text.Json;

namespace Art.Storage;

/// <summary>
/// Filter and sort semantics every adapter follows (SQLite mirrors them in SQL): exact match on field paths,
/// ordering null &lt; numbers &lt; strings, ties by id.
/// </summary>
public static class DocumentFilter
{
    /// <summary>Validates a field path (letters, digits, underscore, dots) so adapters can put it in a JSON path safely.</summary>
    public static void ValidateFieldPath(string field)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        foreach (var c in field)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.'))
            {
                throw new ArgumentException($"Field path '{field}' may only contain letters, digits, '_' and '.'.", nameof(field));
            }
        }
    }

    /// <summary>Validates a filter value: string, number, bool or null.</summary>
    public static void ValidateValue(string field, object? value)
    {
        if (value is null or string or bool or int or long or double or decimal or float or short or byte or uint or ulong)
        {
            return;
        }

        throw new ArgumentException($"Filter value of '{field}' must be a string, number, bool or null, not {value.GetType().Name}.", nameof(value));
    }

    /// <summary>The element at a dotted path, or null when absent.</summary>
    public static JsonElement? Resolve(JsonElement document, string path)
    {
        var current = document;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return null;
            }
        }

        return current;
    }

    public static bool Matches(JsonElement document, FilterOptions? filter)
    {
        if (filter?.Where is not { Count: > 0 } where)
        {
            return true;
        }

        foreach (var (field, expected) in where)
        {
            var actual = Resolve(document, field);
            if (!ValueEquals(actual, expected))
            {
                return false;
            }
        }

        return true;
    }

    private static bool ValueEquals(JsonElement? actual, object? expected)
    {
        if (expected is null)
        {
            return actual is null || actual.Value.ValueKind == JsonValueKind.Null;
        }

        if (actual is not { } a)
        {
            return false;
        }

        return expected switch
        {
            string s => a.ValueKind == JsonValueKind.String && string.Equals(a.GetString(), s, StringComparison.Ordinal),
            bool b => (b && a.ValueKind == JsonValueKind.True) || (!b && a.ValueKind == JsonValueKind.False),
            _ => a.ValueKind == JsonValueKind.Number && a.TryGetDecimal(out var d) && d == Convert.ToDecimal(expected, CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Applies where, sort, skip and limit to (id, document) pairs.</summary>
    public static IReadOnlyList<JsonElement> Apply(IEnumerable<KeyValuePair<string, JsonElement>> documents, FilterOptions? filter)
    {
        if (filter?.Where is { } where)
        {
            foreach (var (field, value) in where)
            {
                ValidateFieldPath(field);
                ValidateValue(field, value);
            }
        }

        var matched = documents.Where(d => Matches(d.Value, filter)).ToList();
        var sort = filter?.Sort ?? [];
        foreach (var s in sort)
        {
            ValidateFieldPath(s.Field);
        }

        matched.Sort((x, y) =>
        {
            foreach (var s in sort)
            {
                var c = CompareValues(Resolve(x.Value, s.Field), Resolve(y.Value, s.Field));
                if (c != 0)
                {
                    return s.Descending ? -c : c;
                }
            }

            return string.CompareOrdinal(x.Key, y.Key);
        });

        IEnumerable<JsonElement> result = matched.Select(m => m.Value);
        if (filter?.Skip is > 0)
        {
            result = result.Skip(filter.Skip.Value);
        }

        if (filter?.Limit is { } limit)
        {
            result = result.Take(Math.Max(0, limit));
        }

        return result.ToList();
    }

    /// <summary>null/missing &lt; false &lt; true and numbers (numeric) &lt; strings (ordinal) &lt; objects/arrays (raw text).</summary>
    public static int CompareValues(JsonElement? x, JsonElement? y)
    {
        var rx = Rank(x);
        var ry = Rank(y);
        if (rx != ry)
        {
            return rx.CompareTo(ry);
        }

        return rx switch
        {
            0 => 0,
            1 => NumberOf(x!.Value).CompareTo(NumberOf(y!.Value)),
            2 => string.CompareOrdinal(x!.Value.GetString(), y!.Value.GetString()),
            _ => string.CompareOrdinal(x!.Value.GetRawText(), y!.Value.GetRawText()),
        };
    }

    private static int Rank(JsonElement? e) => e?.ValueKind switch
    {
        null or JsonValueKind.Null or JsonValueKind.Undefined => 0,
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => 1,
        JsonValueKind.String => 2,
        _ => 3,
    };

    private static decimal NumberOf(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.True => 1m,
        JsonValueKind.False => 0m,
        _ => e.TryGetDecimal(out var d) ? d : (decimal)e.GetDouble(),
    };
}
