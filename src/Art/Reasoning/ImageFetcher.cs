namespace Art.Reasoning;

/// <summary>
/// Fetches URL images for providers that need inline data, with a size limit checked while reading (a lying or
/// missing Content-Length cannot make it read more).
/// </summary>
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
            var text = url.OriginalString;
            var comma = text.IndexOf(',', StringComparison.Ordinal);
            var header = text[5..comma];
            var mediaType = header.Split(';')[0];
            if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            {
                throw new ProviderException(ProviderErrorKind.BadRequest, "Image data URLs must be base64-encoded.", provider, instanceId);
            }

            return (Convert.FromBase64String(text[(comma + 1)..]), mediaType);
        }

        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new ProviderException(ProviderErrorKind.BadRequest, $"Could not fetch image {url}: HTTP {(int)response.StatusCode}.", provider, instanceId);
        }

        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw new ProviderException(ProviderErrorKind.BadRequest, $"Image {url} is {response.Content.Headers.ContentLength} bytes; the limit is {maxBytes}.", provider, instanceId);
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
                    throw new ProviderException(ProviderErrorKind.BadRequest, $"Image {url} is larger than the limit of {maxBytes} bytes.", provider, instanceId);
                }

                buffer.Write(chunk, 0, read);
            }

            var mediaType = response.Content.Headers.ContentType?.MediaType
                ?? ImageInput.MediaTypeFromExtension(Path.GetExtension(url.AbsolutePath))
                ?? "image/jpeg";
            return (buffer.ToArray(), mediaType);
        }
    }
}
