using System.Text.Json;
using Art.Observation;

namespace Art.Storage.Repositories;

/// <summary>
/// Observations in collection <c>observations</c>, keyed by observation id; each document is the observation
/// (timestamp in UTC) plus numeric <c>sortKey</c>/<c>seq</c> fields so order is exact in every adapter.
/// </summary>
public sealed class ObservationRepository
{
    public const string Collection = "observations";

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private readonly IStorageAdapter _storage;

    public ObservationRepository(IStorageAdapter storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _storage = storage;
    }

    /// <summary>Empty content, for observations recorded without a payload.</summary>
    internal static JsonElement NoContent => EmptyObject;

    public Task AddAsync(Art.Observation.Observation observation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(observation);
        ArgumentException.ThrowIfNullOrWhiteSpace(observation.Id);
        var utc = observation with
        {
            Timestamp = observation.Timestamp.ToUniversalTime(),

            // A default JsonElement cannot be written; "no content" is stored as an empty object.
            Content = observation.Content.ValueKind == JsonValueKind.Undefined ? EmptyObject : observation.Content,
        };
        var node = JsonSerializer.SerializeToNode(utc, ArtJson.Options)!.AsObject();
        node[SortKeys.KeyField] = SortKeys.KeyOf(utc.Timestamp);
        node[SortKeys.SequenceField] = SortKeys.NextSequence();
        return _storage.SetAsync(Collection, observation.Id, JsonSerializer.SerializeToElement(node, ArtJson.Options), cancellationToken);
    }

    /// <summary>Observations of a thread (all when null), oldest first; types/trace/strict before-after; limit = most recent N.</summary>
    public async Task<IReadOnlyList<Art.Observation.Observation>> GetAsync(string? threadId, ObservationQuery? query = null, CancellationToken cancellationToken = default)
    {
        var where = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (threadId is not null)
        {
            where["threadId"] = threadId;
        }

        if (query?.TraceId is { } traceId)
        {
            where["traceId"] = traceId;
        }

        var types = query?.Types is { Count: > 0 } t ? t.ToHashSet() : null;
        if (types is { Count: 1 })
        {
            where["type"] = ArtJson.ToElement(types.First()).GetString();
        }

        var limit = query?.Limit is { } l ? Math.Max(0, l) : (int?)null;
        var clientSide = query?.Before is not null || query?.After is not null || types is { Count: > 1 };
        var filter = new FilterOptions
        {
            Where = where,
            Sort = SortKeys.Order(descending: !clientSide && limit is not null),
            Limit = clientSide ? null : limit,
        };
        var docs = await _storage.QueryAsync(Collection, filter, cancellationToken).ConfigureAwait(false);
        var observations = docs.Select(Read).ToList();
        if (!clientSide)
        {
            if (limit is not null)
            {
                observations.Reverse();
            }

            return observations;
        }

        IEnumerable<Art.Observation.Observation> selected = observations;
        if (query?.Before is { } before)
        {
            selected = selected.Where(o => o.Timestamp < before);
        }

        if (query?.After is { } after)
        {
            selected = selected.Where(o => o.Timestamp > after);
        }

        if (types is not null)
        {
            selected = selected.Where(o => types.Contains(o.Type));
        }

        var list = selected.ToList();
        return limit is { } n && list.Count > n ? list.GetRange(list.Count - n, n) : list;
    }

    private static Art.Observation.Observation Read(JsonElement doc)
    {
        try
        {
            return ArtJson.FromElement<Art.Observation.Observation>(doc);
        }
        catch (JsonException ex)
        {
            throw new StorageException($"A document in '{Collection}' is not a valid observation: {ex.Message}", ex);
        }
    }
}
