using System.Text.Json;
using System.Text.Json.Serialization;

namespace Art.Models;

/// <summary>
/// The shape of <c>default-models.json</c> (the embedded seed catalog): an attribution header and the models, sorted by
/// provider then model id so regenerating from the same price map gives byte-identical output.
/// </summary>
public sealed record ModelCatalogFile
{
    /// <summary>Where the entries came from (the price-map snapshot name).</summary>
    public string? GeneratedFrom { get; init; }

    /// <summary>Credit and licence of the source data.</summary>
    public string? Attribution { get; init; }

    public IReadOnlyList<ModelInfo> Models { get; init; } = [];

    /// <summary>Name of the embedded resource in the Art assembly.</summary>
    public const string ResourceName = "Art.Models.default-models.json";

    private static readonly JsonSerializerOptions PrettyOptions = new(ArtJson.Options) { WriteIndented = true, IndentSize = 2 };

    /// <summary>Reads a catalog file.</summary>
    public static async Task<ModelCatalogFile> ReadAsync(Stream json, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(json);
        return await JsonSerializer.DeserializeAsync<ModelCatalogFile>(json, ArtJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new JsonException("The model catalog is empty.");
    }

    /// <summary>Writes the catalog pretty-printed with a trailing newline (stable bytes for version control).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, PrettyOptions) + "\n";

    /// <summary>The catalog embedded in the Art assembly, or an empty one when the build had none.</summary>
    public static async Task<ModelCatalogFile> ReadEmbeddedAsync(CancellationToken cancellationToken = default)
    {
        var stream = typeof(ModelCatalogFile).Assembly.GetManifestResourceStream(ResourceName);
        if (stream is null)
        {
            return new ModelCatalogFile();
        }

        await using (stream.ConfigureAwait(false))
        {
            return await ReadAsync(stream, cancellationToken).ConfigureAwait(false);
        }
    }
}
