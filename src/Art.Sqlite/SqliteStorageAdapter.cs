using System.Globalization;
using System.Text;
using System.Text.Json;
using Art.Storage;
using Microsoft.Data.Sqlite;

namespace Art.Sqlite;

/// <summary>
/// The embedded persistent <see cref="IStorageAdapter"/>: one SQLite file in WAL mode.
/// </summary>
/// <remarks>
/// <para>
/// Schema: a single <c>documents(collection, id, json)</c> table with primary key (collection, id). Why one table and
/// not a table per collection: collections stay schema-free (a new repository needs no migration), every operation has
/// one statement path, batches that span collections are one transaction, and hot fields get expression indexes
/// (<c>json_extract(json,'$.threadId')</c>) instead of columns.
/// </para>
/// <para>
/// Filtering and sorting run in SQL and mirror <see cref="DocumentFilter"/> exactly: <c>json_type</c> decides the rank
/// (missing/null &lt; numbers and booleans &lt; strings &lt; objects/arrays), <c>json_extract</c> the value, ties by id.
/// Field paths are validated with <see cref="DocumentFilter.ValidateFieldPath"/> (letters, digits, '_' and '.') and then
/// written into the SQL as JSON path literals so SQLite can use expression indexes; values are always parameters.
/// </para>
/// <para>
/// Concurrency: a connection per operation from the pool; writers of this process are serialised by a semaphore
/// (SQLite has one writer anyway, so nothing is lost and nobody spins on SQLITE_BUSY), readers run in parallel under WAL;
/// writers of other processes are waited for through <c>busy_timeout</c>.
/// </para>
/// </remarks>
public sealed class SqliteStorageAdapter : IStorageAdapter
{
    private const string Schema = """
        PRAGMA journal_mode=WAL;
        CREATE TABLE IF NOT EXISTS documents (
            collection TEXT NOT NULL,
            id TEXT NOT NULL,
            json TEXT NOT NULL,
            PRIMARY KEY (collection, id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_documents_thread ON documents (collection, json_extract(json, '$.threadId'));
        """;

    /// <summary>Collation registered on every connection: <see cref="string.CompareOrdinal(string, string)"/>.</summary>
    private const string OrdinalCollation = "ART_ORDINAL";

    private readonly string _connectionString;
    private readonly SqliteStorageOptions _options;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SemaphoreSlim _initGate = new(1, 1);
    private volatile bool _initialised;
    private int _disposed;

    /// <summary>Opens (or creates) the database file at <paramref name="databasePath"/>, creating its directory if missing.</summary>
    public SqliteStorageAdapter(string databasePath, SqliteStorageOptions? options = null)
        : this(new SqliteConnectionStringBuilder { DataSource = CheckPath(databasePath), Mode = SqliteOpenMode.ReadWriteCreate }, options)
    {
    }

    private SqliteStorageAdapter(SqliteConnectionStringBuilder builder, SqliteStorageOptions? options)
    {
        _options = options ?? new SqliteStorageOptions();
        builder.Pooling = true;
        builder.DefaultTimeout = Math.Max(1, (int)Math.Ceiling(_options.BusyTimeout.TotalSeconds));
        if (string.IsNullOrWhiteSpace(builder.DataSource) || builder.DataSource == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            throw new ArgumentException("SqliteStorageAdapter needs a database file; use InMemoryStorageAdapter for an ephemeral store.", nameof(builder));
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _connectionString = builder.ToString();
        DatabasePath = Path.GetFullPath(builder.DataSource);
    }

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <summary>Uses a Microsoft.Data.Sqlite connection string (file databases only; pooling is forced on).</summary>
    public static SqliteStorageAdapter FromConnectionString(string connectionString, SqliteStorageOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new SqliteStorageAdapter(new SqliteConnectionStringBuilder(connectionString), options);
    }

    public async Task<JsonElement?> GetAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(collection);
        ArgumentNullException.ThrowIfNull(id);
        return await RunAsync(async connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT json FROM documents WHERE collection = $c AND id = $id";
            command.Parameters.AddWithValue("$c", collection);
            command.Parameters.AddWithValue("$id", id);
            var json = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
            return json is null ? (JsonElement?)null : Parse(json);
        }, write: false, cancellationToken).ConfigureAwait(false);
    }

    public Task SetAsync(string collection, string id, JsonElement document, CancellationToken cancellationToken = default) =>
        WriteBatchAsync([StorageWrite.Set(collection, id, document)], cancellationToken);

    public Task DeleteAsync(string collection, string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(collection);
        ArgumentNullException.ThrowIfNull(id);
        return WriteBatchAsync([StorageWrite.Delete(collection, id)], cancellationToken);
    }

    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string collection, FilterOptions? filter = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(collection);
        if (filter?.Limit is <= 0)
        {
            // Validate anyway so a bad field fails the same way with or without a limit.
            _ = BuildQuery(collection, filter);
            return [];
        }

        var (sql, parameters) = BuildQuery(collection, filter);
        return await RunAsync<IReadOnlyList<JsonElement>>(async connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            var result = new List<JsonElement>();
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result.Add(Parse(reader.GetString(0)));
            }

            return result;
        }, write: false, cancellationToken).ConfigureAwait(false);
    }

    public async Task WriteBatchAsync(IReadOnlyList<StorageWrite> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);

        // Validate and serialise everything first: an invalid write must leave the store untouched.
        var prepared = new List<(string Collection, string Id, string? Json)>(writes.Count);
        foreach (var write in writes)
        {
            ArgumentNullException.ThrowIfNull(write);
            ArgumentException.ThrowIfNullOrWhiteSpace(write.Collection);
            if (string.IsNullOrWhiteSpace(write.Id))
            {
                throw new ArgumentException($"A document in '{write.Collection}' needs a non-empty id.", nameof(writes));
            }

            if (write.Document is { ValueKind: JsonValueKind.Undefined })
            {
                throw new ArgumentException($"Document '{write.Id}' in '{write.Collection}' is empty (undefined JSON).", nameof(writes));
            }

            prepared.Add((write.Collection, write.Id, write.Document?.GetRawText()));
        }

        if (prepared.Count == 0)
        {
            return;
        }

        await RunAsync(async connection =>
        {
            using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            using var upsert = connection.CreateCommand();
            upsert.Transaction = transaction;
            upsert.CommandText = "INSERT INTO documents (collection, id, json) VALUES ($c, $id, $json) ON CONFLICT (collection, id) DO UPDATE SET json = excluded.json";
            var uc = upsert.Parameters.Add("$c", SqliteType.Text);
            var ui = upsert.Parameters.Add("$id", SqliteType.Text);
            var uj = upsert.Parameters.Add("$json", SqliteType.Text);
            using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM documents WHERE collection = $c AND id = $id";
            var dc = delete.Parameters.Add("$c", SqliteType.Text);
            var di = delete.Parameters.Add("$id", SqliteType.Text);

            foreach (var (collection, id, json) in prepared)
            {
                if (json is not null)
                {
                    uc.Value = collection;
                    ui.Value = id;
                    uj.Value = json;
                    await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    dc.Value = collection;
                    di.Value = id;
                    await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            // Commit is not cancellable: once every statement ran, the batch lands whole.
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            return true;
        }, write: true, cancellationToken).ConfigureAwait(false);
    }

    public async Task ClearAsync(string? collection = null, CancellationToken cancellationToken = default)
    {
        await RunAsync(async connection =>
        {
            using var command = connection.CreateCommand();
            if (collection is null)
            {
                command.CommandText = "DELETE FROM documents";
            }
            else
            {
                command.CommandText = "DELETE FROM documents WHERE collection = $c";
                command.Parameters.AddWithValue("$c", collection);
            }

            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, write: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refreshes the query planner's statistics (bounded <c>ANALYZE</c>). Without statistics SQLite prefers the primary
    /// key over the <c>threadId</c> expression index; run on dispose, and hosts may call it after bulk loads.
    /// </summary>
    public async Task OptimizeAsync(CancellationToken cancellationToken = default)
    {
        await RunAsync(async connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA analysis_limit = 1000; ANALYZE;";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, write: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Refreshes statistics (best effort), then closes every pooled connection so the file can be moved or deleted.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _disposed) == 1)
        {
            return;
        }

        if (_initialised)
        {
            try
            {
                await OptimizeAsync().ConfigureAwait(false);
            }
            catch (StorageException)
            {
                // Statistics are an optimisation; a busy or read-only file must not fail dispose.
            }
        }

        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // Wait for a running write so it is not cut off; later calls see the disposed flag.
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            using var connection = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(connection);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Builds the SELECT for a query (internal for tests of the SQL shape).</summary>
    internal static (string Sql, List<(string Name, object Value)> Parameters) BuildQuery(string collection, FilterOptions? filter)
    {
        var sql = new StringBuilder("SELECT json FROM documents WHERE collection = $c");
        var parameters = new List<(string, object)> { ("$c", collection) };
        var n = 0;
        if (filter?.Where is { } where)
        {
            foreach (var (field, value) in where)
            {
                DocumentFilter.ValidateFieldPath(field);
                DocumentFilter.ValidateValue(field, value);
                var path = PathLiteral(field);
                var type = $"json_type(json, {path})";
                var extract = $"json_extract(json, {path})";
                switch (value)
                {
                    case null:
                        sql.Append(CultureInfo.InvariantCulture, $" AND ({type} IS NULL OR {type} = 'null')");
                        break;
                    case bool b:
                        sql.Append(CultureInfo.InvariantCulture, $" AND {type} = '{(b ? "true" : "false")}'");
                        break;
                    case string s:
                        var ps = "$p" + (n++).ToString(CultureInfo.InvariantCulture);
                        sql.Append(CultureInfo.InvariantCulture, $" AND {type} = 'text' AND {extract} = {ps}");
                        parameters.Add((ps, s));
                        break;
                    default:
                        var pn = "$p" + (n++).ToString(CultureInfo.InvariantCulture);
                        sql.Append(CultureInfo.InvariantCulture, $" AND {type} IN ('integer', 'real') AND {extract} = {pn}");
                        parameters.Add((pn, NumberParameter(value)));
                        break;
                }
            }
        }

        sql.Append(" ORDER BY ");
        foreach (var sort in filter?.Sort ?? [])
        {
            DocumentFilter.ValidateFieldPath(sort.Field);
            var path = PathLiteral(sort.Field);
            var direction = sort.Descending ? "DESC" : "ASC";

            // Rank as in DocumentFilter.CompareValues, then the value: numbers numerically (booleans extract as 0/1),
            // strings by UTF-16 code units like string.CompareOrdinal (SQLite's BINARY compares UTF-8 bytes, which
            // orders U+E000..U+FFFF after supplementary characters), objects/arrays by their JSON text.
            sql.Append(CultureInfo.InvariantCulture, $"CASE json_type(json, {path}) WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'true' THEN 1 WHEN 'false' THEN 1 WHEN 'text' THEN 2 WHEN 'object' THEN 3 WHEN 'array' THEN 3 ELSE 0 END {direction}, ");
            sql.Append(CultureInfo.InvariantCulture, $"json_extract(json, {path}) COLLATE {OrdinalCollation} {direction}, ");
        }

        sql.Append(CultureInfo.InvariantCulture, $"id COLLATE {OrdinalCollation} ASC");
        var skip = Math.Max(0, filter?.Skip ?? 0);
        if (filter?.Limit is { } limit || skip > 0)
        {
            sql.Append(" LIMIT $limit OFFSET $skip");
            parameters.Add(("$limit", (long)(filter?.Limit is { } l ? Math.Max(0, l) : -1)));
            parameters.Add(("$skip", (long)skip));
        }

        return (sql.ToString(), parameters);
    }

    // Safe to inline: ValidateFieldPath allows only [A-Za-z0-9_.], so no quote can appear.
    private static string PathLiteral(string field) => "'$." + field + "'";

    #pragma warning disable CA1859 // returns long or double on purpose: SQLite compares integers exactly
    private static object NumberParameter(object value) => value switch
    {
        int or long or short or byte or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ulong u when u <= long.MaxValue => (long)u,
        decimal d when d == decimal.Truncate(d) && d >= long.MinValue && d <= long.MaxValue => (long)d,
        _ => Convert.ToDouble(value, CultureInfo.InvariantCulture),
    };
#pragma warning restore CA1859

    private static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static string CheckPath(string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        return Path.GetFullPath(databasePath);
    }

    private async Task<T> RunAsync<T>(Func<SqliteConnection, Task<T>> action, bool write, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        await EnsureInitialisedAsync(cancellationToken).ConfigureAwait(false);
        if (write)
        {
            await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            ObjectDisposedException.ThrowIf(write && Volatile.Read(ref _disposed) == 1, this);
            using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            return await action(connection).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw new StorageException($"SQLite storage '{Path.GetFileName(DatabasePath)}' failed: {ex.Message}", ex);
        }
        finally
        {
            if (write)
            {
                _writeGate.Release();
            }
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            connection.CreateCollation(OrdinalCollation, static (x, y) => string.CompareOrdinal(x, y));
            using var pragma = connection.CreateCommand();
            var busyMs = (long)Math.Max(0, _options.BusyTimeout.TotalMilliseconds);
            pragma.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {busyMs}; PRAGMA synchronous = {(_options.SynchronousFull ? "FULL" : "NORMAL")};");
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private async Task EnsureInitialisedAsync(CancellationToken cancellationToken)
    {
        if (_initialised)
        {
            return;
        }

        await _initGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialised)
            {
                return;
            }

            using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            command.CommandText = Schema;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _initialised = true;
        }
        catch (SqliteException ex)
        {
            throw new StorageException($"Could not open SQLite storage '{Path.GetFileName(DatabasePath)}': {ex.Message}", ex);
        }
        finally
        {
            _initGate.Release();
        }
    }
}
