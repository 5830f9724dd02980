using Microsoft.Extensions.Configuration;

namespace Art.Hosting;

/// <summary>
/// Everything an ART host is configured with: the <c>art.json</c> layout (see <c>docs/configuration.md</c>).
/// Bound with Microsoft.Extensions.Configuration so JSON files, <c>ART__…</c> environment variables and any other
/// configuration source compose; the bindable shapes here are plain mutable classes (configuration binding needs
/// setters) and <see cref="Validate"/> turns them into the immutable contract records, naming the key path of every
/// problem (<c>providers:1:baseUrl</c>) so a user can find it in the file.
/// </summary>
public sealed class ArtOptions
{
    /// <summary>Name of the configuration section <see cref="Bind(IConfiguration)"/> prefers when present.</summary>
    public const string SectionName = "Art";

    /// <summary>Where threads, messages, observations, the cost ledger, the model registry and the key store live.</summary>
    public ArtStorageOptions Storage { get; set; } = new();

    /// <summary>The provider instances, in order (order breaks routing ties).</summary>
    public IList<ArtProviderOptions> Providers { get; set; } = new List<ArtProviderOptions>();

    /// <summary>What every new thread starts with.</summary>
    public ArtDefaultsOptions Defaults { get; set; } = new();

    /// <summary>Retries, timeouts, fallbacks, queueing and circuit breaking.</summary>
    public ArtEngineOptions Engine { get; set; } = new();

    /// <summary>The encrypted key store.</summary>
    public ArtSecretsOptions Secrets { get; set; } = new();

    /// <summary>
    /// Binds the <c>Art</c> section when the configuration has one (an app's <c>appsettings.json</c>), else the root
    /// (a stand-alone <c>art.json</c>, and <c>ART__…</c> variables added with the <c>ART__</c> prefix).
    /// Binding errors (a non-number where a number belongs) become <see cref="ArtConfigurationException"/>.
    /// </summary>
    public static ArtOptions Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        IConfiguration source = section.Exists() ? section : configuration;
        var options = new ArtOptions();
        try
        {
            source.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // The binder's message names the key and the type it could not convert to.
            throw new ArtConfigurationException("Invalid configuration: " + (ex.InnerException?.Message ?? ex.Message), innerException: ex);
        }

        return options;
    }

    /// <summary>
    /// Checks everything and converts it to the contract types; throws one <see cref="ArtConfigurationException"/>
    /// listing every problem with its key path.
    /// </summary>
    public ValidatedArtOptions Validate()
    {
        var errors = new List<string>();
        var storage = Storage ?? new ArtStorageOptions();
        storage.Validate("storage", errors);

        var providers = new List<Reasoning.ProviderInstanceConfig>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var list = Providers ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            var path = $"providers:{i}";
            var config = list[i]?.ToConfig(path, errors);
            if (config is null)
            {
                continue;
            }

            if (ids.TryGetValue(config.Id, out var first))
            {
                errors.Add($"{path}:id: duplicate instance id '{config.Id}' (also providers:{first}:id); ids must be unique.");
                continue;
            }

            ids[config.Id] = i;
            providers.Add(config);
        }

        var thread = (Defaults ?? new ArtDefaultsOptions()).ToThreadConfig("defaults", [.. providers.Select(p => p.Id)], errors);
        var engine = (Engine ?? new ArtEngineOptions()).Validate("engine", errors);
        var secrets = Secrets ?? new ArtSecretsOptions();
        secrets.Validate("secrets", errors);

        if (errors.Count > 0)
        {
            var colon = errors[0].IndexOf(": ", StringComparison.Ordinal);
            throw new ArtConfigurationException(
                errors.Count == 1 ? "Invalid configuration: " + errors[0] : "Invalid configuration:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", errors),
                colon > 0 ? errors[0][..colon] : null);
        }

        return new ValidatedArtOptions(storage, providers, thread!, engine, secrets.Iterations ?? Art.Secrets.EncryptedSecretsOptions.MinimumIterations);
    }
}
