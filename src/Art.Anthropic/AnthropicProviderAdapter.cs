using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Messages;
using Anthropic.Models.Models;
using Art.Models;
using Art.Reasoning;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Art.Anthropic;

/// <summary>
/// Anthropic Messages API on the official <c>Anthropic</c> SDK's <see cref="IChatClient"/>.
/// <para>
/// What the SDK's IChatClient does well is kept: thinking blocks as <see cref="TextReasoningContent"/> (the signature
/// arrives as its own reasoning content carrying <c>ProtectedData</c>, on the <c>signature_delta</c> just before the
/// block closes), tool input assembled from <c>input_json_delta</c>, images, tools, structured output, and usage whose
/// input count already adds cache read and cache write (cache write sits in <c>AdditionalCounts</c>).
/// </para>
/// <para>
/// What it cannot express is done through its raw-request hook (<see cref="ChatOptions.RawRepresentationFactory"/> →
/// <see cref="MessageCreateParams"/>): extended thinking with an explicit <c>budget_tokens</c> (the IChatClient only
/// derives budgets from an effort level, and by default sends adaptive thinking), a <c>max_tokens</c> that leaves room
/// for that budget, and provider-specific body fields from <see cref="ModelParameters.Extra"/>. Redacted thinking is
/// sent back as <c>redacted_thinking</c> by giving the content its SDK block as raw representation.
/// </para>
/// <para>
/// SDK retries are off (<c>MaxRetries = 0</c>) so ART's engine owns retry and fallback. The key goes in
/// <c>x-api-key</c> as the API documents (this SDK version would otherwise send it as a bearer token).
/// </para>
/// </summary>
public sealed class AnthropicProviderAdapter : ChatClientProviderAdapter
{
    /// <summary><c>max_tokens</c> when nothing sets it; the API requires the field.</summary>
    public const int DefaultMaxTokens = 4096;

    /// <summary>The smallest thinking budget the API accepts.</summary>
    public const int MinThinkingBudget = 1024;

    /// <summary>Thinking budget when thinking is asked for without a budget or effort.</summary>
    public const int DefaultThinkingBudget = 4096;

    private const string MessageStopSeen = "anthropic.message_stop";
    private readonly AnthropicClient _client;
    private readonly HttpClient _httpClient;
    private readonly string _baseUrl;

    public AnthropicProviderAdapter(ProviderAdapterContext context)
        : this(context, CreateClient(context, out var httpClient), httpClient)
    {
    }

    private AnthropicProviderAdapter(ProviderAdapterContext context, AnthropicClient client, HttpClient httpClient)
        : base(context.Config, new CaptureChatClient(client.AsIChatClient(context.Config.Model, DefaultMaxTokens, AnthropicThinkingMode.Extended)), context.LoggerFactory.CreateLogger<AnthropicProviderAdapter>())
    {
        _client = client;
        _httpClient = httpClient;
        _baseUrl = BaseUrlOf(context.Config);
    }

    public override string ProviderName => AnthropicProviderFactory.ProviderName;

    public override async Task<IReadOnlyList<ProviderModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        var capture = new AnthropicResponseCapture();
        AnthropicResponseCapture.Current = capture;
        try
        {
            var result = new List<ProviderModelInfo>();
            var page = await _client.Models.List(new ModelListParams { Limit = 1000 }, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                foreach (var model in page.Items)
                {
                    result.Add(new ProviderModelInfo
                    {
                        Name = model.ID,
                        DisplayName = model.DisplayName,
                        ContextWindow = ToInt(model.MaxInputTokens),
                        MaxOutputTokens = ToInt(model.MaxTokens),
                        Details = new Dictionary<string, string>(StringComparer.Ordinal)
                        {
                            ["created_at"] = model.CreatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                        },
                    });
                }

                if (!page.HasNext())
                {
                    break;
                }

                page = await page.Next(cancellationToken).ConfigureAwait(false);
            }

            return result;
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or ArtException))
        {
            throw ProviderErrors.FromTransportFailure(ex, ProviderName, InstanceId, _baseUrl)
                ?? AnthropicErrorClassifier.Classify(ex, InstanceId, _baseUrl, Config.ApiKey, capture);
        }
        finally
        {
            AnthropicResponseCapture.Current = null;
        }
    }

    protected override ValueTask<List<ChatMessage>> BuildMessagesAsync(ArtPrompt prompt, CallOptions options, CancellationToken cancellationToken)
    {
        var messages = ArtPromptMapper.ToChatMessages(prompt, options.Images);
        foreach (var message in messages)
        {
            if (message.Role != ChatRole.Assistant)
            {
                continue;
            }

            // Thinking blocks go back exactly as they came: signed thinking as `thinking`, redacted as
            // `redacted_thinking`. Unsigned thoughts (from another provider) cannot be verified by Anthropic and
            // would be rejected, so they are left out.
            for (var i = message.Contents.Count - 1; i >= 0; i--)
            {
                if (message.Contents[i] is not TextReasoningContent reasoning)
                {
                    continue;
                }

                var redacted = reasoning.AdditionalProperties?.ContainsKey(ArtPromptMapper.RedactedKey) == true;
                if (redacted && reasoning.ProtectedData is { } data)
                {
                    reasoning.RawRepresentation = (ContentBlockParam)new RedactedThinkingBlockParam { Data = data };
                }
                else if (reasoning.ProtectedData is { Length: > 0 } signature)
                {
                    reasoning.RawRepresentation = (ContentBlockParam)new ThinkingBlockParam { Thinking = reasoning.Text, Signature = signature };
                }
                else
                {
                    message.Contents.RemoveAt(i);
                }
            }
        }

        return ValueTask.FromResult(messages);
    }

    protected override void ConfigureChatOptions(ChatOptions chatOptions, CallOptions options, ModelParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(chatOptions);
        ArgumentNullException.ThrowIfNull(parameters);
        var model = chatOptions.ModelId!;
        var (maxTokens, budget) = ResolveTokens(parameters);

        // Thinking is decided here, not by the SDK's effort mapping.
        chatOptions.Reasoning = null;
        var extra = parameters.Extra;
        chatOptions.AdditionalProperties = null;
        chatOptions.MaxOutputTokens = maxTokens;
        var sampling = (parameters.Temperature, parameters.TopP, parameters.TopK);
        if (budget is not null && (parameters.Temperature is not null || parameters.TopK is not null))
        {
            // Extended thinking rejects temperature and top_k changes (HTTP 400). A temperature inherited from thread or
            // instance defaults must not make a thinking call fail, so they are left out, and the log says so.
            Logger.LogDebug("Instance {InstanceId}: thinking is on, so temperature and top_k are not sent.", InstanceId);
            sampling = (null, parameters.TopP, null);
        }

        chatOptions.RawRepresentationFactory = _ => CreateParams(model, maxTokens, budget, sampling, extra);
    }

    protected override void ProcessUpdate(ChatResponseUpdate update, ChatStreamState state)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(state);
        if (update.RawRepresentation is RawMessageStreamEvent { Value: RawMessageStopEvent })
        {
            state.Items[MessageStopSeen] = true;
        }

        for (var i = 0; i < update.Contents.Count; i++)
        {
            if (update.Contents[i] is not TextReasoningContent reasoning)
            {
                continue;
            }

            if (reasoning.RawRepresentation is RedactedThinkingBlock block)
            {
                // Redacted thinking: opaque data to send back, not a signature.
                update.Contents[i] = new TextReasoningContent(string.Empty) { ProtectedData = block.Data, AdditionalProperties = new() { [ArtPromptMapper.RedactedKey] = true } };
            }
            else if (reasoning.ProtectedData is { Length: 0 })
            {
                // content_block_start of a thinking block carries "signature": ""; the real one comes in signature_delta.
                reasoning.ProtectedData = null;
            }
        }

        base.ProcessUpdate(update, state);
    }

    protected override void CompleteStream(ChatStreamState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.Items.ContainsKey(MessageStopSeen) && state.FinishReason is null)
        {
            // A stream that ends before message_delta (stop reason, final usage) and message_stop was cut; its text is
            // not a complete answer. A stream whose final message_stop alone is missing (no blank line after it at
            // the end of the body, as in the SDK's own fixture) has everything and is accepted.
            throw new ProviderException(
                ProviderErrorKind.Transient,
                $"The Anthropic stream from '{InstanceId}' ended without message_stop: the response is incomplete.",
                ProviderName,
                InstanceId,
                providerErrorCode: "incomplete_stream");
        }
    }

    protected override TokenUsage NormalizeUsage(UsageDetails usage)
    {
        ArgumentNullException.ThrowIfNull(usage);

        // The SDK already reports input = input_tokens + cache_read + cache_creation and cached = cache_read;
        // cache_creation is only in AdditionalCounts. Nothing is added twice.
        var cacheWrite = usage.AdditionalCounts?.TryGetValue(nameof(Usage.CacheCreationInputTokens), out var write) == true ? write : 0;
        return new TokenUsage
        {
            InputTokens = usage.InputTokenCount ?? 0,
            OutputTokens = usage.OutputTokenCount ?? 0,
            CachedInputTokens = usage.CachedInputTokenCount ?? 0,
            CacheWriteTokens = cacheWrite,
            ReasoningTokens = usage.ReasoningTokenCount ?? 0,
        };
    }

    protected override ProviderException ClassifyError(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var capture = exception.Data[CaptureChatClient.CaptureKey] as AnthropicResponseCapture;
        return AnthropicErrorClassifier.Classify(exception, InstanceId, _baseUrl, Config.ApiKey, capture);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
        _httpClient.Dispose();
    }

    /// <summary><c>max_tokens</c> and the thinking budget (null: no thinking) for merged parameters.</summary>
    internal static (int MaxTokens, int? Budget) ResolveTokens(ModelParameters parameters)
    {
        var wantsThinking = parameters.Think == true
            || (parameters.Think is null && (parameters.ThinkingBudgetTokens is > 0 || IsEffort(parameters.ReasoningEffort)));
        if (!wantsThinking)
        {
            return (parameters.MaxOutputTokens ?? DefaultMaxTokens, null);
        }

        var budget = Math.Max(MinThinkingBudget, parameters.ThinkingBudgetTokens ?? EffortBudget(parameters.ReasoningEffort));
        if (parameters.MaxOutputTokens is not { } max)
        {
            // Thinking counts towards max_tokens: leave the default room for the answer on top of the budget.
            return (budget + DefaultMaxTokens, budget);
        }

        if (budget >= max)
        {
            // budget_tokens must be below max_tokens; an explicit limit wins and the budget shrinks to fit.
            budget = max - 1;
            if (budget < MinThinkingBudget)
            {
                throw new ArgumentException(
                    $"Anthropic thinking needs max_tokens above {MinThinkingBudget} (budget_tokens must be at least {MinThinkingBudget} and below max_tokens); max_tokens is {max}.",
                    nameof(parameters));
            }
        }

        return (max, budget);
    }

    private static bool IsEffort(string? effort) =>
        effort is not null && !effort.Equals("none", StringComparison.OrdinalIgnoreCase);

    private static int EffortBudget(string? effort) => effort?.ToUpperInvariant() switch
    {
        "MINIMAL" or "LOW" => 1024,
        "MEDIUM" => 8192,
        "HIGH" => 16384,
        "XHIGH" or "MAX" => 32768,
        _ => DefaultThinkingBudget,
    };

    private static MessageCreateParams CreateParams(
        string model,
        int maxTokens,
        int? budget,
        (double? Temperature, double? TopP, int? TopK) sampling,
        IReadOnlyDictionary<string, JsonElement>? extra)
    {
        var created = new MessageCreateParams { Model = model, MaxTokens = maxTokens, Messages = [] };
        if (budget is { } b)
        {
            created = created with { Thinking = new ThinkingConfigEnabled(b) };
        }

        // The SDK's MessageCreateParams (13.13.0) has no temperature/top_p/top_k and its IChatClient drops
        // ChatOptions.Temperature and kin; the Messages API still takes them, so they go into the raw body. Only
        // values that are set are written (an explicit null would be sent as null).
        var body = new Dictionary<string, JsonElement>(created.RawBodyData, StringComparer.Ordinal);
        if (sampling.Temperature is { } temperature)
        {
            body["temperature"] = JsonSerializer.SerializeToElement(temperature);
        }

        if (sampling.TopP is { } topP)
        {
            body["top_p"] = JsonSerializer.SerializeToElement(topP);
        }

        if (sampling.TopK is { } topK)
        {
            body["top_k"] = JsonSerializer.SerializeToElement(topK);
        }

        // Provider-specific body fields (metadata, service_tier, output_config, a different thinking shape...)
        // are sent as given; they win over what ART derived.
        foreach (var (key, value) in extra ?? new Dictionary<string, JsonElement>())
        {
            body[key] = value;
        }

        if (body.Count != created.RawBodyData.Count || extra is { Count: > 0 })
        {
            created = MessageCreateParams.FromRawUnchecked(created.RawHeaderData, created.RawQueryData, body);
        }

        return created;
    }

    private static AnthropicClient CreateClient(ProviderAdapterContext context, out HttpClient httpClient)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = context.Config;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in config.Headers ?? new Dictionary<string, string>())
        {
            headers[name] = value;
        }

        if (!string.IsNullOrEmpty(config.ApiKey))
        {
            headers["x-api-key"] = config.ApiKey;
        }

        httpClient = context.HttpHandler is { } handler
            ? new HttpClient(handler, disposeHandler: false)
            : new HttpClient();

        // The SDK applies its own per-request timeout; HttpClient's 100 s default would cut long streams.
        httpClient.Timeout = Timeout.InfiniteTimeSpan;
        return new AnthropicClient(new ClientOptions
        {
            ApiKey = null, // sent as x-api-key above; null also stops the SDK reading credentials from the environment
            ExtraHeaders = headers,
            BaseUrl = BaseUrlOf(config),
            MaxRetries = 0,
            Timeout = config.RequestTimeout,
            HttpClient = httpClient,
            Handlers = [new AnthropicCaptureHandler(context.TimeProvider)],
        });
    }

    private static string BaseUrlOf(ProviderInstanceConfig config)
    {
        var url = string.IsNullOrWhiteSpace(config.BaseUrl) ? AnthropicProviderFactory.PublicBaseUrl : config.BaseUrl.TrimEnd('/');

        // The SDK appends /v1/...; accept a base given with /v1 as well.
        return url.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) ? url[..^3] : url;
    }

    private static int? ToInt(long? value) => value is { } v ? (int)Math.Min(v, int.MaxValue) : null;

    /// <summary>
    /// Gives each streamed call its own <see cref="AnthropicResponseCapture"/> (an async-local the HTTP handler fills in)
    /// and attaches it to any exception, so <see cref="ClassifyError"/> can read the retry-after of that call.
    /// </summary>
    private sealed class CaptureChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        public const string CaptureKey = "Art.Anthropic.ResponseCapture";

        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages,
            ChatOptions? options = null,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            var capture = new AnthropicResponseCapture();
            AnthropicResponseCapture.Current = capture;
            var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            await using (updates.ConfigureAwait(false))
            {
                while (true)
                {
                    AnthropicResponseCapture.Current = capture;
                    bool hasNext;
                    try
                    {
                        hasNext = await updates.MoveNextAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex) when (Attach(ex, capture))
                    {
                        throw; // never reached: Attach returns false so the exception flows on untouched
                    }
                    finally
                    {
                        AnthropicResponseCapture.Current = null;
                    }

                    if (!hasNext)
                    {
                        yield break;
                    }

                    yield return updates.Current;
                }
            }
        }

        private static bool Attach(Exception exception, AnthropicResponseCapture capture)
        {
            exception.Data[CaptureKey] = capture;
            return false;
        }
    }
}
