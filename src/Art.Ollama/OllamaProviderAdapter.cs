using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Tools;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OllamaSharp;
using OllamaSharp.Models;
using OllamaSharp.Models.Chat;
using OllamaSharp.Models.Exceptions;

namespace Art.Ollama;

/// <summary>
/// ART's adapter for one Ollama host, on the <b>native</b> API through OllamaSharp (not the <c>/v1</c> OpenAI shim, which
/// drops <c>thinking</c>, <c>keep_alive</c>, <c>num_ctx</c> and model management).
/// <para>
/// Why <see cref="OllamaApiClient.ChatAsync"/> and not OllamaSharp's <c>IChatClient</c>: the MEAI path cannot carry
/// <c>keep_alive</c> or <c>num_ctx</c> as first-class options, maps tool schemas through OllamaSharp's flat
/// <c>Parameters/Property</c> types (nested <c>items</c>/objects are lost), and hides <c>done_reason</c> values such as
/// <c>load</c>. The native request takes tools and <c>format</c> as raw JSON, <c>think</c> as bool or level, and the
/// stream exposes <c>thinking</c>, tool-call ids and the metrics of the final line directly.
/// </para>
/// <para>
/// Errors: an <see cref="OllamaHttpHandler"/> under OllamaSharp classifies statuses (404 model, 400 unsupported
/// tools/thinking, 503 queue full, 5xx) and connection failures, and guards NDJSON bodies so an in-stream
/// <c>{"error":…}</c> line or a garbled line fails the call; a stream without its <c>done:true</c> line is a failure too.
/// Abort by request id cancels that call's HTTP request (through the core <see cref="RequestRegistry"/>).
/// </para>
/// </summary>
public sealed class OllamaProviderAdapter : IProviderAdapter, IModelManagement, IRequestAbort, IModelDiscovery
{
    /// <summary>Default limit of an image fetched from a URL: 20 MB.</summary>
    public const long DefaultMaxImageBytes = ImageFetcher.DefaultMaxBytes;

    private readonly ProviderInstanceConfig _config;
    private readonly HttpClient _http;
    private readonly OllamaApiClient _client;
    private readonly IObservationManager? _observations;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RequestRegistry _requests = new();
    private readonly ConcurrentDictionary<string, bool> _canThink = new(StringComparer.Ordinal);
    private readonly Lazy<HttpClient> _imageHttp;

    public OllamaProviderAdapter(ProviderAdapterContext context, IObservationManager? observations = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        _config = context.Config;
        BaseUri = new Uri(NormalizeBaseUrl(_config.BaseUrl ?? OllamaProviderFactory.ResolveDefaultBaseUrl()) + "/");
        _observations = observations;
        _time = context.TimeProvider;
        _logger = (context.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<OllamaProviderAdapter>();
        var inner = context.HttpHandler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),

            // An abandoned stream must close its connection (Ollama then stops generating), not be drained for reuse.
            MaxResponseDrainSize = 0,
        };
        _http = new HttpClient(new OllamaHttpHandler(inner, BaseUri, _config.Id, _config.ApiKey, _time), disposeHandler: context.HttpHandler is null)
        {
            BaseAddress = BaseUri,

            // A local model can take minutes to load before the first byte; the engine owns time-to-first-token limits.
            Timeout = _config.RequestTimeout ?? Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrEmpty(_config.ApiKey))
        {
            // ollama.com (cloud) takes a bearer key; a local server ignores it.
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _config.ApiKey);
        }

        foreach (var (name, value) in _config.Headers ?? new Dictionary<string, string>())
        {
            _http.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
        }

        _client = new OllamaApiClient(_http, _config.Model ?? string.Empty);
        _imageHttp = new Lazy<HttpClient>(() => new HttpClient { Timeout = TimeSpan.FromSeconds(60) });
    }

    /// <inheritdoc />
    public string ProviderName => OllamaErrors.Provider;

    /// <inheritdoc />
    public string InstanceId => _config.Id;

    /// <summary>The Ollama server this adapter talks to (with a trailing slash).</summary>
    public Uri BaseUri { get; }

    /// <summary>Images fetched from URLs larger than this are refused (Ollama takes inline base64 only, and a huge image would be sent whole).</summary>
    public long MaxImageBytes { get; init; } = DefaultMaxImageBytes;

    /// <summary>Split <c>&lt;think&gt;</c> blocks out of content (models on servers that do not fill <c>thinking</c>). On by default.</summary>
    public bool SplitThinkTags { get; init; } = true;

    /// <summary>Remembers whether a model can think (from <see cref="ShowModelAsync"/>), so <c>think</c> is sent when the call does not say.</summary>
    public void SetThinkingCapability(string model, bool canThink) => _canThink[model] = canThink;

    // ---------------------------------------------------------------- chat

    /// <inheritdoc />
    public async IAsyncEnumerable<StreamEvent> StreamAsync(ArtPrompt prompt, CallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        var model = options.Model ?? _config.Model
            ?? throw new ProviderException(ProviderErrorKind.BadRequest, $"No model given for Ollama instance '{_config.Id}': set the instance's model or the call's model.", ProviderName, _config.Id);

        using var registration = Register(options.RequestId, cancellationToken);
        var token = registration?.Token ?? cancellationToken;
        var request = await BuildRequestAsync(prompt, options, model, token).ConfigureAwait(false);
        var splitter = SplitThinkTags ? new ThinkTagSplitter() : null;
        var split = new List<StreamEvent>();
        var callIndex = 0;
        var responseTag = Guid.NewGuid().ToString("N")[..8];
        var sawToolCall = false;
        ChatDoneResponseStream? done = null;
        var enumerator = _client.ChatAsync(request, token).GetAsyncEnumerator(token);
        try
        {
            while (true)
            {
                ChatResponseStream? chunk;
                try
                {
                    OllamaHttpHandler.CallToken.Value = token;
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    chunk = enumerator.Current;
                }
                catch (Exception ex) when (Translate(ex, token) is { } mapped)
                {
                    throw mapped;
                }

                if (chunk is null)
                {
                    continue;
                }

                if (chunk.Message is { } message)
                {
                    if (!string.IsNullOrEmpty(message.Thinking))
                    {
                        yield return new ThoughtDelta(message.Thinking);
                    }

                    if (!string.IsNullOrEmpty(message.Content))
                    {
                        if (splitter is null)
                        {
                            yield return new ContentDelta(message.Content);
                        }
                        else
                        {
                            split.Clear();
                            splitter.Push(message.Content, split);
                            foreach (var piece in split)
                            {
                                yield return piece;
                            }
                        }
                    }

                    foreach (var call in message.ToolCalls ?? [])
                    {
                        sawToolCall = true;
                        yield return new ToolCallRequested(MapToolCall(call, callIndex++, responseTag));
                    }
                }

                if (chunk is ChatDoneResponseStream final)
                {
                    done = final;
                }
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }

        if (done is null)
        {
            token.ThrowIfCancellationRequested();
            throw OllamaErrors.Interrupted("the stream ended without its final done:true line", _config.Id);
        }

        split.Clear();
        splitter?.Flush(split);
        foreach (var piece in split)
        {
            yield return piece;
        }

        yield return new UsageReported(new TokenUsage { InputTokens = Math.Max(0, done.PromptEvalCount), OutputTokens = Math.Max(0, done.EvalCount) })
        {
            // Local inference has no per-token price; the registry's Free pricing says the same for discovered models.
            ProviderCost = 0m,
        };
        yield return new Completed(MapFinish(done.DoneReason, sawToolCall), _config.Id, string.IsNullOrEmpty(done.Model) ? model : done.Model);
    }

    /// <inheritdoc />
    public Task<bool> AbortRequestAsync(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        return Task.FromResult(_requests.TryAbort(requestId));
    }

    /// <summary>Registers a call under its request id so <see cref="AbortRequestAsync"/> can stop it; null when the call has no id.</summary>
    private RequestRegistration? Register(string? requestId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(requestId))
        {
            return null;
        }

        try
        {
            return _requests.Register(requestId, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            throw new ProviderException(ProviderErrorKind.BadRequest, $"Request id '{requestId}' is already in flight.", ProviderName, _config.Id, innerException: ex);
        }
    }

    private static FinishReason MapFinish(string? doneReason, bool sawToolCall) => doneReason switch
    {
        _ when sawToolCall => FinishReason.ToolCalls, // Ollama says "stop" after tool calls
        null or "" or "stop" => FinishReason.Stop,
        "length" => FinishReason.Length,
        _ => FinishReason.Other, // "load", "unload"
    };

    private static ToolCall MapToolCall(Message.ToolCall call, int index, string responseTag)
    {
        var name = call.Function?.Name ?? string.Empty;
        var arguments = ArgumentsToJson(call.Function?.Arguments);

        // Servers before 0.12.10 send no id: synthesise one, unique per call and stable within the response.
        var id = string.IsNullOrEmpty(call.Id)
            ? "call_" + responseTag + "_" + index.ToString(CultureInfo.InvariantCulture)
            : call.Id;
        return new ToolCall(id, name, arguments);
    }

    private static JsonElement ArgumentsToJson(IDictionary<string, object?>? arguments)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in arguments ?? new Dictionary<string, object?>())
            {
                writer.WritePropertyName(key);
                switch (value)
                {
                    case JsonElement element:
                        element.WriteTo(writer);
                        break;
                    case null:
                        writer.WriteNullValue();
                        break;
                    default:
                        JsonSerializer.Serialize(writer, value, value.GetType(), ArtJson.Options);
                        break;
                }
            }

            writer.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(stream.ToArray());
        return doc.RootElement.Clone();
    }

    private async Task<ChatRequest> BuildRequestAsync(ArtPrompt prompt, CallOptions options, string model, CancellationToken cancellationToken)
    {
        var messages = new List<Message>(prompt.Messages.Count);
        var lastUser = -1;
        for (var i = 0; i < prompt.Messages.Count; i++)
        {
            if (prompt.Messages[i].Role == MessageRole.User)
            {
                lastUser = i;
            }
        }

        for (var i = 0; i < prompt.Messages.Count; i++)
        {
            var m = prompt.Messages[i];
            var images = i == lastUser && options.Images is { Count: > 0 } extra ? m.Images.Concat(extra).ToList() : m.Images;
            messages.Add(m.Role switch
            {
                MessageRole.System => new Message(ChatRole.System, m.Text ?? string.Empty),
                MessageRole.User => new Message(ChatRole.User, m.Text ?? string.Empty)
                {
                    Images = images.Count == 0 ? null : await ToBase64Async(images, cancellationToken).ConfigureAwait(false),
                },
                MessageRole.Assistant => new Message(ChatRole.Assistant, m.Text ?? string.Empty)
                {
                    Thinking = m.Thoughts.Count == 0 ? null : string.Concat(m.Thoughts.Select(t => t.Text)),
                    ToolCalls = m.ToolCalls.Count == 0 ? null : m.ToolCalls.Select(ToOllamaToolCall).ToList(),
                },
                MessageRole.Tool => new Message(ChatRole.Tool, m.Text ?? string.Empty) { ToolName = m.ToolName },
                _ => throw new ProviderException(ProviderErrorKind.BadRequest, $"Unknown message role {m.Role}.", ProviderName, _config.Id),
            });
        }

        if (lastUser < 0 && options.Images is { Count: > 0 } orphanImages)
        {
            messages.Add(new Message(ChatRole.User, string.Empty) { Images = await ToBase64Async(orphanImages, cancellationToken).ConfigureAwait(false) });
        }

        var p = ModelParameters.Merge(_config.Parameters, options.Parameters);
        var request = new ChatRequest
        {
            Model = model,
            Messages = messages,
            Stream = true,
            Tools = options.Tools is { Count: > 0 } tools ? tools.Select(ToolToJson).Cast<object>().ToList() : null,
            Format = options.ResponseSchema is { } schema ? schema : null,
            KeepAlive = NormalizeKeepAlive(p.KeepAlive),
            Think = ResolveThink(p, model),
            Options = MapOptions(p),
        };
        return request;
    }

    private ThinkValue? ResolveThink(ModelParameters p, string model)
    {
        if (p.ReasoningEffort is { Length: > 0 } effort && p.Think != false)
        {
            return new ThinkValue(effort.ToLowerInvariant());
        }

        if (p.Think is { } think)
        {
            return think;
        }

        // Not asked: send think:true only when /api/show said the model thinks (older servers then split it out).
        return _canThink.TryGetValue(model, out var can) && can ? true : null;
    }

    private static RequestOptions? MapOptions(ModelParameters p)
    {
        var o = new RequestOptions
        {
            Temperature = p.Temperature is { } t ? (float)t : null,
            TopP = p.TopP is { } tp ? (float)tp : null,
            TopK = p.TopK,
            NumPredict = p.MaxOutputTokens,
            NumCtx = p.ContextSize,
            Stop = p.StopSequences is { Count: > 0 } stops ? stops.ToArray() : null,
            Seed = p.Seed is { } seed ? (int)Math.Clamp(seed, int.MinValue, int.MaxValue) : null, // Ollama takes an int seed
            PresencePenalty = p.PresencePenalty is { } pp ? (float)pp : null,
            FrequencyPenalty = p.FrequencyPenalty is { } fp ? (float)fp : null,
        };
        var any = o.Temperature is not null || o.TopP is not null || o.TopK is not null || o.NumPredict is not null || o.NumCtx is not null
            || o.Stop is not null || o.Seed is not null || o.PresencePenalty is not null || o.FrequencyPenalty is not null;
        return any ? o : null;
    }

    /// <summary>Ollama takes a Go duration or seconds; a bare number ("-1", "300") is seconds, which Go's parser needs a unit for.</summary>
    internal static string? NormalizeKeepAlive(string? keepAlive)
    {
        if (string.IsNullOrWhiteSpace(keepAlive))
        {
            return null;
        }

        var trimmed = keepAlive.Trim();
        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? trimmed + "s" : trimmed;
    }

    private static JsonElement ToolToJson(ToolSchema tool)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "function");
            writer.WriteStartObject("function");
            writer.WriteString("name", tool.Name);
            writer.WriteString("description", tool.Description);
            writer.WritePropertyName("parameters");
            tool.InputSchema.WriteTo(writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(stream.ToArray());
        return doc.RootElement.Clone();
    }

    private static Message.ToolCall ToOllamaToolCall(ToolCall call)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (call.Arguments.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in call.Arguments.EnumerateObject())
            {
                arguments[property.Name] = property.Value.Clone();
            }
        }

        return new Message.ToolCall { Id = call.Id, Function = new Message.Function { Name = call.Name, Arguments = arguments } };
    }

    private async Task<string[]> ToBase64Async(IReadOnlyList<ImageInput> images, CancellationToken cancellationToken)
    {
        var result = new string[images.Count];
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i];
            result[i] = image.Kind == ImageInputKind.Url
                ? await FetchImageAsync(image.Url!, cancellationToken).ConfigureAwait(false)
                : image.GetBase64()!;
        }

        return result;
    }

    private async Task<string> FetchImageAsync(Uri url, CancellationToken cancellationToken)
    {
        // Its own HttpClient, not _http: an image host's failure is the caller's bad input, not Ollama being unreachable.
        var (bytes, _) = await ImageFetcher.FetchAsync(_imageHttp.Value, url, ProviderName, _config.Id, MaxImageBytes, cancellationToken).ConfigureAwait(false);
        return Convert.ToBase64String(bytes);
    }

    private Exception? Translate(Exception ex, CancellationToken token)
    {
        if (token.IsCancellationRequested)
        {
            // Whatever the cut connection looked like underneath, a cancelled call surfaces as cancellation.
            return ex is OperationCanceledException ? null : new OperationCanceledException("The Ollama call was cancelled.", ex, token);
        }

        return ex switch
        {
            ProviderException => null,
            OperationCanceledException when !token.IsCancellationRequested => new ProviderException(ProviderErrorKind.Transient, $"Ollama at {BaseUri} did not answer in time.", ProviderName, _config.Id, innerException: ex),
            HttpRequestException http => OllamaErrors.Unreachable(BaseUri, _config.Id, http),
            JsonException json => OllamaErrors.Malformed(json.Message, _config.Id, json),
            IOException io => OllamaErrors.Interrupted(io.Message, _config.Id, io),
            OllamaException ollama => OllamaErrors.FromStreamLine(ollama.Message, _config.Id),
            _ => null,
        };
    }

    // ---------------------------------------------------------------- models

    /// <inheritdoc />
    public async Task<IReadOnlyList<ProviderModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        var models = await CallAsync(() => _client.ListLocalModelsAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        return models.Select(m => new ProviderModelInfo
        {
            Name = m.Name,
            SizeBytes = m.Size,
            ModifiedAt = ToOffset(m.ModifiedAt),
            Digest = m.Digest,
            Pricing = ModelPricing.Free,
            Details = DetailsOf(m.Details),
        }).ToList();
    }

    /// <inheritdoc />
    public async Task<ProviderModelDetails> ShowModelAsync(string model, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        var show = await CallAsync(() => _client.ShowModelAsync(new ShowModelRequest { Model = model }, cancellationToken), cancellationToken).ConfigureAwait(false);
        var raw = show.Capabilities ?? [];
        var has = new HashSet<string>(raw, StringComparer.OrdinalIgnoreCase);
        var capabilities = new Dictionary<ModelCapability, bool>
        {
            [ModelCapability.Text] = has.Contains("completion"),
            [ModelCapability.Vision] = has.Contains("vision"),
            [ModelCapability.ToolUse] = has.Contains("tools"),
            [ModelCapability.Reasoning] = has.Contains("thinking"),
            [ModelCapability.Streaming] = has.Contains("completion"),

            // Every chat model honours `format` (grammar-constrained sampling in the runner).
            [ModelCapability.JsonOutput] = has.Contains("completion"),
        };
        if (raw.Length == 0)
        {
            // Servers before 0.6.4 send no capabilities: we know nothing, which is not "no".
            capabilities.Clear();
        }
        else
        {
            _canThink[model] = has.Contains("thinking");
        }

        return new ProviderModelDetails
        {
            Name = model,
            Capabilities = capabilities,
            RawCapabilities = raw,
            ContextWindow = ContextLength(show.Info),
            Family = show.Details?.Family,
            ParameterSize = show.Details?.ParameterSize,
            QuantizationLevel = show.Details?.QuantizationLevel,
            Details = DetailsOf(show.Details),
        };
    }

    /// <inheritdoc />
    public async Task<Art.Models.ModelInfo> DiscoverModelAsync(string modelId, CancellationToken cancellationToken = default)
    {
        var details = await ShowModelAsync(modelId, cancellationToken).ConfigureAwait(false);
        return new Art.Models.ModelInfo
        {
            Provider = ProviderName,
            ModelId = modelId,
            DisplayName = details.ParameterSize is null ? modelId : $"{modelId} ({details.ParameterSize}{(details.QuantizationLevel is null ? string.Empty : ", " + details.QuantizationLevel)})",
            Capabilities = details.Capabilities,
            ContextWindow = details.ContextWindow,

            // Local inference costs nothing per token.
            Pricing = ModelPricing.Free,
            Source = ModelInfoSource.Discovered,
            UpdatedAt = _time.GetUtcNow(),
        };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunningModelInfo>> ListRunningModelsAsync(CancellationToken cancellationToken = default)
    {
        var running = await CallAsync(() => _client.ListRunningModelsAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        return running.Select(m => new RunningModelInfo
        {
            Name = m.Name,
            SizeBytes = m.Size,
            SizeVramBytes = m.SizeVram,
            ExpiresAt = m.ExpiresAt == default ? null : ToOffset(m.ExpiresAt),
            ContextLength = m.ContextLength > 0 ? m.ContextLength : null,
        }).ToList();
    }

    /// <inheritdoc />
    public async Task PullModelAsync(string model, PullModelOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        options ??= new PullModelOptions();
        var started = _time.GetTimestamp();
        await ObserveAsync(ObservationType.ModelPullStart, new { model, instanceId = _config.Id }, model, options.ThreadId).ConfigureAwait(false);

        var aggregator = new OllamaPullProgressAggregator();
        PullProgress? last = null;
        string? lastReportedStatus = null;
        long lastReportAt = 0;
        try
        {
            var request = new PullModelRequest { Model = model, Insecure = options.Insecure, Stream = true };
            var enumerator = _client.PullModelAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    try
                    {
                        OllamaHttpHandler.CallToken.Value = cancellationToken;
                        if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                    catch (Exception ex) when (Translate(ex, cancellationToken) is { } mapped)
                    {
                        throw mapped;
                    }

                    if (enumerator.Current is not { } line || line.Status is null)
                    {
                        continue;
                    }

                    last = aggregator.Add(line.Status, line.Digest, line.Total, line.Completed);
                    var now = _time.GetTimestamp();
                    var statusChanged = !string.Equals(line.Status, lastReportedStatus, StringComparison.Ordinal);
                    if (statusChanged || last.IsComplete || _time.GetElapsedTime(lastReportAt, now) >= options.ProgressInterval)
                    {
                        lastReportedStatus = line.Status;
                        lastReportAt = now;
                        options.Progress?.Report(last);
                        await ObserveAsync(ObservationType.ModelPullProgress, last, model, options.ThreadId).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }

            if (!aggregator.Succeeded)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw OllamaErrors.Interrupted($"the pull of '{model}' ended without 'success' (last status: {aggregator.Status ?? "none"})", _config.Id);
            }

            await ObserveAsync(ObservationType.ModelPullEnd, new { model, instanceId = _config.Id, success = true, totalBytes = last?.TotalBytes, durationMs = _time.GetElapsedTime(started).TotalMilliseconds }, model, options.ThreadId).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ProviderException or OperationCanceledException)
        {
            var cancelled = ex is OperationCanceledException;
            await ObserveAsync(ObservationType.ModelPullEnd, new { model, instanceId = _config.Id, success = false, cancelled, error = cancelled ? "cancelled" : ex.Message, completedBytes = last?.CompletedBytes, totalBytes = last?.TotalBytes, durationMs = _time.GetElapsedTime(started).TotalMilliseconds }, model, options.ThreadId).ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task DeleteModelAsync(string model, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        await ObserveAsync(ObservationType.ModelDeleteAttempt, new { model, instanceId = _config.Id }, model, null).ConfigureAwait(false);
        try
        {
            await CallAsync(
                async () =>
                {
                    await _client.DeleteModelAsync(new DeleteModelRequest { Model = model }, cancellationToken).ConfigureAwait(false);
                    return true;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (ProviderException ex)
        {
            await ObserveAsync(ObservationType.ModelDeleteResult, new { model, instanceId = _config.Id, success = false, errorKind = ex.Kind, error = ex.Message }, model, null).ConfigureAwait(false);
            throw;
        }

        _canThink.TryRemove(model, out _);
        await ObserveAsync(ObservationType.ModelDeleteResult, new { model, instanceId = _config.Id, success = true }, model, null).ConfigureAwait(false);
    }

    private async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    private async Task ObserveAsync<T>(ObservationType type, T content, string model, string? threadId)
    {
        if (_observations is null)
        {
            return;
        }

        try
        {
            await _observations.RecordAsync(NewObservation.Create(type, content, threadId: threadId, instanceId: _config.Id, modelId: model), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // An observation store failing must not fail the pull or delete it describes.
            _logger.LogWarning(ex, "Could not record {ObservationType} for {Model} on {InstanceId}", type, model, _config.Id);
        }
    }

    private static int? ContextLength(OllamaSharp.Models.ModelInfo? info)
    {
        if (info?.ExtraInfo is not { } extra)
        {
            return null;
        }

        var architecture = info.Architecture;
        if (architecture is not null && extra.TryGetValue(architecture + ".context_length", out var value) && ToInt(value) is { } exact)
        {
            return exact;
        }

        foreach (var (key, candidate) in extra)
        {
            if (key.EndsWith(".context_length", StringComparison.Ordinal) && ToInt(candidate) is { } any)
            {
                return any;
            }
        }

        return null;
    }

    private static int? ToInt(object? value) => value switch
    {
        JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt64(out var l) => (int)Math.Min(l, int.MaxValue),
        int i => i,
        long l => (int)Math.Min(l, int.MaxValue),
        _ => null,
    };

    private static Dictionary<string, string>? DetailsOf(Details? details)
    {
        if (details is null)
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(details.Family))
        {
            result["family"] = details.Family;
        }

        if (!string.IsNullOrEmpty(details.ParameterSize))
        {
            result["parameter_size"] = details.ParameterSize;
        }

        if (!string.IsNullOrEmpty(details.QuantizationLevel))
        {
            result["quantization_level"] = details.QuantizationLevel;
        }

        if (!string.IsNullOrEmpty(details.Format))
        {
            result["format"] = details.Format;
        }

        return result;
    }

    private static DateTimeOffset ToOffset(DateTime time) =>
        time.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)) : new DateTimeOffset(time.ToUniversalTime());

    /// <summary>Trims a trailing slash and a pasted <c>/v1</c> or <c>/api</c> (the native API lives at the root).</summary>
    internal static string NormalizeBaseUrl(string baseUrl)
    {
        var url = baseUrl.Trim().TrimEnd('/');
        foreach (var suffix in new[] { "/v1", "/api" })
        {
            if (url.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                url = url[..^suffix.Length];
            }
        }

        return url;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _requests.AbortAll();

        _client.Dispose();
        _http.Dispose();
        if (_imageHttp.IsValueCreated)
        {
            _imageHttp.Value.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
