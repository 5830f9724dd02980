using Art.Observation;
using Art.Storage;
using Art.UI;
using Microsoft.Extensions.Logging;

namespace Art.Hosting;

/// <summary>
/// What exists when provider factories and tools are created during <see cref="ArtBuilder.BuildAsync"/>: factories
/// that observe (Ollama's pulls and deletes reach the ModelSocket) need the host's observation manager.
/// </summary>
public sealed record ArtBuildContext(
    ValidatedArtOptions Options,
    IStorageAdapter Storage,
    IObservationManager Observations,
    UISystem UI,
    ILoggerFactory LoggerFactory,
    TimeProvider TimeProvider);
