using Art.Observation;
using Art.Storage.Repositories;
using Microsoft.Extensions.Logging;

namespace Art.UI;

/// <summary>Observations as they are recorded; filter = a set of <see cref="ObservationType"/> (null or empty = all).</summary>
public sealed class ObservationSocket(ObservationRepository? repository = null, ILogger<ObservationSocket>? logger = null)
    : TypedSocket<Art.Observation.Observation, IReadOnlyCollection<ObservationType>>(logger)
{
    public override async Task<IReadOnlyList<Art.Observation.Observation>> GetHistoryAsync(IReadOnlyCollection<ObservationType>? filter = null, string? threadId = null, int? limit = null, CancellationToken cancellationToken = default) =>
        repository is null
            ? []
            : await repository.GetAsync(threadId, new ObservationQuery { Types = filter, Limit = limit }, cancellationToken).ConfigureAwait(false);

    protected override bool Matches(Art.Observation.Observation e, IReadOnlyCollection<ObservationType> filter) =>
        filter.Count == 0 || filter.Contains(e.Type);
}
