namespace Art.OpenAI;

/// <summary>
/// Wraps streaming (<c>text/event-stream</c>) responses in a <see cref="SseErrorGuardStream"/>. The OpenAI SDK does
/// not know in-stream errors: OpenRouter's <c>{"error":…,"finish_reason":"error"}</c> event even crashes its parser
/// (unknown finish reason), and an OpenAI <c>{"error":…}</c> line parses as an empty update, i.e. a truncated
/// success. The guard turns them into a classified <see cref="ProviderException"/> at the exact point they occur.
/// </summary>
internal sealed class SseErrorGuardHandler : DelegatingHandler
{
    private readonly OpenAIErrorClassifier _classifier;
    private readonly bool _withoutKey;

    /// <param name="inner">The transport.</param>
    /// <param name="classifier">Turns error events into exceptions.</param>
    /// <param name="withoutKey">The instance has no key: drop the placeholder the SDK insists on sending.</param>
    public SseErrorGuardHandler(HttpMessageHandler inner, OpenAIErrorClassifier classifier, bool withoutKey = false)
        : base(inner)
    {
        _classifier = classifier;
        _withoutKey = withoutKey;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_withoutKey)
        {
            request.Headers.Authorization = null;
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            var inner = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var guarded = new StreamContent(new SseErrorGuardStream(inner, _classifier));
            foreach (var header in response.Content.Headers)
            {
                guarded.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = guarded;
        }
        else if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "application/json"
            && request.Method == HttpMethod.Post && (request.RequestUri?.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal) ?? false))
        {
            // Asked to stream, answered with one complete body (proxies, some local servers): read as a one-event
            // stream so the answer is not mistaken for an empty success.
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (CompletionAsStream.TryConvert(body) is { } sse)
            {
                var content = new StringContent(sse, System.Text.Encoding.UTF8);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/event-stream");
                response.Content = new StreamContent(new SseErrorGuardStream(await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), _classifier));
                response.Content.Headers.ContentType = content.Headers.ContentType;
            }
            else
            {
                var content = new StringContent(body, System.Text.Encoding.UTF8);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                response.Content = content;
            }
        }

        return response;
    }
}
