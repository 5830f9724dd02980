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
    /// Each block is bound on its own and strictly: an unknown key (a typo such as <c>maxConcurency</c>) or a value
    /// that does not convert (<c>"lots"</c> for a number) is an <see cref="ArtConfigurationException"/> naming the key
    /// path, instead of the binder's default of silently ignoring it (inside lists it even swallows conversion errors).
    /// </summary>
    public static ArtOptions Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        IConfiguration source = section.Exists() ? section : configuration;
        var options = new ArtOptions();
        var errors = new List<string>();
        BindBlock(source, "storage", options.Storage, errors);
        BindBlock(source, "defaults", options.Defaults, errors);
        if (options.Defaults.EnabledTools is null && source.GetSection("defaults:enabledTools") is { Value: not null } tools && !tools.GetChildren().Any())
        {
            // An empty JSON array reaches configuration as an empty value, which the binder skips: it means "no tools".
            options.Defaults.EnabledTools = [];
        }
        BindBlock(source, "engine", options.Engine, errors);
        BindBlock(source, "secrets", options.Secrets, errors);
        foreach (var child in Children(source, "providers"))
        {
            var provider = new ArtProviderOptions();
            BindBlock(child, null, provider, errors);
            options.Providers.Add(provider);
        }

        if (errors.Count > 0)
        {
            var colon = errors[0].IndexOf(": ", StringComparison.Ordinal);
            throw new ArtConfigurationException(
                "Invalid configuration: " + string.Join(Environment.NewLine + "  ", errors),
                colon > 0 ? errors[0][..colon] : null);
        }

        return options;
    }

    private static IEnumerable<IConfigurationSection> Children(IConfiguration source, string key)
    {
        var section = source.GetSection(key);
        // Numeric keys in order (0, 1, ..., 10), as the binder orders list items.
        return section.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue).ThenBy(c => c.Key, StringComparer.Ordinal);
    }

    private static void BindBlock(IConfiguration source, string? key, object target, List<string> errors)
    {
        var section = key is null ? source : source.GetSection(key);
        var path = section is IConfigurationSection s ? ToCamelPath(s.Path) : key ?? string.Empty;
        try
        {
            section.Bind(target, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the key (conversion) or the unknown keys and the type (unknown configuration).
            var message = (ex.InnerException is { } inner and not InvalidOperationException ? ex.Message + " " + inner.Message : ex.Message).ReplaceLineEndings(" ");
            errors.Add($"{StripSectionPrefix(path)}: {message}");
        }
    }

    private static string StripSectionPrefix(string path) =>
        path.StartsWith(SectionName + ":", StringComparison.OrdinalIgnoreCase) ? path[(SectionName.Length + 1)..] : path;

    private static string ToCamelPath(string path) =>
        string.Join(':', path.Split(':').Select(p => p.Length > 0 && char.IsUpper(p[0]) && p != SectionName ? char.ToLowerInvariant(p[0]) + p[1..] : p));

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
