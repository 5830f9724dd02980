namespace Art.Reasoning;

/// <summary>
/// Retry, timeout and estimate settings of <see cref="ReasoningEngine"/>. The defaults suit remote APIs and local
/// models that may need a while to load (time to first token is generous).
/// </summary>
public sealed record ReasoningEngineOptions
{
    /// <summary>Retries on the same instance after a transient or rate-limit error, before falling back (default 2).</summary>
    public int MaxRetriesPerInstance { get; init; } = 2;

    /// <summary>First backoff; doubles per retry, then a jitter of up to half is taken off (default 500 ms).</summary>
    public TimeSpan BaseBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Upper bound of a computed backoff (default 10 s).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest Retry-After the engine waits for (default 30 s). A provider that asks for longer is not retried: the
    /// engine falls back at once, because waiting past the cap would not honour what the provider asked for.
    /// </summary>
    public TimeSpan RetryAfterCap { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest one attempt may take from the request to the end of the stream; null = no limit (default 10 min).</summary>
    public TimeSpan? AttemptTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest wait for the first event of an attempt (thought, content, tool call or usage); null = no limit (default 120 s, local models load slowly).</summary>
    public TimeSpan? FirstTokenTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Longest silence between two events once the stream has started; null = no limit (default 60 s).</summary>
    public TimeSpan? IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Fallback targets tried after the primary at most (default 3). Retries on one target do not count.</summary>
    public int MaxFallbacks { get; init; } = 3;

    /// <summary>Output tokens assumed for budget and routing estimates when no max output is set anywhere (default 4096).</summary>
    public int DefaultMaxOutputTokens { get; init; } = 4096;

    /// <summary>Prompt tokens added per image to the chars/4 estimate (default 1000).</summary>
    public int EstimatedTokensPerImage { get; init; } = 1000;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetriesPerInstance);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxFallbacks);
        ArgumentOutOfRangeException.ThrowIfLessThan(BaseBackoff, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBackoff, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryAfterCap, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(DefaultMaxOutputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(EstimatedTokensPerImage);
        if (AttemptTimeout is { } a)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(a, TimeSpan.Zero, nameof(AttemptTimeout));
        }

        if (FirstTokenTimeout is { } f)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(f, TimeSpan.Zero, nameof(FirstTokenTimeout));
        }

        if (IdleTimeout is { } i)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(i, TimeSpan.Zero, nameof(IdleTimeout));
        }
    }
}
