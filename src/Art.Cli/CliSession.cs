using Art.Hosting;
using Art.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Art.Cli;

/// <summary>
/// One command's ART instance: configuration from <c>art.json</c> (current folder, else
/// <c>$XDG_CONFIG_HOME/art/art.json</c>, or <c>--config</c>) with <c>ART__…</c> environment overrides; with no
/// provider configured, one <c>ollama</c> instance at <c>OLLAMA_HOST</c> or <c>http://127.0.0.1:11434</c>; SQLite
/// at <c>$XDG_DATA_HOME/art/art.db</c> unless the file says otherwise. The key store is unlocked with
/// <c>ART_MASTER_PASSWORD</c> when it is set, so provider keys resolve from it.
/// </summary>
internal sealed class CliSession : IAsyncDisposable
{
    public const string MasterPasswordVariable = "ART_MASTER_PASSWORD";

    private readonly ILoggerFactory _loggerFactory;

    private CliSession(ArtInstance art, ArtOptions options, string? configFile, ILoggerFactory loggerFactory)
    {
        Art = art;
        Options = options;
        ConfigFile = configFile;
        _loggerFactory = loggerFactory;
    }

    public ArtInstance Art { get; }

    /// <summary>The configuration as bound (defaults applied), before validation.</summary>
    public ArtOptions Options { get; }

    public string? ConfigFile { get; }

    /// <summary>Reads and completes the configuration (defaults for providers and storage).</summary>
    public static (ArtOptions Options, string? File) LoadOptions(CliContext context)
    {
        var file = CliPaths.ResolveConfigFile(context.ConfigPath);
        var builder = new ConfigurationBuilder();
        if (file is not null)
        {
            builder.AddJsonFile(file, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables("ART__");
        IConfigurationRoot configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (InvalidDataException ex)
        {
            throw new CliUsageException($"{file} is not valid JSON: {ex.InnerException?.Message ?? ex.Message}");
        }
        catch (FormatException ex)
        {
            throw new CliUsageException($"{file} is not valid JSON: {ex.Message}");
        }

        var options = ArtOptions.Bind(configuration);
        if (options.Providers.Count == 0)
        {
            options.Providers.Add(new ArtProviderOptions { Id = "ollama", Provider = "ollama", BaseUrl = CliProviders.DefaultOllamaUrl() });
        }

        options.Storage ??= new ArtStorageOptions();
        if (string.Equals(options.Storage.Kind, ArtStorageOptions.Sqlite, StringComparison.OrdinalIgnoreCase))
        {
            var path = options.Storage.ExpandedPath();
            options.Storage.Path = path is null
                ? CliPaths.DefaultDatabase
                : file is not null && !Path.IsPathRooted(path) ? Path.GetFullPath(path, Path.GetDirectoryName(file)!) : Path.GetFullPath(path);
        }

        return (options, file);
    }

    /// <summary>
    /// Builds the instance. <paramref name="withProviders"/> false leaves provider instances out (verbs that only read
    /// storage, the catalog or the key store work even when a remote instance has no key yet).
    /// <paramref name="unlockSecrets"/>: unlock with <c>ART_MASTER_PASSWORD</c> when it is set.
    /// </summary>
    public static async Task<CliSession> OpenAsync(CliContext context, bool withProviders = true, bool unlockSecrets = true)
    {
        var (options, file) = LoadOptions(context);
        if (!withProviders)
        {
            options.Providers.Clear();
            options.Defaults = new ArtDefaultsOptions();
        }

        var loggerFactory = context.CreateLoggerFactory();
        var password = unlockSecrets ? Environment.GetEnvironmentVariable(MasterPasswordVariable) : null;
        try
        {
            var art = await ArtHost.CreateArtInstanceAsync(
                options,
                builder =>
                {
                    builder.AddSqlite(CliPaths.DefaultDatabase).UseLoggerFactory(loggerFactory).UseEncryptedSecrets(string.IsNullOrEmpty(password) ? null : password);
                    CliProviders.Register(builder);
                },
                context.Cancellation).ConfigureAwait(false);
            return new CliSession(art, options, file, loggerFactory);
        }
        catch (SecretsAuthenticationException)
        {
            loggerFactory.Dispose();
            throw new CliFailureException($"the master password in {MasterPasswordVariable} is wrong — fix it, or unset it to use keys from art.json and environment variables only");
        }
        catch
        {
            loggerFactory.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Art.DisposeAsync().ConfigureAwait(false);
        _loggerFactory.Dispose();
    }
}
