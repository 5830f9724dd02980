namespace Art.Storage.Repositories;

/// <summary>
/// Numeric sort keys for time-ordered documents: <c>sortKey</c> = unix microseconds of the timestamp (exact as a double too, below 2^53) and
/// <c>seq</c> = a process-wide increasing sequence that breaks ties in write order. Numbers order exactly in every
/// adapter, unlike timestamp strings (offsets, precision) or ids. The sequence starts at the process start time in
/// ticks, so documents written by a later process sort after those of an earlier one within the same microsecond.
/// </summary>
internal static class SortKeys
{
    public const string KeyField = "sortKey";
    public const string SequenceField = "seq";

    private static long _sequence = DateTimeOffset.UtcNow.UtcTicks;

    public static long KeyOf(DateTimeOffset timestamp) => (timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    public static long NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>Time order (oldest first), or newest first when <paramref name="descending"/>.</summary>
    public static IReadOnlyList<SortField> Order(bool descending) =>
        [new SortField(KeyField, descending), new SortField(SequenceField, descending)];
}
