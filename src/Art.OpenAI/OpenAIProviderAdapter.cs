using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using Art.Models;
using Art.Reasoning;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Chat;

// SCME0001: JsonPatch is the SDK's only access to fields it does not model (max_tokens, reasoning, thinking, usage.cost,
// prompt_cache_hit_tokens, delta.reasoning); the API is marked evaluation-only but shipped and used by MEAI itself.
#pragma warning disable SCME0001

namespace Art.OpenAI;

/// <summary>
/// ART adapter for OpenAI Chat Completions and the servers that speak it (DeepSeek, OpenRouter, vLLM, LM Studio,
/// llama.cpp, Ollama /v1), over the official OpenAI SDK and <c>Microsoft.Extensions.AI.OpenAI</c>. The shared base
/// does prompts, options and the streaming loop; this class adds what differs per flavour: the max-tokens field,
/// reasoning request options, reasoning text MEAI does not map (OpenRouter <c>reasoning</c>), usage extras (DeepSeek
/// cache hits, cache writes, OpenRouter cost), in-stream errors and error bodies, and the model list.
/// The SDK's own retries are off: ART's engine owns retry and fallback.
/// </summary>
public sealed class OpenAIProviderAdapter : ChatClientProviderAdapter
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    private readonly HttpClient _http;
    private readonly Uri _baseUri;
    private readonly OpenAIErrorClassifier _classifier;

    internal OpenAIProviderAdapter(ProviderAdapterContext context, OpenAIProviderFlavor flavor)
        : this(context, flavor, CreateParts(context, flavor))
    {
    }

    private OpenAIProviderAdapter(ProviderAdapterContext context, OpenAIProviderFlavor flavor, Parts parts)
        : base(context.Config, parts.ChatClient, context.LoggerFactory.CreateLogger<OpenAIProviderAdapter>())
    {
        Flavor = flavor;
        _http = parts.Http;
        _baseUri = parts.BaseUri;
        _classifier = parts.Classifier;
    }

    /// <summary>The dialect this instance speaks.</summary>
    public OpenAIProviderFlavor Flavor { get; }

    /// <summary>Whether the instance runs on this machine: configured, or an <c>openai-compatible</c> loopback URL.</summary>
    public bool IsLocal => Config.IsLocal ?? (Flavor == OpenAIProviderFlavor.Compatible && OpenAIProviderFactory.IsLocalUrl(Config.BaseUrl));

    /// <summary>Some local servers (and models served through them) still wrap reasoning in &lt;think&gt; tags inside the content.</summary>
    protected override bool SplitThinkTags => Flavor == OpenAIProviderFlavor.Compatible;

    protected override string? DefaultModel => Flavor switch
    {
        OpenAIProviderFlavor.OpenAI => "gpt-4o-mini",
        OpenAIProviderFlavor.DeepSeek => "deepseek-chat",
        _ => null,
    };

    protected override string? UnreachableHint => Flavor == OpenAIProviderFlavor.Compatible && IsLocal
        ? "is the local server (LM Studio, vLLM, llama.cpp, Ollama) running?"
        : null;

    private sealed record Parts(IChatClient ChatClient, HttpClient Http, Uri BaseUri, OpenAIErrorClassifier Classifier);

    private static Parts CreateParts(ProviderAdapterContext context, OpenAIProviderFlavor flavor)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = context.Config;
        var baseUrl = config.BaseUrl ?? new OpenAIProviderFactory().DefaultBaseUrl(config.Provider)
            ?? throw new ArgumentException($"Instance '{config.Id}' needs a BaseUrl.", nameof(context));
        var baseUri = new Uri(baseUrl.TrimEnd('/') + "/");
        var classifier = new OpenAIErrorClassifier(config.Provider, config.Id, baseUrl, config.ApiKey);

        HttpMessageHandler inner = context.HttpHandler ?? new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        var http = new HttpClient(new SseErrorGuardHandler(inner, classifier, withoutKey: string.IsNullOrEmpty(config.ApiKey)), disposeHandler: context.HttpHandler is null)
        {
            // The pipeline's NetworkTimeout governs each attempt; the HttpClient must not cut long streams on its own.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        foreach (var (name, value) in config.Headers ?? new Dictionary<string, string>())
        {
            http.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
        }

        var options = new OpenAIClientOptions
        {
            Endpoint = baseUri,
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = config.RequestTimeout ?? DefaultTimeout,
        };

        // Local servers take any key (or none); the SDK insists on one, so an unused placeholder is sent.
        var key = string.IsNullOrEmpty(config.ApiKey) ? "not-needed" : config.ApiKey;
        var model = config.Model ?? "default";
        var chat = new ChatClient(model, new ApiKeyCredential(key), options);
        return new Parts(chat.AsIChatClient(), http, baseUri, classifier);
    }

    /// <summary>
    /// DeepSeek's thinking mode needs the <c>reasoning_content</c> of assistant tool-call turns sent back (400 otherwise),
    /// which MEAI does not serialise: such turns are given a raw SDK message carrying it.
    /// </summary>
    protected override async ValueTask<List<Microsoft.Extensions.AI.ChatMessage>> BuildMessagesAsync(ArtPrompt prompt, CallOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var messages = await base.BuildMessagesAsync(prompt, options, cancellationToken).ConfigureAwait(false);
        if (Flavor != OpenAIProviderFlavor.DeepSeek)
        {
            return messages;
        }

        if (options.ResponseSchema is { } schema)
        {
            // DeepSeek has JSON mode (json_object) but no json_schema, and JSON mode wants the word "json" in the
            // prompt: the schema goes in as an instruction.
            messages.Add(new Microsoft.Extensions.AI.ChatMessage(ChatRole.System, "Answer with a single JSON object only (no prose, no code fences) that validates against this JSON schema: " + schema.GetRawText()));
        }

        foreach (var message in messages)
        {
            if (message.Role != ChatRole.Assistant)
            {
                continue;
            }

            var reasoning = string.Concat(message.Contents.OfType<TextReasoningContent>().Select(r => r.Text));
            var calls = message.Contents.OfType<FunctionCallContent>().ToList();
            if (reasoning.Length == 0 || calls.Count == 0)
            {
                continue;
            }

            var toolCalls = calls.Select(c => ChatToolCall.CreateFunctionToolCall(
                c.CallId,
                c.Name,
                BinaryData.FromString(ArtPromptMapper.FromArguments(c.Arguments).GetRawText()))).ToList();
            var raw = new AssistantChatMessage(toolCalls);
            var text = string.Concat(message.Contents.OfType<TextContent>().Select(t => t.Text));
            if (text.Length > 0)
            {
                raw.Content.Add(ChatMessageContentPart.CreateTextPart(text));
            }

            raw.Patch.Set("$.reasoning_content"u8, reasoning);
            message.RawRepresentation = raw;
        }

        return messages;
    }

    protected override void ConfigureChatOptions(Microsoft.Extensions.AI.ChatOptions chatOptions, CallOptions options, ModelParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(chatOptions);
        ArgumentNullException.ThrowIfNull(parameters);
        var maxTokens = chatOptions.MaxOutputTokens;
        var raw = new List<Action<ChatCompletionOptions>>();

        if (Flavor == OpenAIProviderFlavor.DeepSeek && chatOptions.ResponseFormat is ChatResponseFormatJson { Schema: not null })
        {
            chatOptions.ResponseFormat = Microsoft.Extensions.AI.ChatResponseFormat.Json;
        }
        else if (chatOptions.ResponseFormat is ChatResponseFormatJson { Schema: { } schema } json)
        {
            // Strict schema following: OpenAI (and OpenRouter/vLLM) then guarantee the answer parses.
            chatOptions.ResponseFormat = Microsoft.Extensions.AI.ChatResponseFormat.ForJsonSchema(schema, json.SchemaName ?? "response", json.SchemaDescription);
            chatOptions.AdditionalProperties ??= [];
            chatOptions.AdditionalProperties["strict"] = true;
        }

        if (Flavor != OpenAIProviderFlavor.OpenAI && maxTokens is { } max)
        {
            // max_completion_tokens is OpenAI's; DeepSeek, OpenRouter and local servers document max_tokens.
            chatOptions.MaxOutputTokens = null;
            raw.Add(o => o.Patch.Set("$.max_tokens"u8, max));
        }

        switch (Flavor)
        {
            case OpenAIProviderFlavor.OpenRouter:
                chatOptions.Reasoning = null;
                if (OpenRouterReasoning(parameters) is { } reasoning)
                {
                    raw.Add(o => o.Patch.Set("$.reasoning"u8, BinaryData.FromString(reasoning)));
                }

                break;
            case OpenAIProviderFlavor.DeepSeek:
                if (parameters.ReasoningEffort is null)
                {
                    chatOptions.Reasoning = null;
                }

                if (parameters.Think is { } think)
                {
                    raw.Add(o => o.Patch.Set("$.thinking"u8, BinaryData.FromString(think ? """{"type":"enabled"}""" : """{"type":"disabled"}""")));
                }

                break;
            default:
                // reasoning_effort is rejected by non-reasoning OpenAI models: send it only when asked for by name.
                if (parameters.ReasoningEffort is null)
                {
                    chatOptions.Reasoning = null;
                }

                break;
        }

        if (raw.Count > 0)
        {
            var previous = chatOptions.RawRepresentationFactory;
            chatOptions.RawRepresentationFactory = client =>
            {
                var o = previous?.Invoke(client) as ChatCompletionOptions ?? new ChatCompletionOptions();
                foreach (var apply in raw)
                {
                    apply(o);
                }

                return o;
            };
        }
    }

    /// <summary>OpenRouter's unified <c>reasoning</c> object from ART parameters; null sends nothing (model default).</summary>
    private static string? OpenRouterReasoning(ModelParameters parameters)
    {
        if (parameters.Think == false)
        {
            return """{"effort":"none"}""";
        }

        if (parameters.ReasoningEffort is { Length: > 0 } effort)
        {
            return "{\"effort\":" + System.Text.Json.JsonSerializer.Serialize(effort.ToLowerInvariant()) + "}";
        }

        if (parameters.ThinkingBudgetTokens is { } budget)
        {
            return "{\"max_tokens\":" + budget.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}";
        }

        return parameters.Think == true ? """{"enabled":true}""" : null;
    }

    protected override void ProcessUpdate(ChatResponseUpdate update, ChatStreamState state)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(state);
        if (update.RawRepresentation is StreamingChatCompletionUpdate raw)
        {
            // OpenRouter streams reasoning as delta.reasoning, which MEAI does not map (it maps reasoning_content).
            if (Flavor != OpenAIProviderFlavor.OpenAI
                && raw.Patch.TryGetValue("$.choices[0].delta.reasoning"u8, out string? reasoning) && !string.IsNullOrEmpty(reasoning))
            {
                state.AddThought(reasoning);
            }

            if (raw.Usage is { } usage)
            {
                ReadUsageExtras(usage, state);
            }
        }

        base.ProcessUpdate(update, state);
    }

    /// <summary>Cache hits, cache writes and cost that <see cref="UsageDetails"/> has no field for.</summary>
    private static void ReadUsageExtras(ChatTokenUsage usage, ChatStreamState state)
    {
        if (usage.Patch.TryGetValue("$.cost"u8, out decimal cost))
        {
            state.ProviderCost = cost;
        }

        if (usage.Patch.TryGetValue("$.prompt_cache_hit_tokens"u8, out long hits))
        {
            state.Items[CacheHitKey] = hits;
        }

        if (usage.InputTokenDetails is { } details && details.Patch.TryGetValue("$.cache_write_tokens"u8, out long writes))
        {
            state.Items[CacheWriteKey] = writes;
        }
    }

    private const string CacheHitKey = "openai.cacheHit";
    private const string CacheWriteKey = "openai.cacheWrite";

    protected override void CompleteStream(ChatStreamState state)
    {
        ArgumentNullException.ThrowIfNull(state);

        // NormalizeUsage sees only UsageDetails: carry this stream's extras over in its AdditionalCounts.
        if (state.Usage is { } usage)
        {
            usage.AdditionalCounts ??= [];
            if (state.Items.TryGetValue(CacheHitKey, out var hits) && hits is long h)
            {
                usage.AdditionalCounts[CacheHitKey] = h;
            }

            if (state.Items.TryGetValue(CacheWriteKey, out var writes) && writes is long w)
            {
                usage.AdditionalCounts[CacheWriteKey] = w;
            }
        }

    }

    protected override TokenUsage NormalizeUsage(UsageDetails usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var cached = usage.CachedInputTokenCount ?? 0;
        if (usage.AdditionalCounts?.TryGetValue(CacheHitKey, out var hits) == true)
        {
            // DeepSeek: prompt_cache_hit_tokens is the authoritative cached count (hit + miss = prompt_tokens).
            cached = hits;
        }

        var writes = usage.AdditionalCounts?.TryGetValue(CacheWriteKey, out var w) == true ? w : 0;
        return new TokenUsage
        {
            // OpenAI-style: prompt_tokens includes cached and cache-write tokens; completion_tokens includes reasoning.
            InputTokens = usage.InputTokenCount ?? 0,
            OutputTokens = usage.OutputTokenCount ?? 0,
            CachedInputTokens = cached,
            CacheWriteTokens = writes,
            ReasoningTokens = usage.ReasoningTokenCount ?? 0,
        };
    }

    protected override ProviderException ClassifyError(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (_classifier.Classify(exception) is { } classified)
        {
            return classified;
        }

        if (exception is ArgumentOutOfRangeException && exception.Message.Contains("FinishReason", StringComparison.Ordinal))
        {
            return new ProviderException(ProviderErrorKind.Transient, $"{ProviderName} instance '{InstanceId}' sent an unknown finish reason: {exception.Message}", ProviderName, InstanceId, innerException: exception);
        }

        return new ProviderException(ProviderErrorKind.BadRequest, $"{ProviderName} instance '{InstanceId}' failed: {exception.GetType().Name}: {exception.Message}".Replace(Config.ApiKey ?? "\0", "***", StringComparison.Ordinal), ProviderName, InstanceId, innerException: exception);
    }

    /// <summary>The provider's <c>GET /models</c>; OpenRouter's entries carry prices (per million) and context length.</summary>
    public override async Task<IReadOnlyList<ProviderModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseUri, "models"));
        if (!string.IsNullOrEmpty(Config.ApiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Config.ApiKey);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or System.Net.Sockets.SocketException)
        {
            throw ProviderErrors.FromTransportFailure(ex, ProviderName, InstanceId, Config.BaseUrl, UnreachableHint) ?? _classifier.Classify(ex)!;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw _classifier.FromResponse((int)response.StatusCode, body, ProviderErrors.ParseRetryAfter(response.Headers));
            }

            try
            {
                return OpenAIModelList.Parse(body);
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw new ProviderException(ProviderErrorKind.Transient, $"{ProviderName} instance '{InstanceId}' returned a model list that is not JSON: {ex.Message}", ProviderName, InstanceId, innerException: ex);
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
    }
}
