namespace Art;

/// <summary>
/// What went wrong at a provider, classified so the engine can decide between retry, fallback and surfacing the error.
/// </summary>
public enum ProviderErrorKind
{
    /// <summary>5xx, timeout, connection refused or reset, overloaded (529): retry, then fall back.</summary>
    Transient,

    /// <summary>429: honour Retry-After (capped), retry, then fall back.</summary>
    RateLimited,

    /// <summary>401/403 or a missing key: fall back at once and open the instance's circuit.</summary>
    Auth,

    /// <summary>402 / insufficient balance or quota: fall back at once and open the instance's circuit.</summary>
    QuotaExceeded,

    /// <summary>The model does not exist at this instance: fall back at once and open the circuit.</summary>
    ModelNotFound,

    /// <summary>The prompt does not fit the model: fall back only to a larger context window.</summary>
    ContextLengthExceeded,

    /// <summary>The provider refused the content: no fallback by default; the provider's reason is surfaced.</summary>
    ContentFilter,

    /// <summary>The request itself is wrong (400 and kin, unsupported feature): no fallback by default.</summary>
    BadRequest,

    /// <summary>The caller cancelled or aborted.</summary>
    Cancelled,
}
