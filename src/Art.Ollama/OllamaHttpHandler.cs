using Art.Reasoning;

namespace Art.Ollama;

/// <summary>
/// Sits under OllamaSharp in the adapter's <see cref="HttpClient"/> so every Ollama call gets the same treatment,
/// whatever OllamaSharp does with it: connection failures become "not reachable at &lt;url&gt;", non-2xx statuses become
/// classified <see cref="ProviderException"/>s with the status kept (OllamaSharp would reduce them to a message),
/// and NDJSON bodies (<c>/api/chat</c>, <c>/api/pull</c>) pass through <see cref="NdjsonGuardStream"/> so an
/// <c>{"error":…}</c> line inside a 200 stream or a garbled line fails the call instead of truncating it.
/// </summary>
internal sealed class OllamaHttpHandler : DelegatingHandler
{
    /// <summary>
    /// The token of the ART call in progress. HttpClient disposes the token source it links for a request as soon as the
    /// headers are read, so the token SendAsync receives stops working for the body; the adapter sets this instead so a
    /// read blocked on a silent server is cancelled (and the connection closed) when the call is aborted.
    /// </summary>
    internal static readonly AsyncLocal<CancellationToken> CallToken = new();

    private readonly Uri _baseUri;
    private readonly string? _instanceId;
    private readonly string? _apiKey;
    private readonly TimeProvider _time;

    public OllamaHttpHandler(HttpMessageHandler inner, Uri baseUri, string? instanceId, string? apiKey = null, TimeProvider? timeProvider = null)
        : base(inner)
    {
        _baseUri = baseUri;
        _instanceId = instanceId;
        _apiKey = apiKey;
        _time = timeProvider ?? TimeProvider.System;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw OllamaErrors.Unreachable(_baseUri, _instanceId, ex);
        }

        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                string body;
                try
                {
                    body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (HttpRequestException)
                {
                    body = string.Empty;
                }

                throw OllamaErrors.FromStatus(response.StatusCode, body, _instanceId, ProviderErrors.ParseRetryAfter(response.Headers, _time), _apiKey);
            }
        }

        var path = request.RequestUri?.AbsolutePath ?? string.Empty;
        if (path.EndsWith("/api/chat", StringComparison.Ordinal) || path.EndsWith("/api/pull", StringComparison.Ordinal))
        {
            var inner = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var guarded = new StreamContent(new NdjsonGuardStream(inner, _instanceId, CallToken.Value));
            foreach (var header in response.Content.Headers)
            {
                guarded.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = guarded;
        }

        return response;
    }
}
