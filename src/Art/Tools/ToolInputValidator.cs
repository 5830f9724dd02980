using System.Collections.Concurrent;
using System.Text.Json;
using NJsonSchema;
using NJsonSchema.Validation;

namespace Art.Tools;

/// <summary>Validates tool arguments against the tool's JSON Schema (NJsonSchema); compiled schemas are cached per schema text.</summary>
public static class ToolInputValidator
{
    private static readonly ConcurrentDictionary<string, JsonSchema> Cache = new(StringComparer.Ordinal);

    /// <summary>Null when valid; otherwise one line naming every violation.</summary>
    public static string? Validate(ToolSchema tool, JsonElement input)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var schemaText = tool.InputSchema.GetRawText();
        JsonSchema schema;
        try
        {
            schema = Cache.GetOrAdd(schemaText, static text => JsonSchema.FromJsonAsync(text).GetAwaiter().GetResult());
        }
        catch (Exception ex) when (ex is Newtonsoft.Json.JsonException or InvalidOperationException or ArgumentException)
        {
            return $"Tool '{tool.Name}' has an invalid input schema: {ex.Message}";
        }

        var errors = schema.Validate(input.GetRawText());
        if (errors.Count == 0)
        {
            return null;
        }

        var details = errors.Select(e => $"{(string.IsNullOrEmpty(e.Path) ? "input" : e.Path.TrimStart('#', '/').Replace('/', '.'))}: {Describe(e.Kind)}{(e.Property is null ? string.Empty : $" ('{e.Property}')")}");
        return $"Invalid arguments for tool '{tool.Name}': {string.Join("; ", details)}";
    }

    private static string Describe(ValidationErrorKind kind) => kind switch
    {
        ValidationErrorKind.PropertyRequired => "required property missing",
        ValidationErrorKind.NoAdditionalPropertiesAllowed => "property not allowed",
        ValidationErrorKind.StringExpected => "must be a string",
        ValidationErrorKind.NumberExpected => "must be a number",
        ValidationErrorKind.IntegerExpected => "must be an integer",
        ValidationErrorKind.BooleanExpected => "must be a boolean",
        ValidationErrorKind.ObjectExpected => "must be an object",
        ValidationErrorKind.ArrayExpected => "must be an array",
        ValidationErrorKind.NotInEnumeration => "must be one of the allowed values",
        _ => kind.ToString(),
    };
}
