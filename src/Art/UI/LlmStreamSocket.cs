using Microsoft.Extensions.Logging;

namespace Art.UI;

/// <summary>Live model output (thoughts, answer, tool calls, usage); filter = a set of <see cref="LlmStreamEventKind"/>. No history.</summary>
public sealed class LlmStreamSocket(ILogger<LlmStreamSocket>? logger = null)
    : TypedSocket<LlmStreamEvent, IReadOnlyCollection<LlmStreamEventKind>>(logger)
{
    /// <summary>Notifies for the event's own thread.</summary>
    public void Notify(LlmStreamEvent e) => Notify(e, e?.ThreadId);

    protected override bool Matches(LlmStreamEvent e, IReadOnlyCollection<LlmStreamEventKind> filter) =>
        filter.Count == 0 || filter.Contains(e.Kind);
}
