namespace Art.Models;

/// <summary>One place a request can go: a configured instance and the model to ask for there.</summary>
public sealed record RouteTarget(string InstanceId, string Provider, string ModelId)
{
    /// <summary>What the registry knows about the model, if anything.</summary>
    public ModelInfo? Model { get; init; }

    public override string ToString() => $"{InstanceId}/{ModelId}";
}

/// <summary>
/// The router's answer: where to go first, where to fall back in order, and why, in words a user can read.
/// </summary>
public sealed record RouteDecision
{
    public required RouteTarget Primary { get; init; }

    public IReadOnlyList<RouteTarget> Fallbacks { get; init; } = [];

    /// <summary>Why the primary was chosen (which step of the routing order decided).</summary>
    public required string Why { get; init; }

    /// <summary>Candidates rejected on the way, with reasons.</summary>
    public IReadOnlyList<RejectedCandidate> Rejected { get; init; } = [];
}
