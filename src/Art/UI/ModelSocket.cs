using Art.Observation;
using Art.Storage.Repositories;
using Microsoft.Extensions.Logging;

namespace Art.UI;

/// <summary>
/// Model-management events (routing, fallback, budgets, pulls, deletes) mapped from observations;
/// filter = a set of <see cref="ModelEventType"/>. History = the stored model-related observations, mapped.
/// </summary>
public sealed class ModelSocket(ObservationRepository? repository = null, ILogger<ModelSocket>? logger = null)
    : TypedSocket<ModelEvent, IReadOnlyCollection<ModelEventType>>(logger)
{
    private static readonly ObservationType[] ModelObservationTypes =
        Enum.GetValues<ObservationType>().Where(t => ModelEvent.FromObservationType(t) is not null).ToArray();

    public override async Task<IReadOnlyList<ModelEvent>> GetHistoryAsync(IReadOnlyCollection<ModelEventType>? filter = null, string? threadId = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        if (repository is null)
        {
            return [];
        }

        var types = ModelObservationTypes
            .Where(t => filter is not { Count: > 0 } || filter.Contains(ModelEvent.FromObservationType(t)!.Value))
            .ToArray();
        var observations = await repository.GetAsync(threadId, new ObservationQuery { Types = types, Limit = limit }, cancellationToken).ConfigureAwait(false);
        return observations.Select(o => ModelEvent.FromObservation(o)!).ToList();
    }

    protected override bool Matches(ModelEvent e, IReadOnlyCollection<ModelEventType> filter) =>
        filter.Count == 0 || filter.Contains(e.Type);
}
