using System.Diagnostics;
using System.Text.Json;
using Art.Sqlite;
using Art.Storage;
using Art.Tests.Storage;

namespace Art.Tests.Sqlite;

public sealed class SqliteStorageAdapterTests : StorageAdapterContractTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "art-sqlite-" + Guid.NewGuid().ToString("N"));

    private string DbPath => Path.Combine(_dir, "nested", "art.db");

    protected override IStorageAdapter CreateAdapter() => new SqliteStorageAdapter(DbPath);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }

    [Fact]
    public async Task Ctor_MissingDirectory_IsCreated_AndWalIsOn()
    {
        await Storage.SetAsync("c", "1", Doc("""{"id":"1"}"""), TestContext.Current.CancellationToken);
        Assert.True(File.Exists(DbPath));
        Assert.True(File.Exists(DbPath + "-wal"), "WAL journal file expected next to the database while open");
    }

    [Fact]
    public async Task Reopen_InNewProcess_HoldsEveryDocument()
    {
        var ct = TestContext.Current.CancellationToken;
        var expected = new List<string>();
        await Storage.WriteBatchAsync(Enumerable.Range(0, 50).Select(i =>
        {
            var json = $$"""{"id":"m{{i:D3}}","threadId":"t1","text":"héllo {{i}}","n":{{i}}}""";
            expected.Add(json);
            return StorageWrite.Set("messages", $"m{i:D3}", Doc(json));
        }).ToList(), ct);
        await Storage.SetAsync("other", "x", Doc("""{"id":"x"}"""), ct);
        await Storage.DisposeAsync(); // release the file like a process exit would

        var probe = Path.Combine(AppContext.BaseDirectory, "Art.Sqlite.Probe.dll");
        Assert.True(File.Exists(probe), $"probe not built at {probe}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(probe);
        start.ArgumentList.Add(DbPath);
        start.ArgumentList.Add("messages");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"probe failed: {await stderr}");
        Assert.NotEqual(Environment.ProcessId, process.Id);

        var docs = JsonDocument.Parse(await stdout).RootElement.EnumerateArray().Select(e => e.GetRawText()).ToList();
        Assert.Equal(expected.Select(Normalise), docs.Select(Normalise));
    }

    [Fact]
    public async Task Dispose_ClosesConnections_FileCanBeDeleted()
    {
        await Storage.SetAsync("c", "1", Doc("""{"id":"1"}"""), TestContext.Current.CancellationToken);
        await Storage.DisposeAsync();
        File.Delete(DbPath);
        Assert.False(File.Exists(DbPath));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Storage.GetAsync("c", "1", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TwoAdapters_SameFile_ConcurrentWriters_LoseNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var second = new SqliteStorageAdapter(DbPath, new SqliteStorageOptions { BusyTimeout = TimeSpan.FromSeconds(30) });
        await Task.WhenAll(new[] { Storage, second }.SelectMany((s, k) => Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                await s.SetAsync("c", $"{k}-{w}-{i}", Doc("{}"), ct);
            }
        }))));
        Assert.Equal(2 * 4 * 40, (await Storage.QueryAsync("c", null, ct)).Count);
    }

    [Fact]
    public async Task FromConnectionString_FileDatabase_SharesDataWithPathCtor_MemoryRejected()
    {
        var ct = TestContext.Current.CancellationToken;
        await Storage.SetAsync("c", "1", Doc("""{"id":"1"}"""), ct);
        await using var viaCs = SqliteStorageAdapter.FromConnectionString($"Data Source={DbPath}");
        Assert.NotNull(await viaCs.GetAsync("c", "1", ct));
        Assert.Throws<ArgumentException>(() => SqliteStorageAdapter.FromConnectionString("Data Source=:memory:"));
    }

    [Fact]
    public void BuildQuery_PutsValuesInParameters_NotInSql()
    {
        var (sql, parameters) = SqliteStorageAdapter.BuildQuery("c", new FilterOptions
        {
            Where = new Dictionary<string, object?> { ["threadId"] = "x' OR '1'='1" },
            Sort = [SortField.Desc("sortKey")],
            Limit = 3,
        });
        Assert.DoesNotContain("OR '1'", sql, StringComparison.Ordinal);
        Assert.Contains("json_extract(json, '$.threadId')", sql, StringComparison.Ordinal);
        Assert.Contains(parameters, p => Equals(p.Value, "x' OR '1'='1"));
    }

    [Fact]
    public async Task Query_ByThreadId_UsesExpressionIndex()
    {
        var ct = TestContext.Current.CancellationToken;
        await Storage.WriteBatchAsync(Enumerable.Range(0, 2000)
            .Select(i => StorageWrite.Set("conversations", $"m{i}", Doc($$"""{"id":"m{{i}}","threadId":"t{{i % 100}}"}""")))
            .ToList(), ct);
        await ((SqliteStorageAdapter)Storage).OptimizeAsync(ct);
        var (sql, parameters) = SqliteStorageAdapter.BuildQuery("conversations", FilterOptions.WhereEquals("threadId", "t"));
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath}");
        await connection.OpenAsync(ct);
        connection.CreateCollation("ART_ORDINAL", (x, y) => string.CompareOrdinal(x, y));
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var plan = new List<string>();
        using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.True(plan.Any(p => p.Contains("ix_documents_thread", StringComparison.Ordinal)), string.Join(" | ", plan) + " :: " + sql);
        Microsoft.Data.Sqlite.SqliteConnection.ClearPool(connection);
    }

    private static string Normalise(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);
}
