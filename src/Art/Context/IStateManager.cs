namespace Art.Context;

/// <summary>Thread configuration and agent state.</summary>
public interface IStateManager
{
    /// <summary>Loads config and state; throws <see cref="ThreadNotFoundException"/> when the thread has no config.</summary>
    Task<ThreadContext> LoadThreadContextAsync(string threadId, CancellationToken cancellationToken = default);

    /// <summary>The thread's config, or null when the thread does not exist.</summary>
    Task<ThreadConfig?> GetThreadConfigAsync(string threadId, CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces the thread's config (state is kept).</summary>
    Task SetThreadConfigAsync(string threadId, ThreadConfig config, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces only the preference objects given (non-null arguments); everything else in the config stays.
    /// Throws <see cref="ThreadNotFoundException"/> when the thread does not exist.
    /// </summary>
    Task UpdateThreadReasoningPreferencesAsync(string threadId, ModelPreferences? modelPreferences = null, CostPreferences? costPreferences = null, CancellationToken cancellationToken = default);

    Task<AgentState?> GetAgentStateAsync(string threadId, CancellationToken cancellationToken = default);

    /// <summary>Saves agent state; the thread must exist.</summary>
    Task SetAgentStateAsync(string threadId, AgentState state, CancellationToken cancellationToken = default);

    /// <summary>Whether a tool is enabled for the thread (false for unknown threads).</summary>
    Task<bool> IsToolEnabledAsync(string threadId, string toolName, CancellationToken cancellationToken = default);

    /// <summary>Ids of all threads that have a config.</summary>
    Task<IReadOnlyList<string>> ListThreadIdsAsync(CancellationToken cancellationToken = default);
}

/// <summary>Conversation history of threads.</summary>
public interface IConversationManager
{
    /// <summary>Persists messages, then notifies the conversation socket.</summary>
    Task AddMessagesAsync(string threadId, IReadOnlyList<ConversationMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>History, oldest first.</summary>
    Task<IReadOnlyList<ConversationMessage>> GetMessagesAsync(string threadId, MessageQuery? query = null, CancellationToken cancellationToken = default);
}
