namespace Art;

/// <summary>The secrets repository is locked: unlock it with the master password first.</summary>
public sealed class SecretsLockedException : ArtException
{
    public SecretsLockedException()
        : base("The secrets repository is locked. Unlock it with the master password (ART_MASTER_PASSWORD for scripts).")
    {
    }
}

/// <summary>The master password did not match the stored verifier, or a secret failed authentication.</summary>
public sealed class SecretsAuthenticationException : ArtException
{
    public SecretsAuthenticationException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
