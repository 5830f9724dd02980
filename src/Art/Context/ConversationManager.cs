using Art.Storage.Repositories;
using Art.UI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Context;

/// <summary>
/// Conversation history: persists messages (all of a call in one batch), then tells the conversation socket.
/// A failing UI never fails the add: the messages are already stored.
/// </summary>
public sealed class ConversationManager : IConversationManager
{
    private readonly ConversationRepository _repository;
    private readonly ConversationSocket? _socket;
    private readonly ILogger _logger;

    public ConversationManager(ConversationRepository repository, ConversationSocket? socket = null, ILogger<ConversationManager>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(repository);
        _repository = repository;
        _socket = socket;
        _logger = logger ?? NullLogger<ConversationManager>.Instance;
    }

    public async Task AddMessagesAsync(string threadId, IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return;
        }

        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            if (!string.Equals(message.ThreadId, threadId, StringComparison.Ordinal))
            {
                // Upstream stored such messages with a warning; a message filed under the wrong thread is a caller bug.
                throw new ArgumentException($"Message '{message.MessageId}' belongs to thread '{message.ThreadId}', not '{threadId}'.", nameof(messages));
            }
        }

        await _repository.AddAsync(messages, cancellationToken).ConfigureAwait(false);
        if (_socket is null)
        {
            return;
        }

        foreach (var message in messages)
        {
            try
            {
                _socket.Notify(message, threadId);
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Conversation socket notification failed for thread {ThreadId}", threadId);
            }
        }
    }

    public Task<IReadOnlyList<ConversationMessage>> GetMessagesAsync(string threadId, MessageQuery? query = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        return _repository.GetAsync(threadId, query, cancellationToken);
    }
}
