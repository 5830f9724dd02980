using Art.Context;
using Art.Reasoning;

namespace Art.Hosting;

/// <summary>The checked configuration, in contract types, as <see cref="ArtOptions.Validate"/> returns it.</summary>
public sealed record ValidatedArtOptions(
    ArtStorageOptions Storage,
    IReadOnlyList<ProviderInstanceConfig> Providers,
    ThreadConfig Defaults,
    ResolvedEngineOptions Engine,
    int SecretsIterations);
