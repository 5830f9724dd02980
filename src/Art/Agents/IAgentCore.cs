namespace Art.Agents;

/// <summary>
/// An agent: turns one user query on a thread into one answer, using the thread's configuration, history and tools.
/// </summary>
public interface IAgentCore
{
    /// <summary>
    /// Runs one turn. Stage failures (planning, tools, synthesis) do not throw: they come back as
    /// <see cref="AgentStatus.Partial"/> or <see cref="AgentStatus.Error"/> with the reason. Throws only for invalid
    /// arguments (<see cref="ArgumentException"/>), an unknown thread (<see cref="ThreadNotFoundException"/>) and
    /// cancellation (<see cref="OperationCanceledException"/>).
    /// </summary>
    Task<AgentFinalResponse> ProcessAsync(AgentProps props, CancellationToken cancellationToken = default);
}
