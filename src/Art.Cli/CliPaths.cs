namespace Art.Cli;

/// <summary>Where <c>art</c> looks for its configuration and keeps its data (XDG base directories).</summary>
internal static class CliPaths
{
    public const string ConfigFileName = "art.json";

    public static string Home => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary><c>$XDG_CONFIG_HOME</c>, else <c>~/.config</c>.</summary>
    public static string ConfigHome => NonEmpty(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME")) ?? Path.Join(Home, ".config");

    /// <summary><c>$XDG_DATA_HOME</c>, else <c>~/.local/share</c>.</summary>
    public static string DataHome => NonEmpty(Environment.GetEnvironmentVariable("XDG_DATA_HOME")) ?? Path.Join(Home, ".local", "share");

    /// <summary>The user's configuration file: <c>$XDG_CONFIG_HOME/art/art.json</c>.</summary>
    public static string UserConfigFile => Path.Join(ConfigHome, "art", ConfigFileName);

    /// <summary>The default database: <c>$XDG_DATA_HOME/art/art.db</c>.</summary>
    public static string DefaultDatabase => Path.Join(DataHome, "art", "art.db");

    /// <summary><c>--config</c> when given (it must exist), else <c>./art.json</c>, else the user's file, else none.</summary>
    public static string? ResolveConfigFile(string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            var full = Path.GetFullPath(explicitPath);
            return File.Exists(full) ? full : throw new CliUsageException($"config file '{explicitPath}' does not exist");
        }

        var local = Path.GetFullPath(ConfigFileName);
        if (File.Exists(local))
        {
            return local;
        }

        return File.Exists(UserConfigFile) ? UserConfigFile : null;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
