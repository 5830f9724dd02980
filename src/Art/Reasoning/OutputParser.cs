using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Art.Reasoning;

/// <summary>
/// Parses the text a model writes when it plans without native tool calling: a JSON plan
/// (<c>{"intent": ..., "plan": ..., "toolCalls": [{"callId", "toolName", "arguments"}]}</c>, or just the array),
/// optionally fenced in <c>```json</c>, with prose around it, or the v0.2.4 labelled sections
/// (<c>Intent:</c>, <c>Plan:</c>, <c>Tool Calls:</c>).
/// </summary>
/// <remarks>
/// Upstream matched the first <c>[...]</c> non-greedily, so arguments containing arrays broke the plan. Here JSON is
/// found by a bracket-balanced scanner that understands strings and escapes, so nested arrays, nested objects and
/// strings containing brackets all work. <c>&lt;think&gt;</c> blocks are removed first (their text goes to
/// <see cref="ParsedPlan.Thoughts"/>) so a plan-shaped example inside thinking is never executed. Parsing never throws:
/// an invalid plan yields no calls and a <see cref="ParsedPlan.Problem"/>.
/// </remarks>
public static class OutputParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 64,
    };

    /// <summary>Parses a planning answer. Never throws.</summary>
    public static ParsedPlan ParsePlanningOutput(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return new ParsedPlan { Problem = "The planning output was empty." };
        }

        var (visible, thoughts) = StripThinking(text);
        var sections = ReadSections(visible);

        // Candidates in order of trust: fenced blocks, then the text after "Tool Calls:", then the whole text.
        var candidates = new List<string>();
        candidates.AddRange(FencedBlocks(visible));
        if (sections.ToolCallsSection is { } section)
        {
            candidates.Add(section);
        }

        candidates.Add(visible);

        string? problem = null;
        foreach (var candidate in candidates)
        {
            foreach (var json in BalancedJsonValues(candidate))
            {
                JsonDocument document;
                try
                {
                    document = JsonDocument.Parse(json, DocumentOptions);
                }
                catch (JsonException ex)
                {
                    problem ??= "A JSON block in the planning output is not valid JSON: " + ex.Message;
                    continue;
                }

                using (document)
                {
                    var result = Interpret(document.RootElement, sections, thoughts);
                    if (result is null)
                    {
                        continue;
                    }

                    return result;
                }
            }
        }

        return new ParsedPlan
        {
            Intent = sections.Intent,
            Plan = sections.Plan,
            Thoughts = thoughts,
            HasToolCallsSection = sections.ToolCallsSection is not null,
            Problem = problem ?? (sections.ToolCallsSection is not null
                ? "The 'Tool Calls:' section holds no JSON array."
                : "No JSON plan found in the planning output."),
        };
    }

    /// <summary>The answer of a synthesis call: thinking removed, trimmed.</summary>
    public static string ParseSynthesisOutput(string? text) => text is null ? string.Empty : StripThinking(text).Visible.Trim();

    /// <summary>
    /// Splits <c>&lt;think&gt;…&lt;/think&gt;</c> blocks (case-insensitive; an unclosed block runs to the end) from the text.
    /// </summary>
    public static (string Visible, string? Thoughts) StripThinking(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        const string Open = "<think>";
        const string Close = "</think>";
        var start = text.IndexOf(Open, StringComparison.OrdinalIgnoreCase);
        if (start < 0)
        {
            return (text, null);
        }

        var visible = new StringBuilder(text.Length);
        var thoughts = new StringBuilder();
        var position = 0;
        while (start >= 0)
        {
            visible.Append(text, position, start - position);
            var contentStart = start + Open.Length;
            var end = text.IndexOf(Close, contentStart, StringComparison.OrdinalIgnoreCase);
            var contentEnd = end < 0 ? text.Length : end;
            if (thoughts.Length > 0)
            {
                thoughts.Append('\n');
            }

            thoughts.Append(text, contentStart, contentEnd - contentStart);
            position = end < 0 ? text.Length : end + Close.Length;
            start = position < text.Length ? text.IndexOf(Open, position, StringComparison.OrdinalIgnoreCase) : -1;
        }

        if (position < text.Length)
        {
            visible.Append(text, position, text.Length - position);
        }

        var thoughtText = thoughts.ToString().Trim();
        return (visible.ToString(), thoughtText.Length == 0 ? null : thoughtText);
    }

    /// <summary>
    /// Every top-level balanced JSON object or array in <paramref name="text"/>, in order. Brackets inside JSON strings
    /// (with escapes) do not count; an unbalanced opening is skipped and scanning resumes after it.
    /// </summary>
    public static IEnumerable<string> BalancedJsonValues(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is '{' or '[')
            {
                var end = FindBalancedEnd(text, i);
                if (end > 0)
                {
                    yield return text[i..(end + 1)];
                    i = end + 1;
                    continue;
                }
            }

            i++;
        }
    }

    private static int FindBalancedEnd(string text, int start)
    {
        var stack = new Stack<char>();
        var inString = false;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{':
                    stack.Push('}');
                    break;
                case '[':
                    stack.Push(']');
                    break;
                case '}' or ']':
                    if (stack.Count == 0 || stack.Pop() != c)
                    {
                        return -1;
                    }

                    if (stack.Count == 0)
                    {
                        return i;
                    }

                    break;
            }
        }

        return -1;
    }

    private static IEnumerable<string> FencedBlocks(string text)
    {
        var position = 0;
        while (true)
        {
            var open = text.IndexOf("```", position, StringComparison.Ordinal);
            if (open < 0)
            {
                yield break;
            }

            var lineEnd = text.IndexOf('\n', open + 3);
            if (lineEnd < 0)
            {
                yield break;
            }

            var language = text[(open + 3)..lineEnd].Trim();
            var close = text.IndexOf("```", lineEnd + 1, StringComparison.Ordinal);
            if (close < 0)
            {
                yield break;
            }

            if (language.Length == 0 || language.Equals("json", StringComparison.OrdinalIgnoreCase) || language.Equals("jsonc", StringComparison.OrdinalIgnoreCase))
            {
                yield return text[(lineEnd + 1)..close];
            }

            position = close + 3;
        }
    }

    private static ParsedPlan? Interpret(JsonElement root, Sections sections, string? thoughts)
    {
        JsonElement? calls = null;
        string? intent = sections.Intent;
        string? plan = sections.Plan;
        if (root.ValueKind == JsonValueKind.Object)
        {
            var any = false;
            foreach (var property in root.EnumerateObject())
            {
                switch (Normalize(property.Name))
                {
                    case "intent":
                        intent = AsText(property.Value) ?? intent;
                        any = true;
                        break;
                    case "plan":
                        plan = AsText(property.Value) ?? plan;
                        any = true;
                        break;
                    case "toolcalls":
                        calls = property.Value;
                        any = true;
                        break;
                    case "title":
                        any = true;
                        break;
                }
            }

            if (!any)
            {
                return null;
            }
        }
        else if (root.ValueKind == JsonValueKind.Array)
        {
            calls = root;
        }
        else
        {
            return null;
        }

        var basePlan = new ParsedPlan { Intent = intent, Plan = plan, Thoughts = thoughts, HasToolCallsSection = true };
        if (calls is null || calls.Value.ValueKind == JsonValueKind.Null)
        {
            return basePlan;
        }

        if (calls.Value.ValueKind != JsonValueKind.Array)
        {
            return basePlan with { Problem = "'toolCalls' must be an array." };
        }

        var result = new List<ToolCall>();
        var index = 0;
        foreach (var item in calls.Value.EnumerateArray())
        {
            index++;
            if (item.ValueKind != JsonValueKind.Object)
            {
                // A bare array of non-objects (e.g. [1, 2]) is not a plan; let the caller keep looking.
                return root.ValueKind == JsonValueKind.Array ? null : basePlan with { Problem = $"Tool call {index} is not an object." };
            }

            string? id = null;
            string? name = null;
            JsonElement? arguments = null;
            foreach (var property in item.EnumerateObject())
            {
                switch (Normalize(property.Name))
                {
                    case "callid" or "id":
                        id = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
                        break;
                    case "toolname" or "name" or "tool":
                        name = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                        break;
                    case "arguments" or "args" or "input" or "parameters":
                        arguments = property.Value;
                        break;
                }
            }

            if (string.IsNullOrWhiteSpace(name))
            {
                return root.ValueKind == JsonValueKind.Array && index == 1 && result.Count == 0 && !LooksLikeCall(item)
                    ? null
                    : basePlan with { Problem = $"Tool call {index} has no 'toolName'." };
            }

            var args = arguments switch
            {
                null => Empty(),
                { ValueKind: JsonValueKind.Object } a => a.Clone(),
                { ValueKind: JsonValueKind.String } s when TryParseObject(s.GetString(), out var parsed) => parsed,
                _ => (JsonElement?)null,
            };
            if (args is null)
            {
                return basePlan with { Problem = $"Tool call {index} ('{name}'): 'arguments' must be a JSON object." };
            }

            result.Add(new ToolCall(string.IsNullOrWhiteSpace(id) ? "call_" + index.ToString(CultureInfo.InvariantCulture) : id!, name!, args.Value));
        }

        return basePlan with { ToolCalls = result };
    }

    private static bool LooksLikeCall(JsonElement item)
    {
        foreach (var property in item.EnumerateObject())
        {
            if (Normalize(property.Name) is "callid" or "arguments" or "args")
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryParseObject(string? text, out JsonElement element)
    {
        element = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            element = Empty();
            return true;
        }

        try
        {
            using var document = JsonDocument.Parse(text, DocumentOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            element = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static JsonElement Empty()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }

    private static string? AsText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Array => string.Join('\n', value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
        JsonValueKind.Null => null,
        _ => value.GetRawText(),
    };

    private static string Normalize(string name) => name.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant();

    private static Sections ReadSections(string text)
    {
        var intentAt = FindLabel(text, "Intent:");
        var planAt = FindLabel(text, "Plan:");
        var toolsAt = FindLabel(text, "Tool Calls:");
        string? Slice(int at, int labelLength, params int[] ends)
        {
            if (at < 0)
            {
                return null;
            }

            var from = at + labelLength;
            var to = text.Length;
            foreach (var end in ends)
            {
                if (end > from && end < to)
                {
                    to = end;
                }
            }

            var slice = text[from..to].Trim();
            return slice.Length == 0 ? null : slice;
        }

        return new Sections(
            Slice(intentAt, "Intent:".Length, planAt, toolsAt),
            Slice(planAt, "Plan:".Length, toolsAt),
            toolsAt < 0 ? null : text[(toolsAt + "Tool Calls:".Length)..]);
    }

    private static int FindLabel(string text, string label)
    {
        var position = 0;
        while (true)
        {
            var at = text.IndexOf(label, position, StringComparison.OrdinalIgnoreCase);
            if (at < 0)
            {
                return -1;
            }

            // A label starts a line (optionally after markdown emphasis), so "the plan: ..." in prose is not a section.
            var lineStart = at;
            while (lineStart > 0 && text[lineStart - 1] is '*' or '#' or ' ' or '\t' or '_')
            {
                lineStart--;
            }

            if (lineStart == 0 || text[lineStart - 1] == '\n')
            {
                return at;
            }

            position = at + label.Length;
        }
    }

    private sealed record Sections(string? Intent, string? Plan, string? ToolCallsSection);
}

/// <summary>What <see cref="OutputParser.ParsePlanningOutput"/> found.</summary>
public sealed record ParsedPlan
{
    public string? Intent { get; init; }

    public string? Plan { get; init; }

    /// <summary>Tool calls to run; empty when none were asked for or the plan was invalid (see <see cref="Problem"/>).</summary>
    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];

    /// <summary>Text of <c>&lt;think&gt;</c> blocks, which is never parsed as the plan.</summary>
    public string? Thoughts { get; init; }

    /// <summary>Whether the output contained a tool-call list at all (JSON plan or a <c>Tool Calls:</c> section).</summary>
    public bool HasToolCallsSection { get; init; }

    /// <summary>Why no tool calls could be read, when the output was not a valid plan; null for a valid plan.</summary>
    public string? Problem { get; init; }
}
