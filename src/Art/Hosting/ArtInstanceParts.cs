using Art.Agents;
using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Secrets;
using Art.Storage;
using Art.Tools;
using Art.UI;

namespace Art.Hosting;

/// <summary>The components <see cref="ArtBuilder"/> hands to <see cref="ArtInstance"/>.</summary>
internal sealed record ArtInstanceParts
{
    public required ValidatedArtOptions Options { get; init; }

    public required IStorageAdapter Storage { get; init; }

    public required IStateManager StateManager { get; init; }

    public required IConversationManager ConversationManager { get; init; }

    public required IObservationManager ObservationManager { get; init; }

    public required UISystem UI { get; init; }

    public IEncryptedSecretsRepository? Secrets { get; init; }

    public required IModelRegistry ModelRegistry { get; init; }

    public required IProviderInstanceManager ProviderInstances { get; init; }

    public required InstanceHealthTracker HealthTracker { get; init; }

    public required IModelRouter Router { get; init; }

    public required ICostTracker CostTracker { get; init; }

    public required IReasoningEngine ReasoningEngine { get; init; }

    public required ToolRegistry ToolRegistry { get; init; }

    public required ToolSystem ToolSystem { get; init; }

    public required IAgentCore Agent { get; init; }

    public required TimeProvider TimeProvider { get; init; }

    public required IReadOnlyList<IAsyncDisposable> Owned { get; init; }
}
