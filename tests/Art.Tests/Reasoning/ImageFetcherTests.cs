using System.Net;
using Art.Reasoning;

namespace Art.Tests.Reasoning;

public sealed class ImageFetcherTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FetchAsync_BodyOverLimitWithoutContentLength_BadRequestWithoutQuery()
    {
        using var http = new HttpClient(new StubHandler(HttpStatusCode.OK, new byte[10], declareLength: false));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => ImageFetcher.FetchAsync(http, new Uri("https://img.example/cat.png?sig=secret"), "ollama", "local", maxBytes: 5, Ct));

        Assert.Equal(ProviderErrorKind.BadRequest, ex.Kind);
        Assert.Contains("https://img.example/cat.png is larger than the 5 bytes limit; Ollama needs images inline", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_WithinLimit_ReturnsBytesAndServedMediaType()
    {
        using var http = new HttpClient(new StubHandler(HttpStatusCode.OK, [1, 2, 3], declareLength: true, mediaType: "image/webp"));

        var (bytes, mediaType) = await ImageFetcher.FetchAsync(http, new Uri("https://img.example/cat"), "gemini", null, maxBytes: 3, Ct);

        Assert.Equal([1, 2, 3], bytes);
        Assert.Equal("image/webp", mediaType);
    }

    [Fact]
    public async Task FetchAsync_HttpError_BadRequestNamingStatus()
    {
        using var http = new HttpClient(new StubHandler(HttpStatusCode.NotFound, [], declareLength: true));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => ImageFetcher.FetchAsync(http, new Uri("https://img.example/gone.png?token=t0k3n"), "ollama", null, cancellationToken: Ct));

        Assert.Equal(ProviderErrorKind.BadRequest, ex.Kind);
        Assert.Contains("HTTP 404", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("t0k3n", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("data:image/png,plain")]
    [InlineData("data:image/png;base64,!!notbase64!!")]
    public async Task FetchAsync_BadDataUrl_BadRequest(string url)
    {
        using var http = new HttpClient(new StubHandler(HttpStatusCode.OK, [], declareLength: true));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => ImageFetcher.FetchAsync(http, new Uri(url), "ollama", null, cancellationToken: Ct));

        Assert.Equal(ProviderErrorKind.BadRequest, ex.Kind);
    }

    [Fact]
    public async Task FetchAsync_Base64DataUrl_DecodedWithItsMediaType()
    {
        using var http = new HttpClient(new StubHandler(HttpStatusCode.OK, [], declareLength: true));

        var (bytes, mediaType) = await ImageFetcher.FetchAsync(http, new Uri("data:image/gif;base64,R0lG"), "ollama", null, cancellationToken: Ct);

        Assert.Equal("GIF"u8.ToArray(), bytes);
        Assert.Equal("image/gif", mediaType);
    }

    [Fact]
    public async Task ReadBoundedAsync_DeclaredLengthOverLimit_ThrowsCallersException()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(new byte[8]) };

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ImageFetcher.ReadBoundedAsync(response, 7, () => new InvalidOperationException("too big"), Ct));

        Assert.Equal("too big", ex.Message);
    }

    private sealed class StubHandler(HttpStatusCode status, byte[] body, bool declareLength, string? mediaType = null) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // A stream content has no Content-Length unless one is set: the limit must hold while reading.
            HttpContent content = declareLength ? new ByteArrayContent(body) : new StreamContent(new MemoryStream(body));
            if (mediaType is not null)
            {
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
            }

            return Task.FromResult(new HttpResponseMessage(status) { Content = content });
        }
    }
}
