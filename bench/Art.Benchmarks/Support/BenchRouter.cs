using Art.Models;

namespace Art.Benchmarks.Support;

/// <summary>Routes to the thread's instance (or the call's), falling back to the thread's FallbackInstances in order.</summary>
public sealed class BenchRouter(BenchInstanceManager instances) : IModelRouter
{
    public ValueTask<RouteDecision> SelectAsync(RoutingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var primaryId = request.InstanceId ?? request.Reasoning.InstanceId
            ?? throw new RoutingException("The thread names no instance.", []);
        var fallbacks = new List<RouteTarget>();
        if (request.AllowFallback && request.Reasoning.ModelPreferences?.FallbackInstances is { } ids)
        {
            foreach (var id in ids)
            {
                fallbacks.Add(Target(id, null));
            }
        }

        return ValueTask.FromResult(new RouteDecision
        {
            Primary = Target(primaryId, request.ModelId ?? request.Reasoning.Model),
            Fallbacks = fallbacks,
            Why = "thread instance",
        });
    }

    public void ReportOutcome(string instanceId, AttemptOutcome outcome, Art.ProviderErrorKind? kind = null)
    {
    }

    public bool IsAvailable(string instanceId) => true;

    private RouteTarget Target(string instanceId, string? model)
    {
        var config = instances.GetConfig(instanceId);
        return new RouteTarget(instanceId, config.Provider, model ?? config.Model ?? "default");
    }
}
