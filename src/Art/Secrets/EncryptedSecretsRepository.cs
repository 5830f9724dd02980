using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Art.Observation;
using Art.Storage;

namespace Art.Secrets;

/// <summary>Options of the secrets store.</summary>
public sealed record EncryptedSecretsOptions
{
    /// <summary>The floor: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.</summary>
    public const int MinimumIterations = 600_000;

    /// <summary>PBKDF2 iterations for new setups and password changes; at least <see cref="MinimumIterations"/>.</summary>
    public int Iterations { get; init; } = MinimumIterations;
}

/// <summary>
/// API keys encrypted at rest in collection <c>art_secrets</c>, in the layout WebCrypto produces so browser and .NET
/// hosts can share a store:
/// <list type="bullet">
/// <item><c>$master</c>: <c>{kdf:"PBKDF2-HMAC-SHA256", iterations, salt: base64(16 bytes), cipher:"AES-256-GCM", verifier, version:1}</c>;
/// the verifier is the constant <c>art-secrets-verifier-v1</c> sealed with associated data <c>$verifier</c>, so a wrong
/// password fails at unlock rather than at first use.</item>
/// <item><c>&lt;instanceId&gt;</c>: <c>{instanceId, ciphertext, updatedAt}</c>; ciphertext = base64(96-bit nonce ‖ ciphertext ‖ 128-bit tag),
/// sealed with the instance id as associated data, so a blob moved to another record fails authentication.</item>
/// </list>
/// The password is never stored; the derived key lives in memory only while unlocked and is zeroed on <see cref="Lock"/>.
/// Reads and writes are observed as API_KEY_ACCESS without the value.
/// </summary>
public sealed class EncryptedSecretsRepository : IEncryptedSecretsRepository, IDisposable
{
    public const string Collection = "art_secrets";
    public const string MasterId = "$master";
    private const string VerifierPlaintext = "art-secrets-verifier-v1";
    private const string VerifierAssociatedData = "$verifier";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int KeySize = 32;
    private const int SaltSize = 16;

    private readonly IStorageAdapter _storage;
    private readonly IObservationManager? _observations;
    private readonly TimeProvider _time;
    private readonly EncryptedSecretsOptions _options;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lock _keyGate = new();
    private byte[]? _key;

    public EncryptedSecretsRepository(IStorageAdapter storage, IObservationManager? observations = null, EncryptedSecretsOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _storage = storage;
        _observations = observations;
        _time = timeProvider ?? TimeProvider.System;
        _options = options ?? new EncryptedSecretsOptions();
        if (_options.Iterations < EncryptedSecretsOptions.MinimumIterations)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.Iterations, $"PBKDF2 iterations must be at least {EncryptedSecretsOptions.MinimumIterations}.");
        }
    }

    public bool IsLocked
    {
        get
        {
            lock (_keyGate)
            {
                return _key is null;
            }
        }
    }

    public async Task<bool> IsInitializedAsync(CancellationToken cancellationToken = default) =>
        await _storage.GetAsync(Collection, MasterId, cancellationToken).ConfigureAwait(false) is not null;

    public async Task UnlockWithPasswordAsync(string password, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var master = await ReadMasterAsync(cancellationToken).ConfigureAwait(false);
            byte[] key;
            if (master is null)
            {
                var salt = RandomNumberGenerator.GetBytes(SaltSize);
                key = DeriveKey(password, salt, _options.Iterations);
                var record = new MasterRecord("PBKDF2-HMAC-SHA256", _options.Iterations, Convert.ToBase64String(salt), "AES-256-GCM", Seal(key, VerifierPlaintext, VerifierAssociatedData), 1);
                await _storage.SetAsync(Collection, MasterId, record, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                key = DeriveAndVerify(password, master);
            }

            SetKey(key);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public void Lock() => SetKey(null);

    public async Task SaveApiKeyAsync(string instanceId, string apiKey, CancellationToken cancellationToken = default)
    {
        ValidateInstanceId(instanceId);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        var sealedKey = WithKey(key => Seal(key, apiKey, instanceId));
        await _storage.SetAsync(Collection, instanceId, new SecretRecord(instanceId, sealedKey, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        await ObserveAsync(instanceId, "write", true, cancellationToken).ConfigureAwait(false);
    }

    public async Task<string?> GetApiKeyAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ValidateInstanceId(instanceId);
        if (IsLocked)
        {
            throw new SecretsLockedException();
        }

        var record = await _storage.GetAsync<SecretRecord>(Collection, instanceId, cancellationToken).ConfigureAwait(false);
        string? value = null;
        if (record is not null)
        {
            value = WithKey(key => Open(key, record.Ciphertext, instanceId, $"The stored key of instance '{instanceId}'"));
        }

        await ObserveAsync(instanceId, "read", value is not null, cancellationToken).ConfigureAwait(false);
        return value;
    }

    public async Task DeleteApiKeyAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        ValidateInstanceId(instanceId);
        var existed = await _storage.GetAsync(Collection, instanceId, cancellationToken).ConfigureAwait(false) is not null;
        await _storage.DeleteAsync(Collection, instanceId, cancellationToken).ConfigureAwait(false);
        await ObserveAsync(instanceId, "delete", existed, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> ListInstanceIdsAsync(CancellationToken cancellationToken = default)
    {
        var records = await _storage.QueryAsync<SecretRecord>(Collection, new FilterOptions { Sort = [SortField.Asc("instanceId")] }, cancellationToken).ConfigureAwait(false);
        return records.Where(r => r.InstanceId is not null).Select(r => r.InstanceId!).ToList();
    }

    public async Task ChangePasswordAsync(string currentPassword, string newPassword, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(currentPassword);
        ArgumentException.ThrowIfNullOrEmpty(newPassword);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        byte[]? oldKey = null;
        byte[]? newKey = null;
        try
        {
            var master = await ReadMasterAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new SecretsAuthenticationException("No master password is set up yet: unlock once to create it.");
            oldKey = DeriveAndVerify(currentPassword, master);
            var records = await _storage.QueryAsync<SecretRecord>(Collection, null, cancellationToken).ConfigureAwait(false);
            var salt = RandomNumberGenerator.GetBytes(SaltSize);
            var iterations = Math.Max(master.Iterations, _options.Iterations);
            newKey = DeriveKey(newPassword, salt, iterations);
            var writes = new List<StorageWrite>(records.Count + 1);
            var now = _time.GetUtcNow();
            foreach (var record in records)
            {
                if (record.InstanceId is null)
                {
                    continue;
                }

                var plain = Open(oldKey, record.Ciphertext, record.InstanceId, $"The stored key of instance '{record.InstanceId}'");
                writes.Add(StorageWrite.Set(Collection, record.InstanceId, ArtJson.ToElement(new SecretRecord(record.InstanceId, Seal(newKey, plain, record.InstanceId), now))));
            }

            var newMaster = master with { Iterations = iterations, Salt = Convert.ToBase64String(salt), Verifier = Seal(newKey, VerifierPlaintext, VerifierAssociatedData) };
            writes.Add(StorageWrite.Set(Collection, MasterId, ArtJson.ToElement(newMaster)));

            // One atomic batch: either every key is under the new password, or nothing changed.
            await _storage.WriteBatchAsync(writes, cancellationToken).ConfigureAwait(false);
            SetKey(newKey);
            newKey = null;
        }
        finally
        {
            if (oldKey is not null)
            {
                CryptographicOperations.ZeroMemory(oldKey);
            }

            if (newKey is not null)
            {
                CryptographicOperations.ZeroMemory(newKey);
            }

            _writeGate.Release();
        }
    }

    public void Dispose()
    {
        Lock();
        _writeGate.Dispose();
    }

    /// <summary>AES-256-GCM with a random nonce; base64(nonce ‖ ciphertext ‖ tag).</summary>
    internal static string Seal(byte[] key, string plaintext, string associatedData)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var blob = new byte[NonceSize + plain.Length + TagSize];
        var nonce = blob.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key, TagSize))
        {
            aes.Encrypt(nonce, plain, blob.AsSpan(NonceSize, plain.Length), blob.AsSpan(NonceSize + plain.Length, TagSize), Encoding.UTF8.GetBytes(associatedData));
        }

        CryptographicOperations.ZeroMemory(plain);
        return Convert.ToBase64String(blob);
    }

    internal static string Open(byte[] key, string sealedBase64, string associatedData, string what)
    {
        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(sealedBase64);
        }
        catch (FormatException ex)
        {
            throw new SecretsAuthenticationException($"{what} is not valid base64: the store is corrupt.", ex);
        }

        if (blob.Length < NonceSize + TagSize)
        {
            throw new SecretsAuthenticationException($"{what} is too short to be a sealed secret: the store is corrupt.");
        }

        var cipherLength = blob.Length - NonceSize - TagSize;
        var plain = new byte[cipherLength];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(blob.AsSpan(0, NonceSize), blob.AsSpan(NonceSize, cipherLength), blob.AsSpan(NonceSize + cipherLength, TagSize), plain, Encoding.UTF8.GetBytes(associatedData));
            return Encoding.UTF8.GetString(plain);
        }
        catch (CryptographicException ex)
        {
            throw new SecretsAuthenticationException($"{what} failed authentication: it was tampered with, moved from another instance, or sealed under another password.", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static byte[] DeriveKey(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, KeySize);

    private static byte[] DeriveAndVerify(string password, MasterRecord master)
    {
        if (master.Iterations < 1 || master.Salt is null || master.Verifier is null)
        {
            throw new SecretsAuthenticationException("The secrets store's master record is incomplete: the store is corrupt.");
        }

        var key = DeriveKey(password, Convert.FromBase64String(master.Salt), master.Iterations);
        try
        {
            var check = Open(key, master.Verifier, VerifierAssociatedData, "The password verifier");
            if (!string.Equals(check, VerifierPlaintext, StringComparison.Ordinal))
            {
                throw new SecretsAuthenticationException("The password verifier holds an unexpected value: the store is corrupt.");
            }
        }
        catch (SecretsAuthenticationException ex)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new SecretsAuthenticationException("Wrong master password (the verifier did not decrypt).", ex);
        }

        return key;
    }

    private async Task<MasterRecord?> ReadMasterAsync(CancellationToken cancellationToken) =>
        await _storage.GetAsync<MasterRecord>(Collection, MasterId, cancellationToken).ConfigureAwait(false);

    private T WithKey<T>(Func<byte[], T> action)
    {
        lock (_keyGate)
        {
            return _key is null ? throw new SecretsLockedException() : action(_key);
        }
    }

    private void SetKey(byte[]? key)
    {
        lock (_keyGate)
        {
            if (_key is not null)
            {
                CryptographicOperations.ZeroMemory(_key);
            }

            _key = key;
        }
    }

    private static void ValidateInstanceId(string instanceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        if (instanceId.StartsWith('$'))
        {
            throw new ArgumentException($"Instance id '{instanceId}' is reserved (ids starting with '$' are internal).", nameof(instanceId));
        }
    }

    private async Task ObserveAsync(string instanceId, string action, bool found, CancellationToken cancellationToken)
    {
        if (_observations is null)
        {
            return;
        }

        await _observations.RecordAsync(
            NewObservation.Create(ObservationType.ApiKeyAccess, new KeyAccessContent(instanceId, action, found), instanceId: instanceId),
            cancellationToken).ConfigureAwait(false);
    }

    private sealed record MasterRecord(string Kdf, int Iterations, string? Salt, string Cipher, string? Verifier, int Version);

    private sealed record SecretRecord(string? InstanceId, string Ciphertext, DateTimeOffset UpdatedAt);

    private sealed record KeyAccessContent(string InstanceId, string Action, bool Found);
}
