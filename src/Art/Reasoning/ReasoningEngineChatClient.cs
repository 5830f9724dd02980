using System.Runtime.CompilerServices;
using System.Text.Json;
using Art.Models;
using Art.Tools;
using Microsoft.Extensions.AI;

namespace Art.Reasoning;

/// <summary>Keys of <see cref="ChatOptions.AdditionalProperties"/> that steer <see cref="ReasoningEngineChatClient"/>.</summary>
public static class ArtChatOptionKeys
{
    /// <summary>The ART thread of the call (string); its config drives routing, fallback and budgets.</summary>
    public const string ThreadId = "art.threadId";

    /// <summary>Required capabilities: <see cref="ModelCapability"/> values, names (<c>tool_use</c>), a comma list or a JSON array.</summary>
    public const string Capabilities = "art.capabilities";

    /// <summary>Instance to use for this call only (string).</summary>
    public const string InstanceId = "art.instanceId";

    /// <summary>Request id for abort (string); generated when absent. Also set on every update.</summary>
    public const string RequestId = "art.requestId";

    /// <summary>Trace id grouping the observations of a larger operation (string).</summary>
    public const string TraceId = "art.traceId";

    /// <summary>User id recorded with the call (string).</summary>
    public const string UserId = "art.userId";

    /// <summary>Whether fallback is allowed (bool); default true.</summary>
    public const string AllowFallback = "art.allowFallback";

    /// <summary>Set on updates and responses: the instance that answered.</summary>
    public const string AnsweredBy = "art.instanceId";
}

/// <summary>Settings of <see cref="ReasoningEngineChatClient"/>.</summary>
public sealed record ReasoningEngineChatClientOptions
{
    /// <summary>Thread used when a call names none (neither <c>art.threadId</c> nor <see cref="ChatOptions.ConversationId"/>).</summary>
    public string? DefaultThreadId { get; init; }

    /// <summary>Capabilities required when a call names none; null lets the engine infer them.</summary>
    public IReadOnlyList<ModelCapability>? DefaultCapabilities { get; init; }

    /// <summary>Provider name reported in <see cref="ChatClientMetadata"/>.</summary>
    public string ProviderName { get; init; } = "art";

    /// <summary>Model reported as default in <see cref="ChatClientMetadata"/> (routing decides the real one).</summary>
    public string? DefaultModelId { get; init; }
}

/// <summary>
/// ART's routed <see cref="IReasoningEngine"/> as a Microsoft.Extensions.AI <see cref="IChatClient"/>, so Semantic
/// Kernel, Agent Framework and MEAI middleware (<c>UseFunctionInvocation</c>, <c>UseOpenTelemetry</c>) get ART's routing,
/// fallback, budgets and cost tracking as a drop-in client.
/// </summary>
/// <remarks>
/// The thread comes from <c>AdditionalProperties["art.threadId"]</c>, else <see cref="ChatOptions.ConversationId"/>, else
/// <see cref="ReasoningEngineChatClientOptions.DefaultThreadId"/>; without any the call fails with
/// <see cref="InvalidOperationException"/>, because budgets and routing are per thread. Function tools are passed as
/// tool schemas; ART never invokes them itself: <see cref="FunctionCallContent"/> comes back to the caller (or to
/// <c>FunctionInvokingChatClient</c>), which sends the results on the next call as usual. <see cref="ChatOptions.Instructions"/>
/// becomes a leading system message; <see cref="ChatToolMode.None"/> withholds the tools; a required tool mode cannot be
/// enforced across providers and is passed as "tools offered".
/// </remarks>
public sealed class ReasoningEngineChatClient : IChatClient
{
    private readonly IReasoningEngine _engine;
    private readonly ReasoningEngineChatClientOptions _options;
    private readonly ChatClientMetadata _metadata;

    public ReasoningEngineChatClient(IReasoningEngine engine, ReasoningEngineChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
        _options = options ?? new ReasoningEngineChatClientOptions();
        _metadata = new ChatClientMetadata(_options.ProviderName, providerUri: null, _options.DefaultModelId);
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
        }

        var response = updates.ToChatResponse();
        var last = updates.LastOrDefault(u => u.AdditionalProperties?.ContainsKey(ArtChatOptionKeys.AnsweredBy) == true);
        if (last?.AdditionalProperties is { } properties)
        {
            response.AdditionalProperties ??= [];
            foreach (var (key, value) in properties)
            {
                response.AdditionalProperties[key] = value;
            }
        }

        return response;
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = ChatMessageMapper.ToArtPrompt(messages);
        if (!string.IsNullOrWhiteSpace(options?.Instructions))
        {
            // MEAI's per-call instructions are a system message ahead of the conversation.
            prompt = new ArtPrompt([ArtMessage.System(options.Instructions), .. prompt.Messages]);
        }

        var callOptions = ToCallOptions(options);
        var requestId = callOptions.RequestId!;
        string? modelId = null;
        await foreach (var e in _engine.StreamAsync(prompt, callOptions, cancellationToken).ConfigureAwait(false))
        {
            var update = new ChatResponseUpdate
            {
                Role = ChatRole.Assistant,
                ResponseId = requestId,
                MessageId = requestId,
                ModelId = modelId,
            };
            switch (e)
            {
                case ContentDelta content:
                    update.Contents.Add(new TextContent(content.Text));
                    break;
                case ThoughtDelta thought:
                    var reasoning = new TextReasoningContent(thought.Text) { ProtectedData = thought.RedactedData ?? thought.Signature };
                    if (thought.RedactedData is not null)
                    {
                        (reasoning.AdditionalProperties ??= [])[ArtPromptMapper.RedactedKey] = true;
                    }

                    update.Contents.Add(reasoning);
                    break;
                case ToolCallRequested call:
                    var function = new FunctionCallContent(call.Call.Id, call.Call.Name, ArtPromptMapper.ToArguments(call.Call.Arguments));
                    if (call.Call.ProviderSignature is not null)
                    {
                        (function.AdditionalProperties ??= [])[ArtPromptMapper.SignatureKey] = call.Call.ProviderSignature;
                    }

                    update.Contents.Add(function);
                    break;
                case UsageReported usage:
                    update.Contents.Add(new UsageContent(ToUsageDetails(usage.Usage)));
                    break;
                case Completed completed:
                    modelId = completed.ModelId;
                    update.ModelId = completed.ModelId;
                    update.FinishReason = ToChatFinishReason(completed.Reason);
                    update.AdditionalProperties = new AdditionalPropertiesDictionary
                    {
                        [ArtChatOptionKeys.AnsweredBy] = completed.InstanceId,
                        [ArtChatOptionKeys.RequestId] = requestId,
                    };
                    break;
                default:
                    // Engine notices MEAI has no content for (e.g. an attempt restarting) travel as raw representation.
                    update.RawRepresentation = e;
                    break;
            }

            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return _metadata;
        }

        if (serviceType.IsInstanceOfType(_engine))
        {
            return _engine;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        // The engine is owned by the ART instance, not by this view of it.
    }

    /// <summary>Builds the engine's call options from MEAI options and the <c>art.*</c> additional properties.</summary>
    public CallOptions ToCallOptions(ChatOptions? options)
    {
        var properties = options?.AdditionalProperties;
        var threadId = Text(properties, ArtChatOptionKeys.ThreadId) ?? options?.ConversationId ?? _options.DefaultThreadId
            ?? throw new InvalidOperationException(
                $"No ART thread for this call: set ChatOptions.AdditionalProperties[\"{ArtChatOptionKeys.ThreadId}\"], ChatOptions.ConversationId or ReasoningEngineChatClientOptions.DefaultThreadId.");
        List<ToolSchema>? tools = null;
        if (options?.Tools is { Count: > 0 } declared && options.ToolMode is not NoneChatToolMode)
        {
            tools = [.. declared.OfType<AIFunctionDeclaration>().Select(ChatMessageMapper.ToToolSchema)];
        }

        JsonElement? schema = options?.ResponseFormat is ChatResponseFormatJson { Schema: { } s } ? s : null;
        var capabilities = properties is not null && properties.TryGetValue(ArtChatOptionKeys.Capabilities, out var raw)
            ? ChatMessageMapper.ToCapabilities(raw)
            : _options.DefaultCapabilities;
        var allowFallback = properties is not null && properties.TryGetValue(ArtChatOptionKeys.AllowFallback, out var fallback)
            ? fallback switch { bool b => b, JsonElement { ValueKind: JsonValueKind.False } => false, string t => !bool.TryParse(t, out var parsed) || parsed, _ => true }
            : true;
        var parameters = ChatMessageMapper.ToParameters(options);
        return new CallOptions
        {
            ThreadId = threadId,
            TraceId = Text(properties, ArtChatOptionKeys.TraceId),
            RequestId = Text(properties, ArtChatOptionKeys.RequestId) ?? "chat-" + Guid.NewGuid().ToString("N"),
            UserId = Text(properties, ArtChatOptionKeys.UserId),
            InstanceId = Text(properties, ArtChatOptionKeys.InstanceId),
            Model = options?.ModelId,
            Parameters = parameters == ModelParameters.Empty ? null : parameters,
            Tools = tools is { Count: > 0 } ? tools : null,
            ResponseSchema = schema,
            RequiredCapabilities = capabilities,
            AllowFallback = allowFallback,
        };
    }

    private static string? Text(AdditionalPropertiesDictionary? properties, string key) =>
        properties is not null && properties.TryGetValue(key, out var value)
            ? value switch
            {
                null => null,
                string s => string.IsNullOrWhiteSpace(s) ? null : s,
                JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
                _ => value.ToString(),
            }
            : null;

    private static UsageDetails ToUsageDetails(TokenUsage usage) => new()
    {
        InputTokenCount = usage.InputTokens,
        OutputTokenCount = usage.OutputTokens,
        TotalTokenCount = usage.TotalTokens,
        CachedInputTokenCount = usage.CachedInputTokens == 0 ? null : usage.CachedInputTokens,
        ReasoningTokenCount = usage.ReasoningTokens == 0 ? null : usage.ReasoningTokens,
    };

    private static ChatFinishReason ToChatFinishReason(FinishReason reason) => reason switch
    {
        FinishReason.Stop => ChatFinishReason.Stop,
        FinishReason.Length => ChatFinishReason.Length,
        FinishReason.ToolCalls => ChatFinishReason.ToolCalls,
        FinishReason.ContentFilter => ChatFinishReason.ContentFilter,
        _ => new ChatFinishReason("other"),
    };
}

/// <summary>Extensions exposing ART as MEAI abstractions.</summary>
public static class ReasoningEngineChatClientExtensions
{
    /// <summary>The engine as an <see cref="IChatClient"/> with ART routing, fallback and budgets.</summary>
    public static IChatClient AsChatClient(this IReasoningEngine engine, ReasoningEngineChatClientOptions? options = null) =>
        new ReasoningEngineChatClient(engine, options);
}
