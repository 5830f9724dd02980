using System.Net;

namespace Art.Gemini;

/// <summary>
/// An error reported by the Gemini API in its google.rpc Status shape (HTTP error, an <c>error</c> event inside a
/// stream, or a refused prompt), with the fields ART classifies on. The message is the provider's text and never holds
/// the API key (the key travels in a header, never in the URL).
/// </summary>
public sealed class GeminiApiException : Exception
{
    public GeminiApiException(string message, HttpStatusCode? statusCode = null, string? status = null, string? reason = null, TimeSpan? retryDelay = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Status = status;
        Reason = reason;
        RetryDelay = retryDelay;
    }

    public GeminiApiException()
        : this("Gemini API error.")
    {
    }

    public GeminiApiException(string message)
        : this(message, null)
    {
    }

    public GeminiApiException(string message, Exception? innerException)
        : this(message, null, null, null, null, innerException)
    {
    }

    /// <summary>HTTP status; null for errors inside a 200 stream that carry none.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The canonical status (<c>INVALID_ARGUMENT</c>, <c>RESOURCE_EXHAUSTED</c>, ...).</summary>
    public string? Status { get; }

    /// <summary><c>ErrorInfo.reason</c> (e.g. <c>API_KEY_INVALID</c>), a prompt <c>blockReason</c>, or a refusing <c>finishReason</c>.</summary>
    public string? Reason { get; }

    /// <summary><c>RetryInfo.retryDelay</c> when the service sent one.</summary>
    public TimeSpan? RetryDelay { get; }

    /// <summary><c>QuotaFailure</c> violations' quota ids (e.g. <c>GenerateRequestsPerDayPerProjectPerModel-FreeTier</c>).</summary>
    public IReadOnlyList<string> QuotaIds { get; init; } = [];

    /// <summary>True when the service refused the content (prompt blocked or answer stopped for safety).</summary>
    public bool IsContentFilter { get; init; }

    /// <summary>True when the stream ended without a final chunk (connection cut, truncated body).</summary>
    public bool IsIncompleteStream { get; init; }
}
