namespace Art;

/// <summary>No provider instance and model could serve the request; says, per candidate, why it was rejected.</summary>
public sealed class RoutingException : ArtException
{
    public RoutingException(string message, IReadOnlyList<RejectedCandidate> rejected)
        : base(Compose(message, rejected))
    {
        Rejected = rejected;
    }

    public IReadOnlyList<RejectedCandidate> Rejected { get; }

    private static string Compose(string message, IReadOnlyList<RejectedCandidate> rejected)
    {
        if (rejected.Count == 0)
        {
            return message + " No candidates were configured.";
        }

        var lines = rejected.Select(r => $"  - {r.InstanceId}{(r.ModelId is null ? string.Empty : "/" + r.ModelId)}: {r.Reason}");
        return message + Environment.NewLine + string.Join(Environment.NewLine, lines);
    }
}

/// <summary>A candidate the router considered and did not take, with the reason in words.</summary>
public sealed record RejectedCandidate(string InstanceId, string? ModelId, string Reason);
