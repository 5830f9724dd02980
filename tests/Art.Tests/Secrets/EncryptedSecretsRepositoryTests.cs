using System.Text.Json;
using Art.Observation;
using Art.Secrets;
using Art.Storage;
using Art.Testing;

namespace Art.Tests.Secrets;

public sealed class EncryptedSecretsRepositoryTests
{
    private const string Password = "pa55-word-for-tests";
    private const string KeyValue = "test-secret-value-0123456789abcdef";

    private static async Task<string> DumpStorageAsync(IStorageAdapter storage) =>
        string.Join("\n", (await storage.QueryAsync(EncryptedSecretsRepository.Collection)).Select(d => d.GetRawText()));

    [Fact]
    public async Task SaveAndGet_Unlocked_RoundTripsAndNeverStoresThePlaintext()
    {
        var storage = new InMemoryStorageAdapter();
        var observations = new CollectingObservationManager();
        using var repo = new EncryptedSecretsRepository(storage, observations);
        await repo.UnlockWithPasswordAsync(Password);

        await repo.SaveApiKeyAsync("openai-main", KeyValue);
        var read = await repo.GetApiKeyAsync("openai-main");

        Assert.Equal(KeyValue, read);
        Assert.Null(await repo.GetApiKeyAsync("absent"));
        Assert.Equal(["openai-main"], await repo.ListInstanceIdsAsync());
        var stored = await DumpStorageAsync(storage);
        Assert.DoesNotContain(KeyValue, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, stored, StringComparison.Ordinal);
        var observed = string.Join("\n", observations.Recorded.Select(o => o.Content.GetRawText()));
        Assert.All(observations.Recorded, o => Assert.Equal(ObservationType.ApiKeyAccess, o.Type));
        Assert.Contains("\"write\"", observed, StringComparison.Ordinal);
        Assert.Contains("\"read\"", observed, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyValue, observed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ciphertext_UsesDocumentedLayout_NonceCiphertextTag()
    {
        var storage = new InMemoryStorageAdapter();
        using var repo = new EncryptedSecretsRepository(storage);
        await repo.UnlockWithPasswordAsync(Password);
        await repo.SaveApiKeyAsync("a", KeyValue);
        await repo.SaveApiKeyAsync("b", KeyValue);

        var a = Convert.FromBase64String((await storage.GetAsync(EncryptedSecretsRepository.Collection, "a"))!.Value.GetProperty("ciphertext").GetString()!);
        var b = Convert.FromBase64String((await storage.GetAsync(EncryptedSecretsRepository.Collection, "b"))!.Value.GetProperty("ciphertext").GetString()!);
        var master = (await storage.GetAsync(EncryptedSecretsRepository.Collection, EncryptedSecretsRepository.MasterId))!.Value;

        Assert.Equal(12 + KeyValue.Length + 16, a.Length);
        Assert.NotEqual(a.AsSpan(0, 12).ToArray(), b.AsSpan(0, 12).ToArray());
        Assert.Equal(600_000, master.GetProperty("iterations").GetInt32());
        Assert.Equal(16, Convert.FromBase64String(master.GetProperty("salt").GetString()!).Length);
        Assert.Equal("PBKDF2-HMAC-SHA256", master.GetProperty("kdf").GetString());
    }

    [Fact]
    public async Task Unlock_WrongPassword_FailsAtUnlockAndStaysLocked()
    {
        var storage = new InMemoryStorageAdapter();
        using (var setup = new EncryptedSecretsRepository(storage))
        {
            await setup.UnlockWithPasswordAsync(Password);
            await setup.SaveApiKeyAsync("x", KeyValue);
        }

        using var repo = new EncryptedSecretsRepository(storage);
        var ex = await Assert.ThrowsAsync<SecretsAuthenticationException>(() => repo.UnlockWithPasswordAsync("not-the-password"));

        Assert.Contains("Wrong master password", ex.Message, StringComparison.Ordinal);
        Assert.True(repo.IsLocked);
        await Assert.ThrowsAsync<SecretsLockedException>(() => repo.GetApiKeyAsync("x"));
    }

    [Fact]
    public async Task GetApiKey_Locked_ThrowsSecretsLocked()
    {
        var storage = new InMemoryStorageAdapter();
        using var repo = new EncryptedSecretsRepository(storage);
        await repo.UnlockWithPasswordAsync(Password);
        await repo.SaveApiKeyAsync("x", KeyValue);

        repo.Lock();

        Assert.True(repo.IsLocked);
        await Assert.ThrowsAsync<SecretsLockedException>(() => repo.GetApiKeyAsync("x"));
        await Assert.ThrowsAsync<SecretsLockedException>(() => repo.SaveApiKeyAsync("y", KeyValue));
        Assert.Equal(["x"], await repo.ListInstanceIdsAsync());
    }

    [Fact]
    public async Task GetApiKey_TamperedCiphertext_FailsAuthentication()
    {
        var storage = new InMemoryStorageAdapter();
        using var repo = new EncryptedSecretsRepository(storage);
        await repo.UnlockWithPasswordAsync(Password);
        await repo.SaveApiKeyAsync("x", KeyValue);
        var doc = (await storage.GetAsync(EncryptedSecretsRepository.Collection, "x"))!.Value;
        var blob = Convert.FromBase64String(doc.GetProperty("ciphertext").GetString()!);
        blob[14] ^= 0x01;
        await storage.SetAsync(EncryptedSecretsRepository.Collection, "x", JsonSerializer.SerializeToElement(new { instanceId = "x", ciphertext = Convert.ToBase64String(blob), updatedAt = DateTimeOffset.UtcNow }));

        var ex = await Assert.ThrowsAsync<SecretsAuthenticationException>(() => repo.GetApiKeyAsync("x"));

        Assert.Contains("'x'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("tampered", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetApiKey_CiphertextMovedToAnotherInstance_FailsAuthentication()
    {
        var storage = new InMemoryStorageAdapter();
        using var repo = new EncryptedSecretsRepository(storage);
        await repo.UnlockWithPasswordAsync(Password);
        await repo.SaveApiKeyAsync("victim", KeyValue);
        var ciphertext = (await storage.GetAsync(EncryptedSecretsRepository.Collection, "victim"))!.Value.GetProperty("ciphertext").GetString();
        await storage.SetAsync(EncryptedSecretsRepository.Collection, "attacker", JsonSerializer.SerializeToElement(new { instanceId = "attacker", ciphertext, updatedAt = DateTimeOffset.UtcNow }));

        var ex = await Assert.ThrowsAsync<SecretsAuthenticationException>(() => repo.GetApiKeyAsync("attacker"));

        Assert.Contains("moved from another instance", ex.Message, StringComparison.Ordinal);
        Assert.Equal(KeyValue, await repo.GetApiKeyAsync("victim"));
    }

    [Fact]
    public async Task Unlock_TamperedVerifier_FailsEvenWithTheRightPassword()
    {
        var storage = new InMemoryStorageAdapter();
        using (var setup = new EncryptedSecretsRepository(storage))
        {
            await setup.UnlockWithPasswordAsync(Password);
        }

        var master = (await storage.GetAsync(EncryptedSecretsRepository.Collection, EncryptedSecretsRepository.MasterId))!.Value;
        var node = System.Text.Json.Nodes.JsonNode.Parse(master.GetRawText())!;
        var verifier = Convert.FromBase64String(node["verifier"]!.GetValue<string>());
        verifier[^1] ^= 0x80;
        node["verifier"] = Convert.ToBase64String(verifier);
        await storage.SetAsync(EncryptedSecretsRepository.Collection, EncryptedSecretsRepository.MasterId, JsonSerializer.SerializeToElement(node));

        using var repo = new EncryptedSecretsRepository(storage);
        await Assert.ThrowsAsync<SecretsAuthenticationException>(() => repo.UnlockWithPasswordAsync(Password));
        Assert.True(repo.IsLocked);
    }

    [Fact]
    public async Task ChangePassword_KeepsEveryKeyReadableWithTheNewPasswordOnly()
    {
        var storage = new InMemoryStorageAdapter();
        using (var repo = new EncryptedSecretsRepository(storage))
        {
            await repo.UnlockWithPasswordAsync(Password);
            await repo.SaveApiKeyAsync("one", KeyValue + "1");
            await repo.SaveApiKeyAsync("two", KeyValue + "2");

            await repo.ChangePasswordAsync(Password, "brand-new-password");

            Assert.Equal(KeyValue + "1", await repo.GetApiKeyAsync("one"));
        }

        using var fresh = new EncryptedSecretsRepository(storage);
        await Assert.ThrowsAsync<SecretsAuthenticationException>(() => fresh.UnlockWithPasswordAsync(Password));
        await fresh.UnlockWithPasswordAsync("brand-new-password");
        Assert.Equal(KeyValue + "1", await fresh.GetApiKeyAsync("one"));
        Assert.Equal(KeyValue + "2", await fresh.GetApiKeyAsync("two"));
    }

    [Fact]
    public async Task ChangePassword_WrongCurrentPassword_ChangesNothing()
    {
        var storage = new InMemoryStorageAdapter();
        using var repo = new EncryptedSecretsRepository(storage);
        await repo.UnlockWithPasswordAsync(Password);
        await repo.SaveApiKeyAsync("one", KeyValue);
        var before = await DumpStorageAsync(storage);

        await Assert.ThrowsAsync<SecretsAuthenticationException>(() => repo.ChangePasswordAsync("wrong", "new-password-x"));

        Assert.Equal(before, await DumpStorageAsync(storage));
        Assert.Equal(KeyValue, await repo.GetApiKeyAsync("one"));
    }

    [Fact]
    public async Task WebCryptoBlob_WithDocumentedLayout_Decrypts()
    {
        var vector = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Secrets", "TestData", "webcrypto-vector.json"))).RootElement;
        var storage = new InMemoryStorageAdapter();
        await storage.SetAsync(EncryptedSecretsRepository.Collection, EncryptedSecretsRepository.MasterId, JsonSerializer.SerializeToElement(new
        {
            kdf = "PBKDF2-HMAC-SHA256",
            iterations = vector.GetProperty("iterations").GetInt32(),
            salt = vector.GetProperty("salt").GetString(),
            cipher = "AES-256-GCM",
            verifier = vector.GetProperty("verifier").GetString(),
            version = 1,
        }));
        var instanceId = vector.GetProperty("instanceId").GetString()!;
        await storage.SetAsync(EncryptedSecretsRepository.Collection, instanceId, JsonSerializer.SerializeToElement(new
        {
            instanceId,
            ciphertext = vector.GetProperty("ciphertext").GetString(),
            updatedAt = DateTimeOffset.UtcNow,
        }));

        using var repo = new EncryptedSecretsRepository(storage);
        await repo.UnlockWithPasswordAsync(vector.GetProperty("password").GetString()!);

        Assert.Equal(vector.GetProperty("apiKey").GetString(), await repo.GetApiKeyAsync(instanceId));
    }

    [Fact]
    public void Constructor_IterationsBelowFloor_Rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EncryptedSecretsRepository(new InMemoryStorageAdapter(), options: new EncryptedSecretsOptions { Iterations = 100_000 }));
    }

    [Fact]
    public async Task DeleteApiKey_RemovesItAndIsObserved()
    {
        var storage = new InMemoryStorageAdapter();
        var observations = new CollectingObservationManager();
        using var repo = new EncryptedSecretsRepository(storage, observations);
        await repo.UnlockWithPasswordAsync(Password);
        await repo.SaveApiKeyAsync("x", KeyValue);

        await repo.DeleteApiKeyAsync("x");

        Assert.Null(await repo.GetApiKeyAsync("x"));
        Assert.Empty(await repo.ListInstanceIdsAsync());
        Assert.Contains(observations.Recorded, o => o.Content.GetProperty("action").GetString() == "delete" && o.Content.GetProperty("found").GetBoolean());
    }
}
