using System.Net;

namespace Art;

/// <summary>
/// A failure reported by (or on the way to) a provider, classified by <see cref="ProviderErrorKind"/>.
/// The message never contains an API key.
/// </summary>
public class ProviderException : ArtException
{
    public ProviderException(
        ProviderErrorKind kind,
        string message,
        string provider,
        string? instanceId = null,
        HttpStatusCode? statusCode = null,
        TimeSpan? retryAfter = null,
        string? providerErrorCode = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Provider = provider;
        InstanceId = instanceId;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
        ProviderErrorCode = providerErrorCode;
    }

    public ProviderErrorKind Kind { get; }

    /// <summary>Provider type name, e.g. <c>openai</c>.</summary>
    public string Provider { get; }

    /// <summary>The configured instance that failed, when known.</summary>
    public string? InstanceId { get; }

    public HttpStatusCode? StatusCode { get; }

    /// <summary>How long the provider asked us to wait (Retry-After, Gemini RetryInfo), when it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The provider's own error code or type (e.g. <c>context_length_exceeded</c>, <c>overloaded_error</c>).</summary>
    public string? ProviderErrorCode { get; }

    /// <summary>Whether a retry on the same instance can help.</summary>
    public bool IsRetryable => Kind is ProviderErrorKind.Transient or ProviderErrorKind.RateLimited;
}
