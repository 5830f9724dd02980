namespace Art.Sqlite;

/// <summary>Tuning of <see cref="SqliteStorageAdapter"/>.</summary>
public sealed record SqliteStorageOptions
{
    /// <summary>
    /// How long a statement waits for a lock held by another connection or process before failing
    /// (SQLite <c>busy_timeout</c>). Generous by default: a second process (the CLI) may hold the write lock briefly.
    /// </summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>synchronous</c> pragma. NORMAL is durable across application crashes in WAL mode and much faster than FULL;
    /// set <c>true</c> for FULL when power-loss durability of the last transaction matters.
    /// </summary>
    public bool SynchronousFull { get; init; }
}
