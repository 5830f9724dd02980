using Art.Hosting;

namespace Art.Sqlite;

/// <summary>Makes <c>storage:kind = "sqlite"</c> available to an <see cref="ArtBuilder"/>.</summary>
public static class ArtBuilderExtensions
{
    /// <summary>
    /// Registers storage kind <c>sqlite</c>: <c>storage:path</c> (a leading <c>~</c> expands to the home folder), else
    /// <paramref name="defaultPath"/>; without either the build fails naming <c>storage:path</c>.
    /// </summary>
    public static ArtBuilder AddSqlite(this ArtBuilder builder, string? defaultPath = null, SqliteStorageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStorageKind(ArtStorageOptions.Sqlite, storage =>
        {
            var path = storage.ExpandedPath() ?? defaultPath
                ?? throw new ArtConfigurationException("Invalid configuration: storage:path: is required for sqlite storage (the database file).", "storage:path");
            return new SqliteStorageAdapter(path, options);
        });
    }
}
