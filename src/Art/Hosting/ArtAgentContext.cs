using Art.Context;
using Art.Reasoning;
using Art.Tools;

namespace Art.Hosting;

/// <summary>What a custom agent (<see cref="ArtBuilder.UseAgent"/>) is built from.</summary>
public sealed record ArtAgentContext(
    ArtBuildContext Build,
    IStateManager StateManager,
    IConversationManager ConversationManager,
    ToolRegistry ToolRegistry,
    ToolSystem ToolSystem,
    IReasoningEngine ReasoningEngine);
