namespace Art.Secrets;

/// <summary>
/// API keys encrypted at rest with a key derived from a master password (AES-256-GCM, PBKDF2-HMAC-SHA256).
/// The password is never stored; keys are readable only while unlocked.
/// </summary>
public interface IEncryptedSecretsRepository
{
    bool IsLocked { get; }

    /// <summary>Whether a master password has been set up (a verifier exists).</summary>
    Task<bool> IsInitializedAsync(CancellationToken cancellationToken = default);

    /// <summary>Derives the key; sets the password up on first use; throws <see cref="SecretsAuthenticationException"/> for a wrong password.</summary>
    Task UnlockWithPasswordAsync(string password, CancellationToken cancellationToken = default);

    /// <summary>Discards the key (its bytes are zeroed).</summary>
    void Lock();

    Task SaveApiKeyAsync(string instanceId, string apiKey, CancellationToken cancellationToken = default);

    /// <summary>The key, or null when none is stored; throws <see cref="SecretsLockedException"/> when locked.</summary>
    Task<string?> GetApiKeyAsync(string instanceId, CancellationToken cancellationToken = default);

    Task DeleteApiKeyAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>Instance ids that have a stored key (readable while locked; values are not).</summary>
    Task<IReadOnlyList<string>> ListInstanceIdsAsync(CancellationToken cancellationToken = default);

    /// <summary>Re-encrypts every key under a new password in one atomic write.</summary>
    Task ChangePasswordAsync(string currentPassword, string newPassword, CancellationToken cancellationToken = default);
}
