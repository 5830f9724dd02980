using System.Text.Json;

namespace Art.Storage;

/// <summary>
/// Documents in process memory: for tests and ephemeral hosts. Thread-safe; batches are atomic.
/// Documents are cloned on write, so callers cannot change what is stored.
/// </summary>
public sealed class InMemoryStorageAdapter : IStorageAdapter
{
    private readonly Dictionary<string, Dictionary<string, JsonElement>> _collections = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public Task<JsonElement?> GetAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(collection);
        ArgumentNullException.ThrowIfNull(id);
        lock (_gate)
        {
            return Task.FromResult<JsonElement?>(
                _collections.TryGetValue(collection, out var docs) && docs.TryGetValue(id, out var doc) ? doc : null);
        }
    }

    public Task SetAsync(string collection, string id, JsonElement document, CancellationToken cancellationToken = default)
    {
        Validate(collection, id, document);
        var copy = document.Clone();
        lock (_gate)
        {
            GetOrCreate(collection)[id] = copy;
        }

        return Task.CompletedTask;
    }

    public Task DeleteAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(collection);
        ArgumentNullException.ThrowIfNull(id);
        lock (_gate)
        {
            if (_collections.TryGetValue(collection, out var docs))
            {
                docs.Remove(id);
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JsonElement>> QueryAsync(string collection, FilterOptions? filter = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(collection);
        KeyValuePair<string, JsonElement>[] snapshot;
        lock (_gate)
        {
            snapshot = _collections.TryGetValue(collection, out var docs) ? docs.ToArray() : [];
        }

        return Task.FromResult(DocumentFilter.Apply(snapshot, filter));
    }

    public Task WriteBatchAsync(IReadOnlyList<StorageWrite> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        var prepared = new List<StorageWrite>(writes.Count);
        foreach (var write in writes)
        {
            if (write.Document is { } doc)
            {
                Validate(write.Collection, write.Id, doc);
                prepared.Add(write with { Document = doc.Clone() });
            }
            else
            {
                ArgumentException.ThrowIfNullOrWhiteSpace(write.Collection);
                ArgumentException.ThrowIfNullOrWhiteSpace(write.Id);
                prepared.Add(write);
            }
        }

        lock (_gate)
        {
            foreach (var write in prepared)
            {
                if (write.Document is { } doc)
                {
                    GetOrCreate(write.Collection)[write.Id] = doc;
                }
                else if (_collections.TryGetValue(write.Collection, out var docs))
                {
                    docs.Remove(write.Id);
                }
            }
        }

        return Task.CompletedTask;
    }

    public Task ClearAsync(string? collection = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (collection is null)
            {
                _collections.Clear();
            }
            else
            {
                _collections.Remove(collection);
            }
        }

        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Dictionary<string, JsonElement> GetOrCreate(string collection)
    {
        if (!_collections.TryGetValue(collection, out var docs))
        {
            docs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            _collections[collection] = docs;
        }

        return docs;
    }

    private static void Validate(string collection, string id, JsonElement document)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(collection);
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new ArgumentException($"A document in '{collection}' needs a non-empty id.", nameof(id));
        }

        if (document.ValueKind == JsonValueKind.Undefined)
        {
            throw new ArgumentException($"Document '{id}' in '{collection}' is empty (undefined JSON).", nameof(document));
        }
    }
}
