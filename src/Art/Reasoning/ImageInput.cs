namespace Art.Reasoning;

/// <summary>How an image is given.</summary>
public enum ImageInputKind
{
    Bytes,
    Base64,
    Url,
}

/// <summary>
/// An image for a vision model: raw bytes, base64 text or a URL, with a media type. URLs are fetched and
/// size-checked by adapters whose provider needs inline data.
/// </summary>
public sealed record ImageInput
{
    private ImageInput(ImageInputKind kind, string? mediaType)
    {
        Kind = kind;
        MediaType = mediaType;
    }

    public ImageInputKind Kind { get; }

    /// <summary>e.g. <c>image/png</c>; required for bytes and base64, optional for URLs.</summary>
    public string? MediaType { get; }

    public ReadOnlyMemory<byte> Bytes { get; private init; }

    public string? Base64 { get; private init; }

    public Uri? Url { get; private init; }

    public static ImageInput FromBytes(ReadOnlyMemory<byte> bytes, string mediaType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mediaType);
        return new ImageInput(ImageInputKind.Bytes, mediaType) { Bytes = bytes };
    }

    public static ImageInput FromBase64(string base64, string mediaType)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(base64);
        ArgumentException.ThrowIfNullOrWhiteSpace(mediaType);
        return new ImageInput(ImageInputKind.Base64, mediaType) { Base64 = base64 };
    }

    public static ImageInput FromUrl(Uri url, string? mediaType = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Scheme is not ("http" or "https" or "data"))
        {
            throw new ArgumentException($"Image URL must be http, https or data, not '{url.Scheme}'.", nameof(url));
        }

        return new ImageInput(ImageInputKind.Url, mediaType) { Url = url };
    }

    /// <summary>Reads an image file; the media type comes from the extension.</summary>
    public static async Task<ImageInput> FromFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var mediaType = MediaTypeFromExtension(Path.GetExtension(path))
            ?? throw new ArgumentException($"Cannot tell the image type of '{path}': use .png, .jpg, .jpeg, .gif or .webp.", nameof(path));
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return FromBytes(bytes, mediaType);
    }

    /// <summary>The image as base64 when it is inline (bytes or base64); null for URLs.</summary>
    public string? GetBase64() => Kind switch
    {
        ImageInputKind.Bytes => Convert.ToBase64String(Bytes.Span),
        ImageInputKind.Base64 => Base64,
        _ => null,
    };

    /// <summary>The image bytes when inline; empty for URLs.</summary>
    public ReadOnlyMemory<byte> GetBytes() => Kind switch
    {
        ImageInputKind.Bytes => Bytes,
        ImageInputKind.Base64 => Convert.FromBase64String(Base64!),
        _ => ReadOnlyMemory<byte>.Empty,
    };

    public static string? MediaTypeFromExtension(string extension) => extension.ToUpperInvariant() switch
    {
        ".PNG" => "image/png",
        ".JPG" or ".JPEG" => "image/jpeg",
        ".GIF" => "image/gif",
        ".WEBP" => "image/webp",
        _ => null,
    };
}
