using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Art.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Art.Reasoning;

/// <summary>
/// A provider adapter over any Microsoft.Extensions.AI <see cref="IChatClient"/>: the shared mapping of prompts,
/// options and streamed updates, abort by request id, and error classification hooks. Provider packages subclass it
/// and override only what their API does differently (raw fields, usage rules, error bodies, model lists).
/// </summary>
public abstract class ChatClientProviderAdapter : IProviderAdapter, IRequestAbort
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _requests = new(StringComparer.Ordinal);
    private int _disposed;

    protected ChatClientProviderAdapter(ProviderInstanceConfig config, IChatClient chatClient, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(chatClient);
        ArgumentNullException.ThrowIfNull(logger);
        Config = config;
        ChatClient = chatClient;
        Logger = logger;
    }

    public virtual string ProviderName => Config.Provider;

    public string InstanceId => Config.Id;

    protected ProviderInstanceConfig Config { get; }

    protected IChatClient ChatClient { get; }

    protected ILogger Logger { get; }

    /// <summary>Whether answer text is scanned for inline <c>&lt;think&gt;</c> blocks.</summary>
    protected virtual bool SplitThinkTags => false;

    /// <summary>Model used when neither the call nor the instance names one.</summary>
    protected virtual string? DefaultModel => null;

    public async IAsyncEnumerable<StreamEvent> StreamAsync(ArtPrompt prompt, CallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var model = options.Model ?? Config.Model ?? DefaultModel
            ?? throw new ArtConfigurationException($"No model for instance '{InstanceId}': set 'model' on the instance or the thread.", InstanceId);

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var requestId = options.RequestId;
        if (requestId is not null && !_requests.TryAdd(requestId, linked))
        {
            throw new ArgumentException($"Request id '{requestId}' is already running on instance '{InstanceId}'.", nameof(options));
        }

        try
        {
            var token = linked.Token;
            var parameters = ModelParameters.Merge(Config.Parameters, options.Parameters);
            List<ChatMessage> messages;
            ChatOptions chatOptions;
            try
            {
                messages = await BuildMessagesAsync(prompt, options, token).ConfigureAwait(false);
                chatOptions = ArtPromptMapper.ToChatOptions(options, parameters, model);
                ConfigureChatOptions(chatOptions, options, parameters);
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or ArtException))
            {
                throw Classify(ex, token);
            }

            var state = new ChatStreamState(model, SplitThinkTags);
            IAsyncEnumerator<ChatResponseUpdate> updates;
            try
            {
                updates = ChatClient.GetStreamingResponseAsync(messages, chatOptions, token).GetAsyncEnumerator(token);
            }
            catch (Exception ex) when (ex is not ArtException)
            {
                throw Classify(ex, token);
            }

            await using (updates.ConfigureAwait(false))
            {
                while (true)
                {
                    bool hasNext;
                    try
                    {
                        hasNext = await updates.MoveNextAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not ArtException)
                    {
                        throw Classify(ex, token);
                    }

                    if (!hasNext)
                    {
                        break;
                    }

                    state.Output.Clear();
                    ProcessUpdate(updates.Current, state);
                    for (var i = 0; i < state.Output.Count; i++)
                    {
                        yield return state.Output[i];
                    }
                }
            }

            state.Output.Clear();
            state.Splitter?.Flush(state.Output);
            CompleteStream(state);
            for (var i = 0; i < state.Output.Count; i++)
            {
                yield return state.Output[i];
            }

            if (state.Usage is not null || state.ProviderCost is not null)
            {
                yield return new UsageReported(NormalizeUsage(state.Usage ?? new UsageDetails())) { ProviderCost = state.ProviderCost };
            }

            yield return new Completed(ArtPromptMapper.ToFinishReason(state.FinishReason, state.SawToolCalls), InstanceId, model);
        }
        finally
        {
            if (requestId is not null)
            {
                _requests.TryRemove(new KeyValuePair<string, CancellationTokenSource>(requestId, linked));
            }
        }
    }

    public abstract Task<IReadOnlyList<ProviderModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default);

    public Task<bool> AbortRequestAsync(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        if (_requests.TryGetValue(requestId, out var cts))
        {
            try
            {
                cts.Cancel();
                return Task.FromResult(true);
            }
            catch (ObjectDisposedException)
            {
                return Task.FromResult(false);
            }
        }

        return Task.FromResult(false);
    }

    /// <summary>Maps the prompt; override to fetch URL images or add provider-only content.</summary>
    protected virtual ValueTask<List<ChatMessage>> BuildMessagesAsync(ArtPrompt prompt, CallOptions options, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ArtPromptMapper.ToChatMessages(prompt, options.Images));

    /// <summary>Provider-specific request settings (raw request factories, additional properties).</summary>
    protected virtual void ConfigureChatOptions(ChatOptions chatOptions, CallOptions options, ModelParameters parameters)
    {
    }

    /// <summary>
    /// Turns one update into events on <see cref="ChatStreamState.Output"/>. Override to read raw provider fields
    /// (<see cref="ChatResponseUpdate.RawRepresentation"/>) and call the base for the standard contents.
    /// </summary>
    protected virtual void ProcessUpdate(ChatResponseUpdate update, ChatStreamState state)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(state);
        if (update.FinishReason is { } finish)
        {
            state.FinishReason = finish;
        }

        if (update.ModelId is { Length: > 0 } reported)
        {
            state.ReportedModel = reported;
        }

        var contents = update.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            switch (contents[i])
            {
                case TextReasoningContent reasoning:
                    AddThought(reasoning, state);
                    break;
                case TextContent text when text.Text.Length > 0:
                    state.AddContent(text.Text);
                    break;
                case FunctionCallContent call:
                    state.AddToolCall(ToToolCall(call, state));
                    break;
                case UsageContent usage:
                    state.AddUsage(usage.Details);
                    break;
            }
        }
    }

    /// <summary>Called once after the last update, before usage and completion are reported.</summary>
    protected virtual void CompleteStream(ChatStreamState state)
    {
    }

    /// <summary>Usage in ART's normalised sense; the default fits OpenAI-style counts (input includes cached, output includes reasoning).</summary>
    protected virtual TokenUsage NormalizeUsage(UsageDetails usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return new TokenUsage
        {
            InputTokens = usage.InputTokenCount ?? 0,
            OutputTokens = usage.OutputTokenCount ?? 0,
            CachedInputTokens = usage.CachedInputTokenCount ?? 0,
            ReasoningTokens = usage.ReasoningTokenCount ?? 0,
        };
    }

    /// <summary>Classifies a provider failure. Transport failures are handled by the base before this is called.</summary>
    protected abstract ProviderException ClassifyError(Exception exception);

    /// <summary>A hint appended to "not reachable" messages (e.g. how to start a local server).</summary>
    protected virtual string? UnreachableHint => null;

    protected virtual ToolCall ToToolCall(FunctionCallContent call, ChatStreamState state)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(state);
        if (call.Exception is not null)
        {
            throw new ProviderException(ProviderErrorKind.BadRequest, $"The model returned invalid arguments for tool '{call.Name}': {call.Exception.Message}", ProviderName, InstanceId, innerException: call.Exception);
        }

        var id = string.IsNullOrEmpty(call.CallId) ? state.NextToolCallId() : call.CallId;
        var signature = call.AdditionalProperties?.TryGetValue(ArtPromptMapper.SignatureKey, out var s) == true ? s as string : null;
        return new ToolCall(id, call.Name, ArtPromptMapper.FromArguments(call.Arguments)) { ProviderSignature = signature };
    }

    private static void AddThought(TextReasoningContent reasoning, ChatStreamState state)
    {
        var redacted = reasoning.AdditionalProperties?.ContainsKey(ArtPromptMapper.RedactedKey) == true;
        if (reasoning.Text.Length > 0 || reasoning.ProtectedData is not null)
        {
            state.Output.Add(new ThoughtDelta(reasoning.Text)
            {
                Signature = redacted ? null : reasoning.ProtectedData,
                RedactedData = redacted ? reasoning.ProtectedData : null,
            });
        }
    }

    private Exception Classify(Exception exception, CancellationToken token)
    {
        if (token.IsCancellationRequested)
        {
            return exception as OperationCanceledException ?? new OperationCanceledException("The request was cancelled.", exception, token);
        }

        if (exception is ProviderException provider)
        {
            return provider;
        }

        if (ProviderErrors.FromTransportFailure(exception, ProviderName, InstanceId, Config.BaseUrl, UnreachableHint) is { } transport)
        {
            return transport;
        }

        if (exception is OperationCanceledException)
        {
            // Not our token: an HTTP timeout inside the client.
            return new ProviderException(ProviderErrorKind.Transient, $"{ProviderName} ('{InstanceId}') timed out.", ProviderName, InstanceId, innerException: exception);
        }

        var classified = ClassifyError(exception);
        Logger.LogDebug(exception, "Provider error on instance {InstanceId} classified as {Kind}", InstanceId, classified.Kind);
        return classified;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var cts in _requests.Values)
        {
            try
            {
                await cts.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // Finished meanwhile.
            }
        }

        ChatClient.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Per-stream state handed to <see cref="ChatClientProviderAdapter"/> hooks.</summary>
public sealed class ChatStreamState
{
    private int _toolCallCounter;

    public ChatStreamState(string model, bool splitThinkTags)
    {
        Model = model;
        Splitter = splitThinkTags ? new ThinkTagSplitter() : null;
    }

    /// <summary>The requested model.</summary>
    public string Model { get; }

    /// <summary>The model the provider says answered, when it says.</summary>
    public string? ReportedModel { get; set; }

    /// <summary>Events produced by the current update; yielded in order.</summary>
    public List<StreamEvent> Output { get; } = new(4);

    public ThinkTagSplitter? Splitter { get; }

    public ChatFinishReason? FinishReason { get; set; }

    public bool SawToolCalls { get; private set; }

    public UsageDetails? Usage { get; private set; }

    /// <summary>Authoritative cost reported by the provider (OpenRouter).</summary>
    public decimal? ProviderCost { get; set; }

    /// <summary>Free-form per-stream storage for subclasses.</summary>
    public Dictionary<string, object?> Items { get; } = new(StringComparer.Ordinal);

    public void AddContent(string text)
    {
        if (Splitter is null)
        {
            Output.Add(new ContentDelta(text));
        }
        else
        {
            Splitter.Push(text, Output);
        }
    }

    public void AddThought(string text, string? signature = null) => Output.Add(new ThoughtDelta(text) { Signature = signature });

    public void AddToolCall(ToolCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        SawToolCalls = true;
        Output.Add(new ToolCallRequested(call));
    }

    /// <summary>Adds usage; providers that send cumulative usage should use <see cref="SetUsage"/>.</summary>
    public void AddUsage(UsageDetails details)
    {
        ArgumentNullException.ThrowIfNull(details);
        if (Usage is null)
        {
            Usage = new UsageDetails();
        }

        Usage.Add(details);
    }

    public void SetUsage(UsageDetails details) => Usage = details;

    /// <summary>A synthesised id for providers that do not give tool calls one.</summary>
    public string NextToolCallId() => "call_" + (++_toolCallCounter).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
