using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Art;

/// <summary>
/// The one JSON shape ART writes everywhere (storage documents, observations, events, <c>--json</c> output):
/// camelCase names, enums as snake_case strings, nulls omitted.
/// </summary>
public static class ArtJson
{
    /// <summary>Shared, read-only options; reuse them (creating options per call is slow).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Serialises a value into a detached <see cref="JsonElement"/> document.</summary>
    public static JsonElement ToElement<T>(T value) => JsonSerializer.SerializeToElement(value, Options);

    /// <summary>Reads a value from a document; throws <see cref="JsonException"/> when the shape is wrong.</summary>
    public static T FromElement<T>(JsonElement element) =>
        element.Deserialize<T>(Options) ?? throw new JsonException($"Document is null; expected {typeof(T).Name}.");

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
