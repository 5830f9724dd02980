using System.Net;
using Art.Reasoning;

namespace Art.Anthropic;

/// <summary>
/// What the HTTP layer saw of the last failed response of one call. The SDK's exceptions carry the status and the body
/// but not the headers, and <c>retry-after</c> lives in a header; <see cref="AnthropicCaptureHandler"/> fills this in
/// and the adapter reads it when it classifies the error.
/// </summary>
internal sealed class AnthropicResponseCapture
{
    private static readonly AsyncLocal<AnthropicResponseCapture?> CurrentCapture = new();

    /// <summary>The capture of the call running in this async flow, if any.</summary>
    public static AnthropicResponseCapture? Current
    {
        get => CurrentCapture.Value;
        set => CurrentCapture.Value = value;
    }

    public HttpStatusCode? StatusCode { get; set; }

    public TimeSpan? RetryAfter { get; set; }

    /// <summary>Reads <c>retry-after-ms</c>, then <c>retry-after</c> (seconds or an HTTP date), the order Anthropic's SDKs use.</summary>
    public static TimeSpan? ParseRetryAfter(HttpResponseMessage response, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(response);
        return ProviderErrors.ParseRetryAfter(response.Headers, timeProvider)
            ?? (response.Headers.TryGetValues("retry-after", out var raw) ? ProviderErrors.ParseRetryAfter(raw.FirstOrDefault(), timeProvider) : null);
    }
}

/// <summary>Records the status and retry-after of failed responses into the current <see cref="AnthropicResponseCapture"/>.</summary>
internal sealed class AnthropicCaptureHandler(TimeProvider timeProvider) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && AnthropicResponseCapture.Current is { } capture)
        {
            capture.StatusCode = response.StatusCode;
            capture.RetryAfter = AnthropicResponseCapture.ParseRetryAfter(response, timeProvider);
        }

        return response;
    }
}
