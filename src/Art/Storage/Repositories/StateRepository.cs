using System.Text.Json;
using Art.Context;

namespace Art.Storage.Repositories;

/// <summary>
/// Thread config and agent state in collection <c>state</c>, one document per thread keyed by thread id:
/// <c>{ id, threadId, config, state? }</c>. Config and state live together so a thread is created, read and
/// replaced atomically.
/// </summary>
public sealed class StateRepository
{
    public const string Collection = "state";

    private readonly IStorageAdapter _storage;

    public StateRepository(IStorageAdapter storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _storage = storage;
    }

    /// <summary>The stored context, or null when the thread has no document.</summary>
    public async Task<ThreadContext?> GetAsync(string threadId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        var stored = await _storage.GetAsync<StoredThread>(Collection, threadId, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : new ThreadContext(stored.Config, stored.State);
    }

    public Task SetAsync(string threadId, ThreadContext context, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(context.Config);
        return _storage.SetAsync(Collection, threadId, new StoredThread(threadId, threadId, context.Config, context.State), cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListThreadIdsAsync(CancellationToken cancellationToken = default)
    {
        var docs = await _storage.QueryAsync(Collection, null, cancellationToken).ConfigureAwait(false);
        return docs.Select(d => d.TryGetProperty("id", out var id) ? id.GetString() : null).OfType<string>().ToList();
    }

    private sealed record StoredThread(string Id, string ThreadId, ThreadConfig Config, AgentState? State);
}
