using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Art.Reasoning;

namespace Art.OpenAI;

/// <summary>
/// Turns what an OpenAI-style server answered (status, error body, headers) or what the network did into a
/// <see cref="ProviderException"/> of the right <see cref="ProviderErrorKind"/>, so ART's engine decides retry and
/// fallback. Bodies differ per provider: OpenAI/DeepSeek <c>{"error":{"message","type","param","code":"…"}}</c>,
/// OpenRouter <c>{"error":{"code":429,"message","metadata"}}</c>, vLLM <c>{"object":"error","message","code":404}</c>.
/// The API key is scrubbed from every message.
/// </summary>
internal sealed class OpenAIErrorClassifier
{
    private readonly string _provider;
    private readonly string _instanceId;
    private readonly string _baseUrl;
    private readonly string? _apiKey;

    public OpenAIErrorClassifier(string provider, string instanceId, string baseUrl, string? apiKey)
    {
        _provider = provider;
        _instanceId = instanceId;
        _baseUrl = baseUrl;
        _apiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey;
    }

    /// <summary>Classifies an exception thrown by the SDK or the network; null when it is not a provider failure (e.g. caller cancellation).</summary>
    public ProviderException? Classify(Exception exception)
    {
        switch (exception)
        {
            case ProviderException provider:
                return provider;
            case ClientResultException result when result.Status > 0:
                {
                    var response = result.GetRawResponse();
                    string? body = null;
                    TimeSpan? retryAfter = null;
                    if (response is not null)
                    {
                        try
                        {
                            body = response.Content?.ToString();
                        }
                        catch (InvalidOperationException)
                        {
                            body = null;
                        }

                        retryAfter = ParseRetryAfter(
                            response.Headers.TryGetValue("retry-after-ms", out var ms) ? ms : null,
                            response.Headers.TryGetValue("retry-after", out var ra) ? ra : null);
                    }

                    // The SDK's exception quotes the raw body, which may echo the key: it is not kept as the inner exception.
                    return FromResponse(result.Status, body ?? result.Message, retryAfter);
                }

            case ClientResultException or HttpRequestException or IOException or SocketException:
                {
                    var socket = FindInner<SocketException>(exception);
                    var reason = socket?.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => "connection refused",
                        SocketError.HostNotFound or SocketError.NoData => "host not found",
                        SocketError.TimedOut => "connection timed out",
                        _ => "connection failed",
                    };
                    return new ProviderException(
                        ProviderErrorKind.Transient,
                        Scrub($"{_provider} instance '{_instanceId}' is not reachable at {_baseUrl} ({reason}: {exception.Message})"),
                        _provider,
                        _instanceId,
                        innerException: exception);
                }

            case TimeoutException or TaskCanceledException { InnerException: TimeoutException }:
                return new ProviderException(ProviderErrorKind.Transient, $"{_provider} instance '{_instanceId}' at {_baseUrl} timed out", _provider, _instanceId, innerException: exception);
            default:
                return null;
        }
    }

    /// <summary>Classifies an error the server sent: an HTTP status with its body, or an error event inside a 200 stream (status 0).</summary>
    public ProviderException FromResponse(int status, string? body, TimeSpan? retryAfter, Exception? inner = null)
    {
        var (message, code, type) = ParseBody(body);
        var effectiveStatus = status;
        if (effectiveStatus == 0 && int.TryParse(code, NumberStyles.Integer, CultureInfo.InvariantCulture, out var numeric) && numeric is >= 400 and < 600)
        {
            // OpenRouter's error objects carry the HTTP status as a numeric code, also inside a 200 stream.
            effectiveStatus = numeric;
        }

        var kind = Kind(effectiveStatus, message ?? string.Empty, code, type, body);
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{_provider} instance '{_instanceId}' failed");
        text.Append(status > 0 ? string.Create(CultureInfo.InvariantCulture, $" with HTTP {status}") : " mid-stream");
        if (!string.IsNullOrEmpty(code))
        {
            text.Append(CultureInfo.InvariantCulture, $" ({code})");
        }

        text.Append(": ").Append(string.IsNullOrWhiteSpace(message) ? "no error message" : message);
        return new ProviderException(
            kind,
            Scrub(text.ToString()),
            _provider,
            _instanceId,
            effectiveStatus > 0 ? (HttpStatusCode)effectiveStatus : null,
            kind == ProviderErrorKind.RateLimited || kind == ProviderErrorKind.Transient ? retryAfter : null,
            code ?? type,
            inner);
    }

    private static ProviderErrorKind Kind(int status, string message, string? code, string? type, string? body)
    {
        if (Is(code, "context_length_exceeded") || Contains(message, "maximum context length") || Contains(message, "context length exceeded")
            || Contains(message, "context_length_exceeded") || Contains(message, "prompt is too long"))
        {
            return ProviderErrorKind.ContextLengthExceeded;
        }

        if (Is(code, "content_filter") || Is(code, "content_policy_violation") || Contains(message, "Content Exists Risk")
            || (status == 403 && (Contains(message, "moderation") || Contains(message, "flagged") || (body?.Contains("\"reasons\"", StringComparison.Ordinal) ?? false))))
        {
            return ProviderErrorKind.ContentFilter;
        }

        if (Is(code, "insufficient_quota") || Is(type, "insufficient_quota") || Contains(message, "Insufficient Balance") || Contains(message, "Insufficient credits"))
        {
            return ProviderErrorKind.QuotaExceeded;
        }

        if (Is(code, "model_not_found") || Contains(message, "Model Not Exist") || Contains(message, "is not a valid model ID")
            || (Contains(message, "model") && Contains(message, "does not exist")))
        {
            return ProviderErrorKind.ModelNotFound;
        }

        return status switch
        {
            401 or 403 => ProviderErrorKind.Auth,
            402 => ProviderErrorKind.QuotaExceeded,
            404 => ProviderErrorKind.ModelNotFound,
            429 => ProviderErrorKind.RateLimited,
            408 or 409 or 425 or >= 500 => ProviderErrorKind.Transient,
            >= 400 => ProviderErrorKind.BadRequest,

            // An error event inside a 200 stream without a usable status: the provider broke mid-generation.
            _ => ProviderErrorKind.Transient,
        };
    }

    private static bool Is(string? value, string expected) => string.Equals(value, expected, StringComparison.OrdinalIgnoreCase);

    private static bool Contains(string? value, string part) => value?.Contains(part, StringComparison.OrdinalIgnoreCase) ?? false;

    /// <summary>Reads message, code and type from any of the error body shapes; the raw text when it is not JSON.</summary>
    internal static (string? Message, string? Code, string? Type) ParseBody(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return (null, null, null);
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var error = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) ? e : root;
            if (error.ValueKind == JsonValueKind.String)
            {
                return (error.GetString(), null, null);
            }

            if (error.ValueKind != JsonValueKind.Object)
            {
                return (Truncate(body), null, null);
            }

            var message = Text(error, "message");
            if (error.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object && Text(metadata, "raw") is { } raw)
            {
                message = message is null ? raw : message + " (" + raw + ")";
            }

            return (message, Text(error, "code"), Text(error, "type"));
        }
        catch (JsonException)
        {
            return (Truncate(body), null, null);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.Object or JsonValueKind.Array => Truncate(value.GetRawText()),
            _ => null,
        } : null;

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500] + "…";

    /// <summary>Parses <c>retry-after-ms</c> (milliseconds) or <c>retry-after</c> (seconds or an HTTP date, by the core parser).</summary>
    internal static TimeSpan? ParseRetryAfter(string? retryAfterMs, string? retryAfter)
    {
        if (double.TryParse(retryAfterMs, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        return ProviderErrors.ParseRetryAfter(retryAfter) is { } wait && wait >= TimeSpan.Zero ? wait : null;
    }

    private string Scrub(string text) => ProviderErrors.Redact(text, _apiKey);

    private static T? FindInner<T>(Exception exception)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }

        return null;
    }
}
