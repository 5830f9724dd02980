using System.Text.Json;

namespace Art.Storage;

/// <summary>
/// A document store: collections of JSON documents keyed by id. An unknown collection is empty; writes need an id.
/// Implementations: <see cref="InMemoryStorageAdapter"/> (tests, ephemeral) and <c>SqliteStorageAdapter</c> (persistent default).
/// </summary>
public interface IStorageAdapter : IAsyncDisposable
{
    /// <summary>The document, or null when the collection or id does not exist.</summary>
    Task<JsonElement?> GetAsync(string collection, string id, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces a document. Throws <see cref="ArgumentException"/> for an empty id.</summary>
    Task SetAsync(string collection, string id, JsonElement document, CancellationToken cancellationToken = default);

    /// <summary>Deletes a document; deleting what does not exist is not an error.</summary>
    Task DeleteAsync(string collection, string id, CancellationToken cancellationToken = default);

    /// <summary>Documents matching <paramref name="filter"/>, sorted, skipped and limited.</summary>
    Task<IReadOnlyList<JsonElement>> QueryAsync(string collection, FilterOptions? filter = null, CancellationToken cancellationToken = default);

    /// <summary>Applies several writes atomically: all of them or none.</summary>
    Task WriteBatchAsync(IReadOnlyList<StorageWrite> writes, CancellationToken cancellationToken = default);

    /// <summary>Empties one collection, or every collection when <paramref name="collection"/> is null.</summary>
    Task ClearAsync(string? collection = null, CancellationToken cancellationToken = default);
}

/// <summary>One write of a batch: a set (document given) or a delete (document null).</summary>
public sealed record StorageWrite(string Collection, string Id, JsonElement? Document)
{
    public static StorageWrite Set(string collection, string id, JsonElement document) => new(collection, id, document);

    public static StorageWrite Delete(string collection, string id) => new(collection, id, null);
}

/// <summary>
/// Query options. <see cref="Where"/> matches top-level or dotted fields exactly (string, number, bool or null values);
/// sort order is null &lt; numbers &lt; strings (ordinal), ties broken by id, identical in every adapter.
/// </summary>
public sealed record FilterOptions
{
    public IReadOnlyDictionary<string, object?>? Where { get; init; }

    public IReadOnlyList<SortField>? Sort { get; init; }

    public int? Skip { get; init; }

    /// <summary>Null = no limit; 0 = nothing.</summary>
    public int? Limit { get; init; }

    public static FilterOptions WhereEquals(string field, object? value) =>
        new() { Where = new Dictionary<string, object?>(StringComparer.Ordinal) { [field] = value } };
}

/// <summary>One sort key; a field name or dotted path.</summary>
public sealed record SortField(string Field, bool Descending = false)
{
    public static SortField Asc(string field) => new(field);

    public static SortField Desc(string field) => new(field, true);
}
