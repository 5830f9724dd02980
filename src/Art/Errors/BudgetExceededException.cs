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

    private BudgetExceededException(string threadId, BudgetLimitKind limitKind, decimal limit, decimal committed, string modelKey)
        : base($"Budget check failed for thread '{threadId}': the price of '{modelKey}' is unknown, so the {limitKind} limit of {limit} cannot be checked (already committed {committed}). Add pricing for the model (instance pricing overrides or the model registry), route to a priced model, or allow unknown prices in the cost tracker options.")
    {
        ThreadId = threadId;
        LimitKind = limitKind;
        Limit = limit;
        Committed = committed;
        PriceUnknown = true;
    }

    /// <summary>
    /// A refusal because the model's price is unknown while a cost limit is set: the limit cannot be checked, so the
    /// call is refused rather than allowed to spend an unbounded amount. <see cref="Requested"/> is 0.
    /// </summary>
    public static BudgetExceededException ForUnknownPrice(string threadId, BudgetLimitKind limitKind, decimal limit, decimal committed, string modelKey) =>
        new(threadId, limitKind, limit, committed, modelKey);

    public string ThreadId { get; }

    /// <summary>True when the call was refused because its price is unknown (see <see cref="ForUnknownPrice"/>).</summary>
    public bool PriceUnknown { get; }

    public BudgetLimitKind LimitKind { get; }

    /// <summary>The limit (USD for cost limits, tokens for token limits).</summary>
    public decimal Limit { get; }

    /// <summary>Settled plus reserved amount at the time of the refusal.</summary>
    public decimal Committed { get; }

    /// <summary>What this call would have reserved.</summary>
    public decimal Requested { get; }
}
