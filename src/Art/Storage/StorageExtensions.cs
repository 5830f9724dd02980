using System.Text.Json;

namespace Art.Storage;

/// <summary>Typed access over <see cref="IStorageAdapter"/> with <see cref="ArtJson"/>.</summary>
public static class StorageExtensions
{
    public static async Task<T?> GetAsync<T>(this IStorageAdapter storage, string collection, string id, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(storage);
        var doc = await storage.GetAsync(collection, id, cancellationToken).ConfigureAwait(false);
        return doc is { } d ? Read<T>(collection, id, d) : null;
    }

    public static Task SetAsync<T>(this IStorageAdapter storage, string collection, string id, T value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return storage.SetAsync(collection, id, ArtJson.ToElement(value), cancellationToken);
    }

    public static async Task<IReadOnlyList<T>> QueryAsync<T>(this IStorageAdapter storage, string collection, FilterOptions? filter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var docs = await storage.QueryAsync(collection, filter, cancellationToken).ConfigureAwait(false);
        var result = new T[docs.Count];
        for (var i = 0; i < docs.Count; i++)
        {
            result[i] = Read<T>(collection, null, docs[i]);
        }

        return result;
    }

    private static T Read<T>(string collection, string? id, JsonElement doc)
    {
        try
        {
            return ArtJson.FromElement<T>(doc);
        }
        catch (JsonException ex)
        {
            throw new StorageException($"Document {(id is null ? string.Empty : $"'{id}' ")}in '{collection}' is not a valid {typeof(T).Name}: {ex.Message}", ex);
        }
    }
}
