using System.Runtime.CompilerServices;
using Art.Models;
using Art.Reasoning;
using Art.Secrets;

namespace Art.Tests.Reasoning;

/// <summary>A provider factory for manager tests: records what it was asked to create.</summary>
internal sealed class FakeProviderFactory(params string[] names) : IProviderFactory
{
    public IReadOnlyList<string> ProviderNames { get; } = names;

    public bool LocalByDefault { get; init; }

    public string? EnvironmentVariable { get; init; } = "FAKE_API_KEY";

    public bool RequiresKey { get; init; }

    public string? DefaultUrl { get; init; } = "https://api.fake.example/v1";

    public Func<ProviderAdapterContext, Exception?>? FailWith { get; init; }

    public List<ProviderAdapterContext> Created { get; } = [];

    public List<FakeProviderAdapter> Adapters { get; } = [];

    public bool IsLocalByDefault(string providerName) => LocalByDefault;

    public string? ApiKeyEnvironmentVariable(string providerName) => EnvironmentVariable;

    public bool RequiresApiKey(string providerName) => RequiresKey;

    public string? DefaultBaseUrl(string providerName) => DefaultUrl;

    public IProviderAdapter Create(ProviderAdapterContext context)
    {
        if (FailWith?.Invoke(context) is { } ex)
        {
            throw ex;
        }

        Created.Add(context);
        var adapter = new FakeProviderAdapter(context.Config.Provider, context.Config.Id);
        Adapters.Add(adapter);
        return adapter;
    }
}

internal sealed class FakeProviderAdapter(string provider, string instanceId) : IProviderAdapter
{
    private int _disposals;

    public string ProviderName { get; } = provider;

    public string InstanceId { get; } = instanceId;

    public int Disposals => Volatile.Read(ref _disposals);

    public async IAsyncEnumerable<StreamEvent> StreamAsync(ArtPrompt prompt, CallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        yield break;
    }

    public Task<IReadOnlyList<ProviderModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ProviderModelInfo>>([]);

    public ValueTask DisposeAsync()
    {
        Interlocked.Increment(ref _disposals);
        return ValueTask.CompletedTask;
    }
}

internal sealed class FakeSecretsRepository : IEncryptedSecretsRepository
{
    public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);

    public bool IsLocked { get; set; }

    public int Reads { get; private set; }

    public Task<bool> IsInitializedAsync(CancellationToken cancellationToken = default) => Task.FromResult(true);

    public Task UnlockWithPasswordAsync(string password, CancellationToken cancellationToken = default)
    {
        IsLocked = false;
        return Task.CompletedTask;
    }

    public void Lock() => IsLocked = true;

    public Task SaveApiKeyAsync(string instanceId, string apiKey, CancellationToken cancellationToken = default)
    {
        Keys[instanceId] = apiKey;
        return Task.CompletedTask;
    }

    public Task<string?> GetApiKeyAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        if (IsLocked)
        {
            throw new SecretsLockedException();
        }

        Reads++;
        return Task.FromResult(Keys.TryGetValue(instanceId, out var key) ? key : null);
    }

    public Task DeleteApiKeyAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        Keys.Remove(instanceId);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListInstanceIdsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>([.. Keys.Keys]);

    public Task ChangePasswordAsync(string currentPassword, string newPassword, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
