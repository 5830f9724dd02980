using System.Globalization;

namespace Art.Reasoning;

/// <summary>
/// Fetches URL images for providers that need inline data, with a size limit checked while reading (a lying or
/// missing Content-Length cannot make it read more).
/// </summary>
/// <remarks>
/// Messages name the image by scheme, host and path only: the query string of a signed URL can carry credentials.
/// </remarks>
public static class ImageFetcher
{
    /// <summary>Default limit: 20 MB, the common provider cap for inline images.</summary>
    public const long DefaultMaxBytes = 20L * 1024 * 1024;

    /// <summary>Returns the image bytes and media type; throws <see cref="ProviderException"/> (BadRequest) when it cannot.</summary>
    public static async Task<(byte[] Bytes, string MediaType)> FetchAsync(HttpClient http, Uri url, string provider, string? instanceId, long maxBytes = DefaultMaxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(url);
        if (url.Scheme == "data")
        {
            return FromDataUrl(url, provider, instanceId);
        }

        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new ProviderException(ProviderErrorKind.BadRequest, $"Could not fetch image {Display(url)}: HTTP {(int)response.StatusCode}.", provider, instanceId);
            }

            var bytes = await ReadBoundedAsync(response, maxBytes, () => TooLarge(url, maxBytes, provider, instanceId), cancellationToken).ConfigureAwait(false);
            var mediaType = response.Content.Headers.ContentType?.MediaType
                ?? ImageInput.MediaTypeFromExtension(Path.GetExtension(url.AbsolutePath))
                ?? "image/jpeg";
            return (bytes, mediaType);
        }
        catch (HttpRequestException ex)
        {
            throw new ProviderException(ProviderErrorKind.BadRequest, $"Could not fetch image {Display(url)}: {ex.Message}", provider, instanceId, innerException: ex);
        }
    }

    /// <summary>
    /// Reads a response body into memory, throwing what <paramref name="tooLarge"/> makes as soon as the declared
    /// Content-Length or the bytes actually read exceed <paramref name="maxBytes"/>. For clients with their own error
    /// types (an <c>IChatClient</c> that does not speak <see cref="ProviderException"/>).
    /// </summary>
    public static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, long maxBytes, Func<Exception> tooLarge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(tooLarge);
        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw tooLarge();
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    throw tooLarge();
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
    }

    private static (byte[] Bytes, string MediaType) FromDataUrl(Uri url, string provider, string? instanceId)
    {
        var text = url.OriginalString;
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0 || !text[..comma].EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            throw new ProviderException(ProviderErrorKind.BadRequest, "Image data URL must be base64 encoded (data:<type>;base64,...).", provider, instanceId);
        }

        try
        {
            return (Convert.FromBase64String(text[(comma + 1)..]), text[5..comma].Split(';')[0]);
        }
        catch (FormatException ex)
        {
            throw new ProviderException(ProviderErrorKind.BadRequest, "Image data URL is not valid base64.", provider, instanceId, innerException: ex);
        }
    }

    private static ProviderException TooLarge(Uri url, long maxBytes, string provider, string? instanceId) =>
        new(ProviderErrorKind.BadRequest, $"Image {Display(url)} is larger than the {FormatBytes(maxBytes)} limit; {ProviderErrors.DisplayName(provider)} needs images inline, so resize it or pass a smaller file.", provider, instanceId);

    private static string FormatBytes(long bytes) => bytes >= 1024 * 1024
        ? (bytes / (1024.0 * 1024)).ToString("0.#", CultureInfo.InvariantCulture) + " MB"
        : bytes.ToString(CultureInfo.InvariantCulture) + " bytes";

    // Query strings of signed URLs can carry credentials: keep them out of messages.
    private static string Display(Uri url) => url.GetLeftPart(UriPartial.Path);
}
