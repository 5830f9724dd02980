using Art.Context;
using Art.Reasoning;
using Art.Storage.Repositories;
using Microsoft.Extensions.Logging;

namespace Art.UI;

/// <summary>Conversation messages as they are stored; filter = a set of <see cref="MessageRole"/> (null or empty = all).</summary>
public sealed class ConversationSocket(ConversationRepository? repository = null, ILogger<ConversationSocket>? logger = null)
    : TypedSocket<ConversationMessage, IReadOnlyCollection<MessageRole>>(logger)
{
    /// <summary>History honours the role filter (upstream ignored it).</summary>
    public override async Task<IReadOnlyList<ConversationMessage>> GetHistoryAsync(IReadOnlyCollection<MessageRole>? filter = null, string? threadId = null, int? limit = null, CancellationToken cancellationToken = default) =>
        repository is null
            ? []
            : await repository.GetAsync(threadId, new MessageQuery { Roles = filter, Limit = limit }, cancellationToken).ConfigureAwait(false);

    protected override bool Matches(ConversationMessage e, IReadOnlyCollection<MessageRole> filter) =>
        filter.Count == 0 || filter.Contains(e.Role);
}
