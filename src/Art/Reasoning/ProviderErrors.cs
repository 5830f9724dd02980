using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Art.Reasoning;

/// <summary>
/// Shared error classification for adapters: HTTP status and body to <see cref="ProviderErrorKind"/>, transport
/// failures to clear "not reachable" messages, Retry-After parsing, and key redaction. Adapters refine it with
/// their provider's error codes.
/// </summary>
public static class ProviderErrors
{
    /// <summary>Default kind for an HTTP status and error text.</summary>
    public static ProviderErrorKind KindFromStatus(int status, string? errorText = null)
    {
        if (LooksLikeContextLength(errorText))
        {
            return ProviderErrorKind.ContextLengthExceeded;
        }

        if (LooksLikeContentFilter(errorText) && status is 400 or 403 or 422)
        {
            return ProviderErrorKind.ContentFilter;
        }

        return status switch
        {
            401 or 403 => ProviderErrorKind.Auth,
            402 => ProviderErrorKind.QuotaExceeded,
            404 => ProviderErrorKind.ModelNotFound,
            408 or 409 or 425 => ProviderErrorKind.Transient,
            413 => ProviderErrorKind.ContextLengthExceeded,
            429 => ProviderErrorKind.RateLimited,
            >= 500 => ProviderErrorKind.Transient,
            _ => ProviderErrorKind.BadRequest,
        };
    }

    /// <summary>Whether an error text says the prompt is too long for the model.</summary>
    public static bool LooksLikeContextLength(string? text) =>
        text is not null && (text.Contains("context_length_exceeded", StringComparison.OrdinalIgnoreCase)
            || text.Contains("context length", StringComparison.OrdinalIgnoreCase)
            || text.Contains("context window", StringComparison.OrdinalIgnoreCase)
            || text.Contains("prompt is too long", StringComparison.OrdinalIgnoreCase)
            || text.Contains("maximum context", StringComparison.OrdinalIgnoreCase)
            || text.Contains("too many tokens", StringComparison.OrdinalIgnoreCase)
            || text.Contains("exceeds the maximum number of tokens", StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether an error text says the content was refused by a policy filter.</summary>
    public static bool LooksLikeContentFilter(string? text) =>
        text is not null && (text.Contains("content_filter", StringComparison.OrdinalIgnoreCase)
            || text.Contains("content_policy", StringComparison.OrdinalIgnoreCase)
            || text.Contains("content policy", StringComparison.OrdinalIgnoreCase)
            || text.Contains("content management policy", StringComparison.OrdinalIgnoreCase)
            || text.Contains("moderation", StringComparison.OrdinalIgnoreCase)
            || text.Contains("flagged", StringComparison.OrdinalIgnoreCase)
            || text.Contains("SAFETY", StringComparison.Ordinal));

    /// <summary>Builds a classified exception for an HTTP error, with the key redacted from the message.</summary>
    public static ProviderException FromHttpStatus(
        string provider,
        string? instanceId,
        int status,
        string? message,
        TimeSpan? retryAfter = null,
        string? providerErrorCode = null,
        string? apiKey = null,
        ProviderErrorKind? kind = null,
        Exception? innerException = null)
    {
        var resolvedKind = kind ?? KindFromStatus(status, (providerErrorCode ?? string.Empty) + " " + message);
        var text = $"{provider}{(instanceId is null ? string.Empty : $" ('{instanceId}')")} returned HTTP {status}{(providerErrorCode is null ? string.Empty : $" ({providerErrorCode})")}: {Truncate(message ?? "(no message)", 500)}";
        return new ProviderException(resolvedKind, Redact(text, apiKey), provider, instanceId, (HttpStatusCode)status, retryAfter, providerErrorCode, innerException);
    }

    /// <summary>
    /// Classifies a transport failure (connection refused, DNS, reset, timeout) as transient with a message that
    /// says the provider is not reachable at its URL; null when the exception is not a transport failure.
    /// </summary>
    public static ProviderException? FromTransportFailure(Exception exception, string provider, string? instanceId, string? baseUrl, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                var what = socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "refused the connection",
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "could not be resolved",
                    SocketError.TimedOut => "did not answer in time",
                    SocketError.ConnectionReset => "reset the connection",
                    _ => "could not be reached (" + socket.SocketErrorCode + ")",
                };
                return Transport(provider, instanceId, baseUrl, what, hint, exception);
            }

            if (e is HttpRequestException { StatusCode: null } http && e.InnerException is null or IOException)
            {
                return Transport(provider, instanceId, baseUrl, "could not be reached: " + http.Message, hint, exception);
            }

            if (e is IOException && e.InnerException is null or SocketException)
            {
                return Transport(provider, instanceId, baseUrl, "broke the connection: " + e.Message, hint, exception);
            }

            if (e is TimeoutException)
            {
                return Transport(provider, instanceId, baseUrl, "timed out", hint, exception);
            }
        }

        return null;
    }

    private static ProviderException Transport(string provider, string? instanceId, string? baseUrl, string what, string? hint, Exception inner)
    {
        var where = baseUrl is null ? string.Empty : " at " + baseUrl;
        var message = $"{DisplayName(provider)} is not reachable{where} ({what}){(hint is null ? "." : " — " + hint)}";
        return new ProviderException(ProviderErrorKind.Transient, message, provider, instanceId, null, null, "unreachable", inner);
    }

    /// <summary>Parses Retry-After (seconds or HTTP date) and <c>retry-after-ms</c>.</summary>
    public static TimeSpan? ParseRetryAfter(HttpResponseHeaders? headers, TimeProvider? timeProvider = null)
    {
        if (headers is null)
        {
            return null;
        }

        if (headers.TryGetValues("retry-after-ms", out var ms) && double.TryParse(ms.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds))
        {
            return TimeSpan.FromMilliseconds(milliseconds);
        }

        if (headers.RetryAfter is { } retry)
        {
            if (retry.Delta is { } delta)
            {
                return delta;
            }

            if (retry.Date is { } date)
            {
                var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
                return date > now ? date - now : TimeSpan.Zero;
            }
        }

        return null;
    }

    /// <summary>Parses a Retry-After header value given as text (seconds or an HTTP date).</summary>
    public static TimeSpan? ParseRetryAfter(string? value, TimeProvider? timeProvider = null)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
            return date > now ? date - now : TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>Replaces every occurrence of the key (and of its bearer form) with a marker.</summary>
    public static string Redact(string text, string? apiKey)
    {
        ArgumentNullException.ThrowIfNull(text);
        return string.IsNullOrEmpty(apiKey) || apiKey.Length < 4 ? text : text.Replace(apiKey, "***", StringComparison.Ordinal);
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    internal static string DisplayName(string provider) => provider switch
    {
        "ollama" => "Ollama",
        "openai" => "OpenAI",
        "anthropic" => "Anthropic",
        "gemini" => "Gemini",
        "deepseek" => "DeepSeek",
        "openrouter" => "OpenRouter",
        _ => provider,
    };
}
