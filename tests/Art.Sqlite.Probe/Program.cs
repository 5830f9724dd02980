using System.Text.Json;
using Art.Sqlite;
using Art.Storage;

// Usage: Art.Sqlite.Probe <dbpath> <collection>
// Prints the collection's documents (sorted by id) as one JSON array on stdout; exit code 2 on bad arguments.
if (args.Length != 2)
{
    await Console.Error.WriteLineAsync("usage: Art.Sqlite.Probe <dbpath> <collection>").ConfigureAwait(false);
    return 2;
}

var storage = new SqliteStorageAdapter(args[0]);
await using (storage.ConfigureAwait(false))
{
    var documents = await storage.QueryAsync(args[1]).ConfigureAwait(false);
    Console.Out.Write(JsonSerializer.Serialize(documents));
    return 0;
}
