namespace Art.Hosting;

/// <summary><c>storage</c>: which <see cref="Storage.IStorageAdapter"/> the host uses.</summary>
public sealed class ArtStorageOptions
{
    /// <summary>Kind <c>memory</c>: nothing survives the process (tests, demos).</summary>
    public const string Memory = "memory";

    /// <summary>Kind <c>sqlite</c>: one file, WAL mode (needs the Art.Sqlite package: <c>builder.AddSqlite()</c>).</summary>
    public const string Sqlite = "sqlite";

    /// <summary><c>sqlite</c> (default) or <c>memory</c>, or a kind a package registered with <c>AddStorageKind</c>.</summary>
    public string Kind { get; set; } = Sqlite;

    /// <summary>Database file for <c>sqlite</c>; <c>~</c> expands to the home folder. Hosts choose a default when empty.</summary>
    public string? Path { get; set; }

    internal void Validate(string path, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(Kind))
        {
            errors.Add($"{path}:kind: must be 'sqlite' or 'memory'.");
        }
    }

    /// <summary>The file path with a leading <c>~</c> expanded, or null.</summary>
    public string? ExpandedPath()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            return null;
        }

        if (Path == "~" || Path.StartsWith("~/", StringComparison.Ordinal))
        {
            return System.IO.Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), Path.Length > 2 ? Path[2..] : string.Empty);
        }

        return Path;
    }
}
