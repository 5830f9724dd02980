using System.Text.Json;
using System.Text.Json.Nodes;
using Art.Context;

namespace Art.Storage.Repositories;

/// <summary>
/// Conversation messages in collection <c>conversations</c>, keyed by message id. Each document is the message
/// (timestamp in UTC) plus <c>id</c> and numeric <c>sortKey</c>/<c>seq</c> fields (see <see cref="SortKeys"/>) so history order is
/// exact in every adapter.
/// </summary>
public sealed class ConversationRepository
{
    public const string Collection = "conversations";

    private readonly IStorageAdapter _storage;

    public ConversationRepository(IStorageAdapter storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _storage = storage;
    }

    /// <summary>Stores messages in one batch (all or none).</summary>
    public Task AddAsync(IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var writes = new List<StorageWrite>(messages.Count);
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message);
            ArgumentException.ThrowIfNullOrWhiteSpace(message.MessageId);
            var utc = message with { Timestamp = message.Timestamp.ToUniversalTime() };
            var node = JsonSerializer.SerializeToNode(utc, ArtJson.Options)!.AsObject();
            node["id"] = message.MessageId;
            node[SortKeys.KeyField] = SortKeys.KeyOf(utc.Timestamp);
            node[SortKeys.SequenceField] = SortKeys.NextSequence();
            writes.Add(StorageWrite.Set(Collection, message.MessageId, JsonSerializer.SerializeToElement(node, ArtJson.Options)));
        }

        return _storage.WriteBatchAsync(writes, cancellationToken);
    }

    /// <summary>
    /// Messages of a thread (all threads when null), oldest first. Before/after are strict; roles filter;
    /// limit keeps the most recent N (still oldest first).
    /// </summary>
    public async Task<IReadOnlyList<ConversationMessage>> GetAsync(string? threadId, MessageQuery? query = null, CancellationToken cancellationToken = default)
    {
        var where = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (threadId is not null)
        {
            where["threadId"] = threadId;
        }

        var roles = query?.Roles is { Count: > 0 } r ? r.ToHashSet() : null;
        if (roles is { Count: 1 })
        {
            where["role"] = ArtJson.ToElement(roles.First()).GetString();
        }

        var limit = query?.Limit is > 0 ? query.Limit : null;
        var clientSide = query?.Before is not null || query?.After is not null || roles is { Count: > 1 };

        // Without client-side filters, the newest N come straight from storage (descending) and are reversed.
        var filter = new FilterOptions
        {
            Where = where,
            Sort = SortKeys.Order(descending: !clientSide && limit is not null),
            Limit = clientSide ? null : limit,
        };
        var docs = await _storage.QueryAsync(Collection, filter, cancellationToken).ConfigureAwait(false);
        var messages = docs.Select(Read).ToList();
        if (!clientSide)
        {
            if (limit is not null)
            {
                messages.Reverse();
            }

            return messages;
        }

        IEnumerable<ConversationMessage> selected = messages;
        if (query?.Before is { } before)
        {
            selected = selected.Where(m => m.Timestamp < before);
        }

        if (query?.After is { } after)
        {
            selected = selected.Where(m => m.Timestamp > after);
        }

        if (roles is not null)
        {
            selected = selected.Where(m => roles.Contains(m.Role));
        }

        var list = selected.ToList();
        return limit is { } n && list.Count > n ? list.GetRange(list.Count - n, n) : list;
    }

    private static ConversationMessage Read(JsonElement doc)
    {
        try
        {
            return ArtJson.FromElement<ConversationMessage>(doc);
        }
        catch (JsonException ex)
        {
            throw new StorageException($"A document in '{Collection}' is not a valid conversation message: {ex.Message}", ex);
        }
    }
}
