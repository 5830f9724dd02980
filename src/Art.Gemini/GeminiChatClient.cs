using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Art.Models;
using Art.Reasoning;
using Microsoft.Extensions.AI;

namespace Art.Gemini;

/// <summary>
/// A small <see cref="IChatClient"/> over the Gemini REST API (no Gemini .NET package restores here):
/// <c>POST /v1beta/models/{model}:generateContent</c>, <c>:streamGenerateContent?alt=sse</c> and <c>GET /v1beta/models</c>,
/// with the key in the <c>x-goog-api-key</c> header (never in the URL).
/// Thought parts come out as <see cref="TextReasoningContent"/> (never as text), <c>thoughtSignature</c>s are kept in
/// <see cref="TextReasoningContent.ProtectedData"/> or in a content's AdditionalProperties
/// (<see cref="GeminiRequestBuilder.ThoughtSignatureKey"/>) so they can be sent back, usage is normalised
/// (output = candidates + thoughts). Errors are thrown as <see cref="GeminiApiException"/>.
/// </summary>
public sealed class GeminiChatClient : IChatClient
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly GeminiChatClientOptions _options;
    private readonly ChatClientMetadata _metadata;

    /// <param name="options">Endpoint, key and limits.</param>
    /// <param name="httpClient">The client to send with; one is created (and owned) when null.</param>
    /// <param name="ownsHttpClient">Whether <see cref="Dispose"/> disposes a given <paramref name="httpClient"/>.</param>
    public GeminiChatClient(GeminiChatClientOptions options, HttpClient? httpClient = null, bool ownsHttpClient = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _ownsHttp = httpClient is null || ownsHttpClient;
        _http = httpClient ?? new HttpClient();
        _metadata = new ChatClientMetadata("gemini", options.BaseUrl, options.DefaultModel);
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (model, body) = await PrepareAsync(messages, options, cancellationToken).ConfigureAwait(false);
        using var request = CreateRequest(HttpMethod.Post, $"models/{model}:generateContent", body);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        using var document = ParseJson(text);
        var state = new ResponseState();
        var update = ReadChunk(document.RootElement, state);
        var message = new ChatMessage(ChatRole.Assistant, update.Contents) { RawRepresentation = document.RootElement.Clone(), MessageId = state.ResponseId };
        var result = new ChatResponse(message)
        {
            ResponseId = state.ResponseId,
            ModelId = state.ModelVersion ?? model,
            FinishReason = FinishReason(state),
            Usage = state.Usage,
            RawRepresentation = document.RootElement.Clone(),
        };
        ThrowIfBlocked(state);
        return result;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (model, body) = await PrepareAsync(messages, options, cancellationToken).ConfigureAwait(false);
        using var request = CreateRequest(HttpMethod.Post, $"models/{model}:streamGenerateContent?alt=sse", body);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var state = new ResponseState();
            await foreach (var data in ReadEventsAsync(stream, cancellationToken).ConfigureAwait(false))
            {
                if (string.IsNullOrWhiteSpace(data))
                {
                    continue;
                }

                using var document = ParseJson(data);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
                {
                    throw ErrorFrom(error, null);
                }

                var update = ReadChunk(root, state);
                update.ModelId ??= model;
                if (update.Contents.Count > 0)
                {
                    yield return update;
                }
            }

            ThrowIfBlocked(state);
            if (state.FinishReason is null)
            {
                throw new GeminiApiException("The Gemini stream ended before its final chunk (no finishReason): the connection was cut or the body truncated.") { IsIncompleteStream = true };
            }

            var last = new ChatResponseUpdate
            {
                Role = ChatRole.Assistant,
                ResponseId = state.ResponseId,
                MessageId = state.ResponseId,
                ModelId = state.ModelVersion ?? model,
                FinishReason = FinishReason(state),
                AdditionalProperties = new AdditionalPropertiesDictionary { ["gemini.finishReason"] = state.FinishReason },
            };
            if (state.Usage is { } usage)
            {
                last.Contents.Add(new UsageContent(usage));
            }

            yield return last;
        }
    }

    /// <summary>The models of <c>GET /v1beta/models</c>, following page tokens.</summary>
    public async Task<IReadOnlyList<ProviderModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<ProviderModelInfo>();
        string? pageToken = null;
        var pages = 0;
        do
        {
            var path = "models?pageSize=1000" + (pageToken is null ? string.Empty : "&pageToken=" + Uri.EscapeDataString(pageToken));
            using var request = CreateRequest(HttpMethod.Get, path, null);
            using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            using var document = ParseJson(text);
            var root = document.RootElement;
            if (root.TryGetProperty("models", out var models) && models.ValueKind == JsonValueKind.Array)
            {
                foreach (var model in models.EnumerateArray())
                {
                    result.Add(ReadModel(model));
                }
            }

            pageToken = root.TryGetProperty("nextPageToken", out var next) && next.ValueKind == JsonValueKind.String && next.GetString() is { Length: > 0 } token ? token : null;
        }
        while (pageToken is not null && ++pages < 100);

        return result;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    /// <summary>Reads SSE events; a cut connection surfaces as an incomplete stream, not as a clean end.</summary>
    private static async IAsyncEnumerable<string> ReadEventsAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var enumerator = ServerSentEventParser.ReadAsync(stream, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (enumerator.ConfigureAwait(false))
        {
            while (true)
            {
                string data;
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }

                    data = enumerator.Current;
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                {
                    throw new GeminiApiException("The Gemini stream broke: " + ex.Message, ex) { IsIncompleteStream = true };
                }

                yield return data;
            }
        }
    }

    private static ProviderModelInfo ReadModel(JsonElement model)
    {
        var name = model.TryGetProperty("name", out var n) ? n.GetString() ?? string.Empty : string.Empty;
        if (name.StartsWith("models/", StringComparison.Ordinal))
        {
            name = name["models/".Length..];
        }

        int? input = model.TryGetProperty("inputTokenLimit", out var i) && i.TryGetInt32(out var iv) ? iv : null;
        int? output = model.TryGetProperty("outputTokenLimit", out var o) && o.TryGetInt32(out var ov) ? ov : null;
        var methods = model.TryGetProperty("supportedGenerationMethods", out var m) && m.ValueKind == JsonValueKind.Array
            ? m.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToArray()
            : [];
        var details = new Dictionary<string, string>(StringComparer.Ordinal) { ["supportedGenerationMethods"] = string.Join(",", methods) };
        foreach (var key in new[] { "version", "description" })
        {
            if (model.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String)
            {
                details[key] = v.GetString()!;
            }
        }

        var capabilities = new Dictionary<ModelCapability, bool>();
        if (model.TryGetProperty("thinking", out var thinking) && thinking.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            capabilities[ModelCapability.Reasoning] = thinking.GetBoolean();
        }

        return new ProviderModelInfo
        {
            Name = name,
            DisplayName = model.TryGetProperty("displayName", out var d) ? d.GetString() : null,

            // The context window is what the prompt may hold: Gemini's inputTokenLimit (output has its own limit).
            ContextWindow = input,
            MaxOutputTokens = output,
            Capabilities = capabilities.Count == 0 ? null : capabilities,
            Details = details,
        };
    }

    private async Task<(string Model, string Body)> PrepareAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var model = options?.ModelId ?? _options.DefaultModel ?? throw new InvalidOperationException("No Gemini model given: set ChatOptions.ModelId or a default model.");
        if (model.StartsWith("models/", StringComparison.Ordinal))
        {
            model = model["models/".Length..];
        }

        var images = await FetchImagesAsync(list, cancellationToken).ConfigureAwait(false);
        var body = GeminiRequestBuilder.Build(list, options, images).ToJsonString();
        return (Uri.EscapeDataString(model), body);
    }

    /// <summary>Gemini takes no image URLs (only inline data or uploaded files): download them, within a size limit.</summary>
    private async Task<Dictionary<Uri, DataContent>?> FetchImagesAsync(IList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        Dictionary<Uri, DataContent>? result = null;
        foreach (var uri in messages.SelectMany(m => m.Contents).OfType<UriContent>())
        {
            if (result?.ContainsKey(uri.Uri) == true || uri.Uri.Scheme is not ("http" or "https"))
            {
                continue;
            }

            // No API key on this request: the image host is not Google.
            using var request = new HttpRequestMessage(HttpMethod.Get, uri.Uri);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new GeminiApiException($"Could not download the image at {uri.Uri}: HTTP {(int)response.StatusCode}.", HttpStatusCode.BadRequest, "INVALID_ARGUMENT", "IMAGE_DOWNLOAD_FAILED");
            }

            var bytes = await ImageFetcher.ReadBoundedAsync(response, _options.MaxImageBytes, () => TooLarge(uri.Uri), cancellationToken).ConfigureAwait(false);

            // A concrete type given by the caller wins; a wildcard (image/*) or none defers to what the host says.
            var mediaType = uri.MediaType is { Length: > 0 } given && !given.Contains('*', StringComparison.Ordinal) && given != "application/octet-stream" ? given
                : response.Content.Headers.ContentType?.MediaType is { Length: > 0 } served && served != "application/octet-stream" ? served
                : ImageInput.MediaTypeFromExtension(Path.GetExtension(uri.Uri.AbsolutePath)) ?? "image/jpeg";
            (result ??= [])[uri.Uri] = new DataContent(bytes, mediaType);
        }

        return result;
    }

    private GeminiApiException TooLarge(Uri uri) =>
        new($"The image at {uri} is larger than the {_options.MaxImageBytes} bytes Gemini can take inline.", HttpStatusCode.BadRequest, "INVALID_ARGUMENT", "IMAGE_TOO_LARGE");

    private HttpRequestMessage CreateRequest(HttpMethod method, string relative, string? body)
    {
        var root = _options.BaseUrl.ToString().TrimEnd('/');
        var request = new HttpRequestMessage(method, new Uri($"{root}/{_options.ApiVersion}/{relative}"));
        if (!string.IsNullOrEmpty(_options.ApiKey))
        {
            request.Headers.TryAddWithoutValidation("x-goog-api-key", _options.ApiKey);
        }

        foreach (var (name, value) in _options.Headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        var response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw ErrorFromBody(text, response.StatusCode);
        }
    }

    /// <summary>Reads a google.rpc Status error body (also the array form <c>[{"error":…}]</c>); unreadable bodies keep their first characters.</summary>
    public static GeminiApiException ErrorFromBody(string body, HttpStatusCode statusCode)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0)
            {
                root = root[0];
            }

            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                return ErrorFrom(error, statusCode);
            }
        }
        catch (JsonException)
        {
        }

        var snippet = body.Length > 300 ? body[..300] + "…" : body;
        return new GeminiApiException($"Gemini returned HTTP {(int)statusCode}: {snippet}", statusCode);
    }

    private static GeminiApiException ErrorFrom(JsonElement error, HttpStatusCode? statusCode)
    {
        var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "Gemini error";
        var status = error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        if (statusCode is null && error.TryGetProperty("code", out var c) && c.TryGetInt32(out var code))
        {
            statusCode = (HttpStatusCode)code;
        }

        string? reason = null;
        TimeSpan? retry = null;
        var quotaIds = new List<string>();
        if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
        {
            foreach (var detail in details.EnumerateArray())
            {
                var type = detail.TryGetProperty("@type", out var t) ? t.GetString() ?? string.Empty : string.Empty;
                if (type.EndsWith("google.rpc.ErrorInfo", StringComparison.Ordinal) && detail.TryGetProperty("reason", out var r))
                {
                    reason = r.GetString();
                }
                else if (type.EndsWith("google.rpc.RetryInfo", StringComparison.Ordinal) && detail.TryGetProperty("retryDelay", out var d))
                {
                    retry = ParseDuration(d);
                }
                else if (type.EndsWith("google.rpc.QuotaFailure", StringComparison.Ordinal) && detail.TryGetProperty("violations", out var violations) && violations.ValueKind == JsonValueKind.Array)
                {
                    foreach (var violation in violations.EnumerateArray())
                    {
                        if (violation.TryGetProperty("quotaId", out var q) && q.ValueKind == JsonValueKind.String)
                        {
                            quotaIds.Add(q.GetString()!);
                        }
                    }
                }
            }
        }

        return new GeminiApiException(message, statusCode, status, reason, retry) { QuotaIds = quotaIds };
    }

    /// <summary>A protobuf Duration in JSON: <c>"7s"</c>, <c>"1.5s"</c> (or an object with seconds/nanos).</summary>
    public static TimeSpan? ParseDuration(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!.Trim();
            if (text.EndsWith('s') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            {
                return TimeSpan.FromSeconds(seconds);
            }

            return null;
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            var secs = value.TryGetProperty("seconds", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : s.ValueKind == JsonValueKind.String ? double.Parse(s.GetString()!, CultureInfo.InvariantCulture) : 0;
            var nanos = value.TryGetProperty("nanos", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetDouble() : 0;
            return TimeSpan.FromSeconds(secs + (nanos / 1e9));
        }

        return null;
    }

    private static JsonDocument ParseJson(string text)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            var snippet = text.Length > 200 ? text[..200] + "…" : text;
            throw new GeminiApiException("Gemini sent a body that is not JSON: " + snippet, ex) { IsIncompleteStream = true };
        }
    }

    private static void ThrowIfBlocked(ResponseState state)
    {
        if (state.BlockReason is { } block)
        {
            throw new GeminiApiException($"Gemini blocked the prompt (blockReason {block}).", HttpStatusCode.OK, "BLOCKED", block) { IsContentFilter = true };
        }
    }

    private static ChatFinishReason? FinishReason(ResponseState state) => state.FinishReason switch
    {
        null => state.BlockReason is null ? null : ChatFinishReason.ContentFilter,
        "STOP" => state.SawFunctionCall ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
        "MAX_TOKENS" => ChatFinishReason.Length,
        "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" or "IMAGE_PROHIBITED_CONTENT" or "IMAGE_RECITATION" => ChatFinishReason.ContentFilter,
        var other => new ChatFinishReason(other.ToLowerInvariant()),
    };

    /// <summary>Maps one GenerateContentResponse (a whole answer, or one stream chunk) to an update and folds its metadata into <paramref name="state"/>.</summary>
    internal static ChatResponseUpdate ReadChunk(JsonElement root, ResponseState state)
    {
        var update = new ChatResponseUpdate { Role = ChatRole.Assistant, RawRepresentation = root.Clone() };
        if (root.TryGetProperty("responseId", out var id) && id.ValueKind == JsonValueKind.String)
        {
            state.ResponseId = id.GetString();
            update.ResponseId = state.ResponseId;
            update.MessageId = state.ResponseId;
        }

        if (root.TryGetProperty("modelVersion", out var version) && version.ValueKind == JsonValueKind.String)
        {
            state.ModelVersion = version.GetString();
            update.ModelId = state.ModelVersion;
        }

        if (root.TryGetProperty("promptFeedback", out var feedback) && feedback.TryGetProperty("blockReason", out var block) && block.ValueKind == JsonValueKind.String)
        {
            state.BlockReason = block.GetString();
        }

        if (root.TryGetProperty("usageMetadata", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            state.Usage = ReadUsage(usage);
        }

        if (root.TryGetProperty("candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array && candidates.GetArrayLength() > 0)
        {
            var candidate = candidates[0];
            if (candidate.TryGetProperty("finishReason", out var finish) && finish.ValueKind == JsonValueKind.String)
            {
                state.FinishReason = finish.GetString();
            }

            if (candidate.TryGetProperty("content", out var content) && content.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
            {
                foreach (var part in parts.EnumerateArray())
                {
                    ReadPart(part, update, state);
                }
            }
        }

        return update;
    }

    private static void ReadPart(JsonElement part, ChatResponseUpdate update, ResponseState state)
    {
        var signature = part.TryGetProperty("thoughtSignature", out var sig) && sig.ValueKind == JsonValueKind.String ? sig.GetString() : null;
        var isThought = part.TryGetProperty("thought", out var thought) && thought.ValueKind == JsonValueKind.True;
        if (part.TryGetProperty("functionCall", out var call) && call.ValueKind == JsonValueKind.Object)
        {
            state.SawFunctionCall = true;
            var name = call.TryGetProperty("name", out var n) ? n.GetString() ?? string.Empty : string.Empty;
            var callId = call.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String && i.GetString() is { Length: > 0 } given
                ? given
                : GeminiRequestBuilder.SyntheticCallIdPrefix + Guid.NewGuid().ToString("N")[..16];
            var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (call.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in args.EnumerateObject())
                {
                    arguments[property.Name] = property.Value.Clone();
                }
            }

            var functionCall = new FunctionCallContent(callId, name, arguments) { RawRepresentation = part.Clone() };
            if (signature is not null)
            {
                functionCall.AdditionalProperties = new AdditionalPropertiesDictionary { [GeminiRequestBuilder.ThoughtSignatureKey] = signature };
            }

            update.Contents.Add(functionCall);
            return;
        }

        if (part.TryGetProperty("text", out var textElement) && textElement.ValueKind == JsonValueKind.String)
        {
            var text = textElement.GetString() ?? string.Empty;
            if (isThought)
            {
                update.Contents.Add(new TextReasoningContent(text) { ProtectedData = signature, RawRepresentation = part.Clone() });
                return;
            }

            if (signature is not null)
            {
                // The signature of the thinking that led to this answer part: kept as an empty signed reasoning item
                // right before the text, which the request builder folds back onto the text part.
                update.Contents.Add(new TextReasoningContent(string.Empty) { ProtectedData = signature });
            }

            if (text.Length > 0)
            {
                var content = new TextContent(text) { RawRepresentation = part.Clone() };
                if (signature is not null)
                {
                    content.AdditionalProperties = new AdditionalPropertiesDictionary { [GeminiRequestBuilder.ThoughtSignatureKey] = signature };
                }

                update.Contents.Add(content);
            }

            return;
        }

        if (signature is not null)
        {
            // A bare signature part.
            update.Contents.Add(new TextReasoningContent(string.Empty) { ProtectedData = signature });
        }

        if (part.TryGetProperty("inlineData", out var inline) && inline.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String)
        {
            var mime = inline.TryGetProperty("mimeType", out var mt) ? mt.GetString() ?? "application/octet-stream" : "application/octet-stream";
            update.Contents.Add(new DataContent(System.Convert.FromBase64String(data.GetString()!), mime));
        }
    }

    private static UsageDetails ReadUsage(JsonElement usage)
    {
        long Get(string name) => usage.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : 0;
        var prompt = Get("promptTokenCount");
        var toolPrompt = Get("toolUsePromptTokenCount");
        var candidates = Get("candidatesTokenCount");
        var thoughts = Get("thoughtsTokenCount");
        var cached = Get("cachedContentTokenCount");
        var details = new UsageDetails
        {
            // Normalised like ART's TokenUsage: thoughts are separate from candidates on Gemini, so output adds them.
            InputTokenCount = prompt + toolPrompt,
            OutputTokenCount = candidates + thoughts,
            ReasoningTokenCount = thoughts,
            CachedInputTokenCount = cached,
            TotalTokenCount = usage.TryGetProperty("totalTokenCount", out var total) && total.TryGetInt64(out var t) ? t : prompt + toolPrompt + candidates + thoughts,
            AdditionalCounts = new AdditionalPropertiesDictionary<long>
            {
                ["gemini.promptTokenCount"] = prompt,
                ["gemini.candidatesTokenCount"] = candidates,
                ["gemini.thoughtsTokenCount"] = thoughts,
                ["gemini.cachedContentTokenCount"] = cached,
                ["gemini.toolUsePromptTokenCount"] = toolPrompt,
            },
        };
        return details;
    }

    /// <summary>What a response or a stream has said so far.</summary>
    internal sealed class ResponseState
    {
        public string? ResponseId { get; set; }

        public string? ModelVersion { get; set; }

        public string? FinishReason { get; set; }

        public string? BlockReason { get; set; }

        public bool SawFunctionCall { get; set; }

        public UsageDetails? Usage { get; set; }
    }
}
