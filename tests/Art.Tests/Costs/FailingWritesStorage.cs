using System.Text.Json;
using Art.Storage;

namespace Art.Tests.Costs;

/// <summary>In-memory storage whose single-document writes can be switched to fail (a full disk), for ledger-failure tests.</summary>
internal sealed class FailingWritesStorage : IStorageAdapter
{
    private readonly InMemoryStorageAdapter _inner = new();

    public bool FailWrites { get; set; }

    public Task<JsonElement?> GetAsync(string collection, string id, CancellationToken cancellationToken = default) => _inner.GetAsync(collection, id, cancellationToken);

    public Task SetAsync(string collection, string id, JsonElement document, CancellationToken cancellationToken = default) =>
        FailWrites ? throw new IOException("disk full") : _inner.SetAsync(collection, id, document, cancellationToken);

    public Task DeleteAsync(string collection, string id, CancellationToken cancellationToken = default) => _inner.DeleteAsync(collection, id, cancellationToken);

    public Task<IReadOnlyList<JsonElement>> QueryAsync(string collection, FilterOptions? filter = null, CancellationToken cancellationToken = default) => _inner.QueryAsync(collection, filter, cancellationToken);

    public Task WriteBatchAsync(IReadOnlyList<StorageWrite> writes, CancellationToken cancellationToken = default) => _inner.WriteBatchAsync(writes, cancellationToken);

    public Task ClearAsync(string? collection = null, CancellationToken cancellationToken = default) => _inner.ClearAsync(collection, cancellationToken);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
