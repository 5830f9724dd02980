using System.Runtime.CompilerServices;
using System.Text;
using Art.Agents;
using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Secrets;
using Art.Storage;
using Art.Tools;
using Art.UI;

namespace Art.Hosting;

/// <summary>
/// A running ART: every component wired together, created by <see cref="ArtBuilder.BuildAsync"/> (or
/// <see cref="ArtHost.CreateArtInstanceAsync"/>, or <c>services.AddArt(...)</c>). Disposing it releases the provider
/// adapters, locks the key store and closes storage it owns.
/// </summary>
public sealed class ArtInstance : IAsyncDisposable
{
    private readonly ArtInstanceParts _parts;
    private int _disposed;

    internal ArtInstance(ArtInstanceParts parts) => _parts = parts;

    /// <summary>The validated configuration the instance was built from.</summary>
    public ValidatedArtOptions Options => _parts.Options;

    /// <summary>The <see cref="ThreadConfig"/> a thread gets on first use (<c>defaults</c> in art.json).</summary>
    public ThreadConfig DefaultThreadConfig => _parts.Options.Defaults;

    public IStorageAdapter Storage => _parts.Storage;

    public IStateManager StateManager => _parts.StateManager;

    public IConversationManager ConversationManager => _parts.ConversationManager;

    public IObservationManager ObservationManager => _parts.ObservationManager;

    public UISystem UISystem => _parts.UI;

    /// <summary>The key store, when the host was given one.</summary>
    public IEncryptedSecretsRepository? Secrets => _parts.Secrets;

    public IModelRegistry ModelRegistry => _parts.ModelRegistry;

    public IProviderInstanceManager ProviderInstanceManager => _parts.ProviderInstances;

    public InstanceHealthTracker HealthTracker => _parts.HealthTracker;

    public IModelRouter Router => _parts.Router;

    public ICostTracker CostTracker => _parts.CostTracker;

    public IReasoningEngine ReasoningEngine => _parts.ReasoningEngine;

    public ToolRegistry ToolRegistry => _parts.ToolRegistry;

    public ToolSystem ToolSystem => _parts.ToolSystem;

    /// <summary>The agent (<see cref="PesAgent"/> unless the builder was given another).</summary>
    public IAgentCore Agent => _parts.Agent;

    /// <summary>
    /// One agent turn (plan, tools, synthesis) on a thread that is created from the defaults when it does not exist
    /// yet. Stage failures come back as <see cref="AgentStatus.Error"/>/<see cref="AgentStatus.Partial"/>; only invalid
    /// arguments and cancellation throw. Stream it with <c>art.Agent.StreamAsync(props)</c> after
    /// <see cref="GetOrCreateThreadAsync"/>, or pass callbacks in <see cref="AgentProps.Options"/>.
    /// </summary>
    public async Task<AgentFinalResponse> ProcessAsync(AgentProps props, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (props.Options?.InstanceId is { } requested && !ProviderInstanceManager.TryGetAdapter(requested, out _))
        {
            throw UnusableInstance(requested);
        }

        var config = await GetOrCreateThreadAsync(props.ThreadId, cancellationToken).ConfigureAwait(false);
        await EnsureModelKnownAsync(props.Options?.InstanceId ?? config.Reasoning.InstanceId, props.Options?.Model ?? (props.Options?.InstanceId is null ? config.Reasoning.Model : null), cancellationToken).ConfigureAwait(false);
        return await Agent.ProcessAsync(props, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Shorthand for <see cref="ProcessAsync(AgentProps, CancellationToken)"/> with a query on a thread.</summary>
    public Task<AgentFinalResponse> ProcessAsync(string threadId, string query, CancellationToken cancellationToken = default) =>
        ProcessAsync(new AgentProps { ThreadId = threadId, Query = query }, cancellationToken);

    /// <summary>
    /// The thread's configuration; a thread that does not exist yet is created from <see cref="DefaultThreadConfig"/>
    /// (so routing, fallbacks and budgets apply to threads an app never configured).
    /// </summary>
    public async Task<ThreadConfig> GetOrCreateThreadAsync(string threadId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var existing = await StateManager.GetThreadConfigAsync(threadId, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return existing;
        }

        if (DefaultThreadConfig.Reasoning.InstanceId is null && DefaultThreadConfig.Reasoning.Provider is null)
        {
            throw new ArtConfigurationException(
                "No provider instance is configured: add one under 'providers' (and optionally defaults:instanceId).",
                "providers");
        }

        await StateManager.SetThreadConfigAsync(threadId, DefaultThreadConfig, cancellationToken).ConfigureAwait(false);
        return DefaultThreadConfig;
    }

    /// <summary>
    /// One chat turn on a thread without the agent: the thread is created from the defaults if needed, the user's
    /// message is persisted first, the thread's system prompt and its last <see cref="ThreadConfig.HistoryLimit"/>
    /// messages go with it, the answer streams as the engine yields it, and the assistant's answer is persisted when
    /// the stream completes (a cancelled or failed turn leaves only the user's message).
    /// </summary>
    public async IAsyncEnumerable<StreamEvent> StreamChatAsync(
        string threadId,
        string message,
        ChatTurnOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        ArgumentNullException.ThrowIfNull(message);
        options ??= new ChatTurnOptions();
        if (options.InstanceId is { } requested && !ProviderInstanceManager.TryGetAdapter(requested, out _))
        {
            // The router would treat an unknown instance as a rejected candidate and answer from another one; a typo
            // in an explicit choice, or an instance without its API key, should fail instead.
            throw UnusableInstance(requested);
        }

        var config = await GetOrCreateThreadAsync(threadId, cancellationToken).ConfigureAwait(false);
        var history = await ConversationManager.GetMessagesAsync(
            threadId,
            new MessageQuery { Limit = config.HistoryLimit > 0 ? config.HistoryLimit : null, Roles = [MessageRole.User, MessageRole.Assistant] },
            cancellationToken).ConfigureAwait(false);

        var messages = new List<ArtMessage>(history.Count + 2);
        if (config.SystemPrompt is { Length: > 0 } system)
        {
            messages.Add(ArtMessage.System(system));
        }

        foreach (var previous in history)
        {
            messages.Add(previous.Role == MessageRole.User ? ArtMessage.User(previous.Content) : ArtMessage.Assistant(previous.Content));
        }

        messages.Add(ArtMessage.User(message));
        var now = _parts.TimeProvider.GetUtcNow();
        await ConversationManager.AddMessagesAsync(
            threadId,
            [new ConversationMessage { MessageId = Guid.NewGuid().ToString("N"), ThreadId = threadId, Role = MessageRole.User, Content = message, Timestamp = now }],
            cancellationToken).ConfigureAwait(false);

        await EnsureModelKnownAsync(options.InstanceId ?? config.Reasoning.InstanceId, options.Model ?? (options.InstanceId is null ? config.Reasoning.Model : null), cancellationToken).ConfigureAwait(false);
        var callOptions = new CallOptions
        {
            ThreadId = threadId,
            RequestId = options.RequestId,
            InstanceId = options.InstanceId,
            Model = options.Model,
            Images = options.Images,
            ResponseSchema = options.ResponseSchema,
            Parameters = options.Parameters,
        };

        var answer = new StringBuilder();
        var completed = false;
        await foreach (var item in ReasoningEngine.StreamAsync(new ArtPrompt(messages), callOptions, cancellationToken).ConfigureAwait(false))
        {
            switch (item)
            {
                case ContentDelta delta:
                    answer.Append(delta.Text);
                    break;
                case Completed:
                    completed = true;
                    break;
            }

            yield return item;
        }

        if (completed)
        {
            // Not cancellable: the answer was produced (and paid for); it belongs in the history.
            await ConversationManager.AddMessagesAsync(
                threadId,
                [new ConversationMessage { MessageId = Guid.NewGuid().ToString("N"), ThreadId = threadId, Role = MessageRole.Assistant, Content = answer.ToString(), Timestamp = _parts.TimeProvider.GetUtcNow() }],
                CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Why an explicitly chosen instance cannot serve: not configured, or configured but unavailable (its reason).</summary>
    private ArtException UnusableInstance(string instanceId)
    {
        var manager = ProviderInstanceManager;
        if (!manager.Instances.Any(i => string.Equals(i.Id, instanceId, StringComparison.Ordinal)))
        {
            return new UnknownInstanceException(instanceId, manager.Instances.Select(i => i.Id));
        }

        manager.IsAvailable(instanceId, out var reason);
        return new ArtConfigurationException($"Provider instance '{instanceId}' is unavailable: {reason ?? "it has no adapter"}", instanceId);
    }

    /// <summary>
    /// Registers what a provider says about a model the registry does not know yet (Ollama <c>/api/show</c>:
    /// capabilities, context length), so routing can check vision, tools and context for locally pulled models.
    /// Best effort: an unknown instance, a provider without discovery, a failure or a slow answer (5 s) changes
    /// nothing, and the call goes ahead with the capabilities unknown.
    /// </summary>
    public async Task<bool> EnsureModelKnownAsync(string? instanceId, string? model, CancellationToken cancellationToken = default)
    {
        if (instanceId is null || !ProviderInstanceManager.TryGetAdapter(instanceId, out var adapter) || adapter is not IModelDiscovery discovery)
        {
            return false;
        }

        var config = ProviderInstanceManager.GetConfig(instanceId);
        model ??= config.Model;
        if (string.IsNullOrWhiteSpace(model) || ModelRegistry.GetModelInfo(config.Provider, model) is not null)
        {
            return false;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            var info = await discovery.DiscoverModelAsync(model, timeout.Token).ConfigureAwait(false);
            await ModelRegistry.RegisterModelAsync(info, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (ArtException)
        {
            // Unreachable or unknown model: the call itself will report it with the provider's reason.
            return false;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Releases the adapters, locks the key store and disposes storage the instance owns. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _parts.Secrets?.Lock();
        foreach (var item in _parts.Owned)
        {
            await item.DisposeAsync().ConfigureAwait(false);
        }
    }
}
