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

    public SseErrorGuardHandler(HttpMessageHandler inner, OpenAIErrorClassifier classifier)
        : base(inner)
    {
        _classifier = classifier;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
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

        return response;
    }
}
