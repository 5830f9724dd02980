using System.Text.Json;
using Art.Reasoning;

namespace Art.Hosting;

/// <summary>Per-turn choices of <see cref="ArtInstance.StreamChatAsync"/>.</summary>
public sealed record ChatTurnOptions
{
    /// <summary>Instance for this turn only; the thread's fallbacks still apply.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Model for this turn only.</summary>
    public string? Model { get; init; }

    public IReadOnlyList<ImageInput>? Images { get; init; }

    /// <summary>JSON schema the answer must follow.</summary>
    public JsonElement? ResponseSchema { get; init; }

    public ModelParameters? Parameters { get; init; }

    /// <summary>Id to abort the call with <see cref="IReasoningEngine.AbortAsync"/>; generated when absent.</summary>
    public string? RequestId { get; init; }
}
