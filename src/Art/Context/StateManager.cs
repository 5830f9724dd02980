using Art.Storage.Repositories;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Context;

/// <summary>
/// Thread configuration and agent state over <see cref="StateRepository"/>. Threads are created by the application
/// (<see cref="SetThreadConfigAsync"/>); loading an unknown thread fails with <see cref="ThreadNotFoundException"/>.
/// </summary>
public sealed class StateManager : IStateManager
{
    private readonly StateRepository _repository;
    private readonly Func<string, string?>? _legacyProviderResolver;
    private readonly ILogger _logger;

    /// <param name="repository">Where threads are stored.</param>
    /// <param name="legacyProviderResolver">
    /// Maps a legacy (v0.2.4) <see cref="ThreadReasoningConfig.Provider"/> type to an instance id (hosting passes
    /// <c>IProviderInstanceManager.FindFirstInstanceOfProvider</c>); null when no instance of the type exists.
    /// Applied on load when <see cref="ThreadReasoningConfig.InstanceId"/> is null and a provider is set.
    /// </param>
    /// <param name="logger">Logs tool checks that fail to load.</param>
    public StateManager(StateRepository repository, Func<string, string?>? legacyProviderResolver = null, ILogger<StateManager>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(repository);
        _repository = repository;
        _legacyProviderResolver = legacyProviderResolver;
        _logger = logger ?? NullLogger<StateManager>.Instance;
    }

    public async Task<ThreadContext> LoadThreadContextAsync(string threadId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        var context = await _repository.GetAsync(threadId, cancellationToken).ConfigureAwait(false)
            ?? throw new ThreadNotFoundException(threadId);
        return context with { Config = ResolveLegacyProvider(threadId, context.Config) };
    }

    public async Task<ThreadConfig?> GetThreadConfigAsync(string threadId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        var context = await _repository.GetAsync(threadId, cancellationToken).ConfigureAwait(false);
        return context is null ? null : ResolveLegacyProvider(threadId, context.Config);
    }

    public async Task SetThreadConfigAsync(string threadId, ThreadConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(config.Reasoning);
        var existing = await _repository.GetAsync(threadId, cancellationToken).ConfigureAwait(false);
        await _repository.SetAsync(threadId, new ThreadContext(config, existing?.State), cancellationToken).ConfigureAwait(false);
    }

    public async Task UpdateThreadReasoningPreferencesAsync(string threadId, ModelPreferences? modelPreferences = null, CostPreferences? costPreferences = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);

        // Read the stored (unresolved) config so a legacy Provider stays as the user wrote it.
        var existing = await _repository.GetAsync(threadId, cancellationToken).ConfigureAwait(false)
            ?? throw new ThreadNotFoundException(threadId);
        var reasoning = existing.Config.Reasoning with
        {
            ModelPreferences = modelPreferences ?? existing.Config.Reasoning.ModelPreferences,
            CostPreferences = costPreferences ?? existing.Config.Reasoning.CostPreferences,
        };
        var updated = existing with { Config = existing.Config with { Reasoning = reasoning } };
        await _repository.SetAsync(threadId, updated, cancellationToken).ConfigureAwait(false);
    }

    public async Task<AgentState?> GetAgentStateAsync(string threadId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        var context = await _repository.GetAsync(threadId, cancellationToken).ConfigureAwait(false);
        return context?.State;
    }

    public async Task SetAgentStateAsync(string threadId, AgentState state, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        ArgumentNullException.ThrowIfNull(state);
        var existing = await _repository.GetAsync(threadId, cancellationToken).ConfigureAwait(false)
            ?? throw new ThreadNotFoundException(threadId);
        await _repository.SetAsync(threadId, existing with { State = state }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> IsToolEnabledAsync(string threadId, string toolName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        ArgumentException.ThrowIfNullOrWhiteSpace(toolName);
        var context = await _repository.GetAsync(threadId, cancellationToken).ConfigureAwait(false);
        if (context is null)
        {
            _logger.LogDebug("Tool check for unknown thread {ThreadId}: disabled", threadId);
            return false;
        }

        return context.Config.EnabledTools.Contains(toolName, StringComparer.Ordinal);
    }

    public Task<IReadOnlyList<string>> ListThreadIdsAsync(CancellationToken cancellationToken = default) =>
        _repository.ListThreadIdsAsync(cancellationToken);

    private ThreadConfig ResolveLegacyProvider(string threadId, ThreadConfig config)
    {
        var reasoning = config.Reasoning;
        if (reasoning.InstanceId is not null || string.IsNullOrWhiteSpace(reasoning.Provider))
        {
            return config;
        }

        var instanceId = _legacyProviderResolver?.Invoke(reasoning.Provider);
        if (string.IsNullOrWhiteSpace(instanceId))
        {
            throw new ArtConfigurationException(
                $"Thread '{threadId}' names legacy provider '{reasoning.Provider}' but no configured instance has that provider type. " +
                "Set Reasoning.InstanceId to a configured instance, or configure an instance of that provider.",
                entry: $"threads.{threadId}.reasoning.provider");
        }

        return config with { Reasoning = reasoning with { InstanceId = instanceId } };
    }
}
