namespace Art.Gemini;

/// <summary>Settings of a <see cref="GeminiChatClient"/>.</summary>
public sealed record GeminiChatClientOptions
{
    /// <summary>Public endpoint of the Gemini Developer API.</summary>
    public const string DefaultBaseUrl = "https://generativelanguage.googleapis.com";

    /// <summary>Service root, without the API version (e.g. <c>https://generativelanguage.googleapis.com</c>).</summary>
    public Uri BaseUrl { get; init; } = new(DefaultBaseUrl);

    /// <summary>API version path segment.</summary>
    public string ApiVersion { get; init; } = "v1beta";

    /// <summary>Sent as <c>x-goog-api-key</c>; never put in a URL or a message.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Model used when <c>ChatOptions.ModelId</c> is absent.</summary>
    public string? DefaultModel { get; init; }

    /// <summary>
    /// Largest image fetched from a URL to inline it. Gemini takes images only inline or as uploaded file URIs, and an
    /// inline request must stay under 20 MB in total.
    /// </summary>
    public long MaxImageBytes { get; init; } = 15 * 1024 * 1024;

    /// <summary>Extra request headers (proxies).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}
