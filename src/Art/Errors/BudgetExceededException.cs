namespace Art;

/// <summary>Which hard limit of <c>CostPreferences</c> a call would have crossed.</summary>
public enum BudgetLimitKind
{
    CostPerCall,
    CostPerThread,
    TokensPerThread,
    TokensPerCall,
}

/// <summary>Raised before a call whose reservation would cross a hard budget limit; nothing was sent to a provider.</summary>
public sealed class BudgetExceededException : ArtException
{
    public BudgetExceededException(string threadId, BudgetLimitKind limitKind, decimal limit, decimal committed, decimal requested)
        : base($"Budget exceeded for thread '{threadId}': {limitKind} limit is {limit}, already committed {committed}, this call needs up to {requested}. Raise the limit in the thread's costPreferences or start a new thread.")
    {
        ThreadId = threadId;
        LimitKind = limitKind;
        Limit = limit;
        Committed = committed;
        Requested = requested;
    }

    public string ThreadId { get; }

    public BudgetLimitKind LimitKind { get; }

    /// <summary>The limit (USD for cost limits, tokens for token limits).</summary>
    public decimal Limit { get; }

    /// <summary>Settled plus reserved amount at the time of the refusal.</summary>
    public decimal Committed { get; }

    /// <summary>What this call would have reserved.</summary>
    public decimal Requested { get; }
}
