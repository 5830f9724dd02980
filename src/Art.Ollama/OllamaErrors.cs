using System.Globalization;
using System.Net;
using System.Text.Json;
using Art.Reasoning;

namespace Art.Ollama;

/// <summary>
/// Ollama's <c>{"error":"..."}</c> bodies and statuses to <see cref="ProviderException"/>, on the core
/// <see cref="ProviderErrors"/> defaults. The server's own text is kept because it says exactly what to fix (pull the
/// model, drop tools); the ollama.com key, when one is configured, is redacted from it.
/// </summary>
internal static class OllamaErrors
{
    public const string Provider = "ollama";

    private const string UnreachableHint = "start it with `ollama serve` or set the instance's baseUrl.";

    /// <summary>Reads the <c>error</c> field of an Ollama error body; the raw body (trimmed) when it is not that shape.</summary>
    public static string ReadMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return "(empty body)";
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error))
            {
                return error.ValueKind == JsonValueKind.String ? error.GetString() ?? string.Empty : error.GetRawText();
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, Go's plain "404 page not found"): the text itself is the message.
        }

        var trimmed = body.Trim();
        return trimmed.Length > 500 ? trimmed[..500] + "…" : trimmed;
    }

    /// <summary>Classifies an HTTP error status and its body: the core defaults, refined by Ollama's own texts.</summary>
    public static ProviderException FromStatus(HttpStatusCode status, string? body, string? instanceId, TimeSpan? retryAfter, string? apiKey = null)
    {
        var message = ReadMessage(body);
        var code = (int)status;
        var kind = ProviderErrors.KindFromStatus(code, message);
        if (code == 499)
        {
            // "Client closed request" from a proxy in front of Ollama: nothing wrong with the request itself.
            kind = ProviderErrorKind.Transient;
        }
        else if (kind == ProviderErrorKind.BadRequest && message.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            // Ollama answers 400 "model 'x' not found" on some endpoints, not only 404.
            kind = ProviderErrorKind.ModelNotFound;
        }

        var text = string.Create(CultureInfo.InvariantCulture, $"Ollama returned {code} ({status}): {message}");
        return new ProviderException(kind, ProviderErrors.Redact(text, apiKey), Provider, instanceId, status, retryAfter, ProviderCode(message));
    }

    /// <summary>Classifies an <c>{"error":…}</c> line that arrived inside a 200 stream (the status was already sent).</summary>
    public static ProviderException FromStreamLine(string message, string? instanceId)
    {
        var kind = message.Contains("not found", StringComparison.OrdinalIgnoreCase) || message.Contains("file does not exist", StringComparison.OrdinalIgnoreCase)
            ? ProviderErrorKind.ModelNotFound
            : message.Contains("does not support", StringComparison.OrdinalIgnoreCase) ? ProviderErrorKind.BadRequest : ProviderErrorKind.Transient;
        return new ProviderException(kind, "Ollama reported an error in the stream: " + message, Provider, instanceId, providerErrorCode: ProviderCode(message));
    }

    /// <summary>Connection refused / host not found: Ollama is not running there.</summary>
    public static ProviderException Unreachable(Uri baseUri, string? instanceId, Exception inner)
    {
        var url = baseUri.GetLeftPart(UriPartial.Authority);
        return ProviderErrors.FromTransportFailure(inner, Provider, instanceId, url, UnreachableHint)
            ?? new ProviderException(ProviderErrorKind.Transient, $"Ollama is not reachable at {url} ({inner.Message}) — {UnreachableHint}", Provider, instanceId, null, null, "unreachable", inner);
    }

    /// <summary>A stream that is not NDJSON: never a silent truncation. Transient because the request was fine; a proxy or a crashed runner garbled the reply.</summary>
    public static ProviderException Malformed(string detail, string? instanceId, Exception? inner = null) =>
        new(ProviderErrorKind.Transient, "Ollama sent a malformed NDJSON stream: " + detail, Provider, instanceId, providerErrorCode: "malformed_ndjson", innerException: inner);

    /// <summary>The connection broke before the terminal line.</summary>
    public static ProviderException Interrupted(string detail, string? instanceId, Exception? inner = null) =>
        new(ProviderErrorKind.Transient, "The Ollama stream was interrupted: " + detail, Provider, instanceId, providerErrorCode: "stream_interrupted", innerException: inner);

    private static string? ProviderCode(string message) =>
        message.Contains("does not support tools", StringComparison.OrdinalIgnoreCase) ? "tools_not_supported"
        : message.Contains("does not support thinking", StringComparison.OrdinalIgnoreCase) ? "thinking_not_supported"
        : message.Contains("maximum pending requests", StringComparison.OrdinalIgnoreCase) ? "server_busy"
        : null;
}
