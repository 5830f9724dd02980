using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Anthropic.Exceptions;
using Art.Reasoning;

namespace Art.Anthropic;

/// <summary>
/// Turns what the Anthropic SDK throws into ART's <see cref="ProviderException"/>: HTTP errors by status and the
/// <c>error.type</c>/<c>error.message</c> of Anthropic's body, mid-stream <c>event: error</c> by its error type
/// (the HTTP status of a stream is 200), and transport failures as transient. Messages never carry the API key.
/// </summary>
internal static class AnthropicErrorClassifier
{
    private const string Provider = "anthropic";

    public static ProviderException Classify(Exception exception, string? instanceId, string baseUrl, string? apiKey, AnthropicResponseCapture? capture)
    {
        ArgumentNullException.ThrowIfNull(exception);
        switch (exception)
        {
            case ProviderException provider:
                return provider;

            case AnthropicApiException api:
            {
                var (type, message) = ReadError(api.Body, api.ResponseBody);
                var status = api.StatusCode;
                var kind = KindFor((int)status, type, message);
                var retryAfter = kind == ProviderErrorKind.RateLimited || kind == ProviderErrorKind.Transient ? capture?.RetryAfter : null;
                var text = $"Anthropic returned {(int)status} {type ?? "error"}: {message ?? "no message"}";
                return new ProviderException(kind, Redact(text, apiKey), Provider, instanceId, status, retryAfter, type, exception);
            }

            case AnthropicServiceException service:
            {
                // An `event: error` inside a 200 stream (AnthropicSseException) or another service error without a status.
                var (type, message) = ReadError(service.Body, null);
                var kind = KindFor(StatusForType(type), type, message);
                var text = $"Anthropic sent an error in the stream: {type ?? "error"}: {message ?? "no message"}";
                return new ProviderException(kind, Redact(text, apiKey), Provider, instanceId, null, null, type, exception);
            }

            case AnthropicIOException io when FindSocketError(io) is { } socket:
                return new ProviderException(
                    ProviderErrorKind.Transient,
                    $"Anthropic is not reachable at {baseUrl} ({socket}).",
                    Provider,
                    instanceId,
                    innerException: exception);

            case AnthropicIOException or HttpRequestException or IOException:
                return new ProviderException(
                    ProviderErrorKind.Transient,
                    Redact($"The connection to Anthropic at {baseUrl} failed: {Innermost(exception).Message}", apiKey),
                    Provider,
                    instanceId,
                    innerException: exception);

            case TimeoutException or TaskCanceledException:
                return new ProviderException(ProviderErrorKind.Transient, $"Anthropic at {baseUrl} timed out.", Provider, instanceId, innerException: exception);

            case AnthropicInvalidDataException or JsonException:
                return new ProviderException(
                    ProviderErrorKind.Transient,
                    Redact($"Anthropic sent a response that could not be read: {exception.Message}", apiKey),
                    Provider,
                    instanceId,
                    innerException: exception);

            default:
                return new ProviderException(
                    ProviderErrorKind.BadRequest,
                    Redact($"The Anthropic call failed: {exception.Message}", apiKey),
                    Provider,
                    instanceId,
                    innerException: exception);
        }
    }

    /// <summary>The kind for an HTTP status and Anthropic error type/message.</summary>
    public static ProviderErrorKind KindFor(int status, string? type, string? message)
    {
        var text = message ?? string.Empty;
        if (text.Contains("prompt is too long", StringComparison.OrdinalIgnoreCase)
            || text.Contains("context window", StringComparison.OrdinalIgnoreCase)
            || text.Contains("context length", StringComparison.OrdinalIgnoreCase))
        {
            return ProviderErrorKind.ContextLengthExceeded;
        }

        if (text.Contains("credit balance", StringComparison.OrdinalIgnoreCase) || type == "billing_error" || status == 402)
        {
            return ProviderErrorKind.QuotaExceeded;
        }

        if (text.Contains("content filtering", StringComparison.OrdinalIgnoreCase))
        {
            return ProviderErrorKind.ContentFilter;
        }

        return status switch
        {
            401 or 403 => ProviderErrorKind.Auth,
            404 => ProviderErrorKind.ModelNotFound,
            429 => ProviderErrorKind.RateLimited,
            408 or 409 => ProviderErrorKind.Transient,
            >= 500 => ProviderErrorKind.Transient,
            _ => ProviderErrorKind.BadRequest,
        };
    }

    /// <summary>The HTTP status Anthropic pairs with an error type (for errors that arrive inside a stream).</summary>
    public static int StatusForType(string? type) => type switch
    {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => 500, // api_error and anything newer: a server-side failure
    };

    private static (string? Type, string? Message) ReadError(JsonElement body, string? raw)
    {
        if (body.ValueKind != JsonValueKind.Object && !string.IsNullOrWhiteSpace(raw))
        {
            try
            {
                using var doc = JsonDocument.Parse(raw);
                return ReadError(doc.RootElement.Clone(), null);
            }
            catch (JsonException)
            {
                return (null, raw.Length > 300 ? raw[..300] : raw);
            }
        }

        if (body.ValueKind == JsonValueKind.Object
            && body.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            var type = error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            return (type, message);
        }

        return (null, null);
    }

    private static SocketError? FindSocketError(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket.SocketErrorCode;
            }
        }

        return exception.InnerException is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } ? SocketError.ConnectionRefused : null;
    }

    private static Exception Innermost(Exception exception)
    {
        var e = exception;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    private static string Redact(string text, string? apiKey) => ProviderErrors.Redact(text, apiKey);
}
