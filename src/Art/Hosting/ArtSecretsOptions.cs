using Art.Secrets;

namespace Art.Hosting;

/// <summary><c>secrets</c>: the encrypted key store.</summary>
public sealed class ArtSecretsOptions
{
    /// <summary>PBKDF2 iterations for a new master password (at least 600,000, the default).</summary>
    public int? Iterations { get; set; }

    internal void Validate(string path, List<string> errors)
    {
        if (Iterations is { } n && n < EncryptedSecretsOptions.MinimumIterations)
        {
            errors.Add($"{path}:iterations: must be at least {EncryptedSecretsOptions.MinimumIterations} (got {n}).");
        }
    }
}
