using System.Text.Json;

namespace Art.Cli;

/// <summary><c>--json</c> output: <see cref="ArtJson.Options"/> (camelCase, snake_case enums, nulls omitted), indented.</summary>
internal static class CliJson
{
    public static JsonSerializerOptions Options { get; } = new(ArtJson.Options) { WriteIndented = true };

    public static void Write<T>(TextWriter output, T value)
    {
        output.WriteLine(JsonSerializer.Serialize(value, Options));
        output.Flush();
    }
}
