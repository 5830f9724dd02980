using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Art.Testing.Servers;

/// <summary>
/// A loopback fake of the Anthropic Messages API (<c>POST /v1/messages</c>, <c>GET /v1/models</c>). It speaks the
/// documented wire format: named SSE events (<c>message_start</c> with usage, <c>content_block_*</c> with
/// <c>text_delta</c>/<c>thinking_delta</c>/<c>signature_delta</c>/<c>input_json_delta</c>, <c>message_delta</c> with the
/// stop reason and cumulative output usage, <c>message_stop</c>, an early <c>ping</c>), mid-stream <c>event: error</c>,
/// and HTTP errors with Anthropic's real body <c>{"type":"error","error":{...},"request_id":...}</c>. Requests without
/// <c>x-api-key</c> or <c>anthropic-version</c> are refused the way the real API refuses them.
/// </summary>
public sealed class AnthropicTestServer : LoopbackServer, IProviderTestServer
{
    private readonly ConcurrentQueue<Func<HttpContext, RecordedRequest, Task>> _responses = new();
    private string[] _models = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"];
    private int _sequence;

    private AnthropicTestServer()
    {
    }

    /// <summary>When set, requests whose <c>x-api-key</c> differs get a 401 <c>authentication_error</c>.</summary>
    public string? ExpectedApiKey { get; set; }

    /// <summary>Whether requests must carry <c>x-api-key</c> and <c>anthropic-version</c> (on by default, like the API).</summary>
    public bool RequireHeaders { get; set; } = true;

    /// <summary>Largest page <c>GET /v1/models</c> returns whatever <c>limit</c> asks (to exercise paging).</summary>
    public int MaxPageSize { get; set; } = 1000;

    public string InstanceBaseUrl => BaseUri.ToString().TrimEnd('/');

    /// <summary>Starts a server on a free loopback port.</summary>
    public static async Task<AnthropicTestServer> StartAsync()
    {
        var server = new AnthropicTestServer();
        await server.StartAsync(CancellationToken.None).ConfigureAwait(false);
        return server;
    }

    public void Enqueue(ScriptedTurn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        _responses.Enqueue((context, request) => RenderTurnAsync(context, request, turn));
    }

    public void EnqueueError(ScriptedError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        _responses.Enqueue((context, _) => RenderErrorAsync(context, error));
    }

    public void EnqueueRaw(RawResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        _responses.Enqueue((context, _) => ReplayAsync(context, response));
    }

    /// <summary>Queues an error with any status and Anthropic error type (e.g. 413 <c>request_too_large</c>, 402 <c>billing_error</c>).</summary>
    public void EnqueueStatusError(int status, string errorType, string message, IReadOnlyDictionary<string, string>? headers = null)
    {
        _responses.Enqueue((context, _) => WriteErrorAsync(context, status, errorType, message, headers));
    }

    public void SetModels(IReadOnlyList<string> modelIds)
    {
        ArgumentNullException.ThrowIfNull(modelIds);
        _models = modelIds.ToArray();
    }

    /// <summary>Anthropic's <c>stop_reason</c> for a provider-neutral finish reason.</summary>
    public static string ToStopReason(string finishReason) => finishReason switch
    {
        "length" => "max_tokens",
        "tool_calls" => "tool_use",
        "content_filter" => "refusal",
        "stop" => "end_turn",
        _ => finishReason,
    };

    /// <summary>
    /// Renders a recorded non-streaming Messages response (a <c>message</c> object) as the SSE stream the API sends for
    /// the same message, so recordings made without streaming can be replayed to a streaming client.
    /// </summary>
    public static IReadOnlyList<string> MessageToSseEvents(JsonElement message)
    {
        var events = new List<string>();
        var usage = message.TryGetProperty("usage", out var u) ? u : default;
        var start = new JsonObject
        {
            ["id"] = message.GetProperty("id").GetString(),
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = message.GetProperty("model").GetString(),
            ["content"] = new JsonArray(),
            ["stop_reason"] = null,
            ["stop_sequence"] = null,
        };
        if (usage.ValueKind == JsonValueKind.Object)
        {
            var startUsage = JsonNode.Parse(usage.GetRawText())!.AsObject();
            startUsage["output_tokens"] = 1;
            start["usage"] = startUsage;
        }

        events.Add(Event("message_start", new JsonObject { ["type"] = "message_start", ["message"] = start }));
        var index = 0;
        foreach (var block in message.GetProperty("content").EnumerateArray())
        {
            var type = block.GetProperty("type").GetString();
            switch (type)
            {
                case "thinking":
                    events.Add(BlockStart(index, new JsonObject { ["type"] = "thinking", ["thinking"] = string.Empty, ["signature"] = string.Empty }));
                    events.Add(Delta(index, new JsonObject { ["type"] = "thinking_delta", ["thinking"] = block.GetProperty("thinking").GetString() }));
                    events.Add(Delta(index, new JsonObject { ["type"] = "signature_delta", ["signature"] = block.GetProperty("signature").GetString() }));
                    break;
                case "redacted_thinking":
                    events.Add(BlockStart(index, new JsonObject { ["type"] = "redacted_thinking", ["data"] = block.GetProperty("data").GetString() }));
                    break;
                case "text":
                    events.Add(BlockStart(index, new JsonObject { ["type"] = "text", ["text"] = string.Empty }));
                    events.Add(Delta(index, new JsonObject { ["type"] = "text_delta", ["text"] = block.GetProperty("text").GetString() }));
                    break;
                case "tool_use":
                    events.Add(BlockStart(index, new JsonObject
                    {
                        ["type"] = "tool_use",
                        ["id"] = block.GetProperty("id").GetString(),
                        ["name"] = block.GetProperty("name").GetString(),
                        ["input"] = new JsonObject(),
                    }));
                    events.Add(Delta(index, new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = block.GetProperty("input").GetRawText() }));
                    break;
                default:
                    throw new NotSupportedException($"Cannot render a '{type}' block as SSE.");
            }

            events.Add(BlockStop(index));
            index++;
        }

        var deltaUsage = new JsonObject
        {
            ["output_tokens"] = usage.ValueKind == JsonValueKind.Object && usage.TryGetProperty("output_tokens", out var o) ? o.GetInt64() : 0,
        };
        events.Add(Event("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = message.GetProperty("stop_reason").GetString(), ["stop_sequence"] = null },
            ["usage"] = deltaUsage,
        }));
        events.Add(Event("message_stop", new JsonObject { ["type"] = "message_stop" }));
        return events;
    }

    protected override async Task HandleAsync(HttpContext context, RecordedRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        if (RequireHeaders && string.IsNullOrEmpty(request.Header("x-api-key")))
        {
            await WriteErrorAsync(context, 401, "authentication_error", "x-api-key header is required").ConfigureAwait(false);
            return;
        }

        if (ExpectedApiKey is not null && request.Header("x-api-key") is { } key && key != ExpectedApiKey)
        {
            await WriteErrorAsync(context, 401, "authentication_error", "invalid x-api-key").ConfigureAwait(false);
            return;
        }

        if (RequireHeaders && string.IsNullOrEmpty(request.Header("anthropic-version")))
        {
            await WriteErrorAsync(context, 400, "invalid_request_error", "anthropic-version: header is required").ConfigureAwait(false);
            return;
        }

        if (request.Method == "GET" && request.Path == "/v1/models")
        {
            await WriteModelsAsync(context, request).ConfigureAwait(false);
            return;
        }

        if (request.Method == "GET" && request.Path.StartsWith("/v1/models/", StringComparison.Ordinal))
        {
            var id = request.Path["/v1/models/".Length..];
            if (_models.Contains(id))
            {
                await WriteResponseAsync(context, 200, "application/json", ModelJson(id).ToJsonString()).ConfigureAwait(false);
            }
            else
            {
                await WriteErrorAsync(context, 404, "not_found_error", $"model: {id}").ConfigureAwait(false);
            }

            return;
        }

        if (request.Method == "POST" && request.Path == "/v1/messages")
        {
            if (!_responses.TryDequeue(out var respond))
            {
                await WriteErrorAsync(context, 500, "api_error", "no scripted response: the AnthropicTestServer queue is empty").ConfigureAwait(false);
                return;
            }

            await respond(context, request).ConfigureAwait(false);
            return;
        }

        await WriteErrorAsync(context, 404, "not_found_error", "Not Found").ConfigureAwait(false);
    }

    private string NextId(string prefix) =>
        prefix + Interlocked.Increment(ref _sequence).ToString("D6", CultureInfo.InvariantCulture) + "AbCdEfGhIjKlMn";

    private async Task RenderTurnAsync(HttpContext context, RecordedRequest request, ScriptedTurn turn)
    {
        JsonElement body;
        try
        {
            body = request.Json;
        }
        catch (JsonException)
        {
            await WriteErrorAsync(context, 400, "invalid_request_error", "The request body is not valid JSON.").ConfigureAwait(false);
            return;
        }

        if (!body.TryGetProperty("max_tokens", out _))
        {
            await WriteErrorAsync(context, 400, "invalid_request_error", "max_tokens: Field required").ConfigureAwait(false);
            return;
        }

        var model = turn.Model ?? (body.TryGetProperty("model", out var m) ? m.GetString() : null) ?? "claude-sonnet-4-5";
        var streaming = body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var headers = new Dictionary<string, string> { ["request-id"] = NextId("req_") };
        if (streaming)
        {
            await StreamChunksAsync(context, 200, "text/event-stream; charset=utf-8", RenderStream(turn, model), turn.Faults, headers).ConfigureAwait(false);
        }
        else
        {
            await WriteResponseAsync(context, 200, "application/json", RenderMessage(turn, model).ToJsonString(), turn.Faults, headers).ConfigureAwait(false);
        }
    }

    private JsonObject RenderMessage(ScriptedTurn turn, string model)
    {
        var content = new JsonArray();
        var thoughtIndex = 0;
        foreach (var part in turn.Parts)
        {
            switch (part)
            {
                case ScriptedThought thought:
                    content.Add(new JsonObject { ["type"] = "thinking", ["thinking"] = thought.Text, ["signature"] = thought.Signature ?? SyntheticSignature(thoughtIndex++) });
                    break;
                case AnthropicRedactedThinking redacted:
                    content.Add(new JsonObject { ["type"] = "redacted_thinking", ["data"] = redacted.Data });
                    break;
                case ScriptedContent text:
                    content.Add(new JsonObject { ["type"] = "text", ["text"] = text.Text });
                    break;
                case ScriptedToolCall call:
                    content.Add(new JsonObject
                    {
                        ["type"] = "tool_use",
                        ["id"] = call.Id ?? NextId("toolu_"),
                        ["name"] = call.Name,
                        ["input"] = JsonNode.Parse(call.Arguments.GetRawText()),
                    });
                    break;
            }
        }

        return new JsonObject
        {
            ["id"] = NextId("msg_"),
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = model,
            ["content"] = content,
            ["stop_reason"] = ToStopReason(turn.FinishReason),
            ["stop_sequence"] = null,
            ["usage"] = UsageJson(turn.Usage, final: true),
        };
    }

    private IEnumerable<string> RenderStream(ScriptedTurn turn, string model)
    {
        yield return Event("message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = new JsonObject
            {
                ["id"] = NextId("msg_"),
                ["type"] = "message",
                ["role"] = "assistant",
                ["model"] = model,
                ["content"] = new JsonArray(),
                ["stop_reason"] = null,
                ["stop_sequence"] = null,
                ["usage"] = UsageJson(turn.Usage, final: false),
            },
        });
        yield return "event: ping\ndata: {\"type\": \"ping\"}\n\n";

        var index = 0;
        var thoughtIndex = 0;
        foreach (var part in turn.Parts)
        {
            if (turn.MidStreamError is { } midError && index == turn.ErrorAfterParts)
            {
                yield return ErrorEvent(midError);
                yield break;
            }

            switch (part)
            {
                case ScriptedThought thought:
                    yield return BlockStart(index, new JsonObject { ["type"] = "thinking", ["thinking"] = string.Empty, ["signature"] = string.Empty });
                    foreach (var piece in Split(thought.Text))
                    {
                        yield return Delta(index, new JsonObject { ["type"] = "thinking_delta", ["thinking"] = piece });
                    }

                    yield return Delta(index, new JsonObject { ["type"] = "signature_delta", ["signature"] = thought.Signature ?? SyntheticSignature(thoughtIndex++) });
                    break;
                case AnthropicRedactedThinking redacted:
                    yield return BlockStart(index, new JsonObject { ["type"] = "redacted_thinking", ["data"] = redacted.Data });
                    break;
                case ScriptedContent text:
                    yield return BlockStart(index, new JsonObject { ["type"] = "text", ["text"] = string.Empty });
                    foreach (var piece in Split(text.Text))
                    {
                        yield return Delta(index, new JsonObject { ["type"] = "text_delta", ["text"] = piece });
                    }

                    break;
                case ScriptedToolCall call:
                    yield return BlockStart(index, new JsonObject
                    {
                        ["type"] = "tool_use",
                        ["id"] = call.Id ?? NextId("toolu_"),
                        ["name"] = call.Name,
                        ["input"] = new JsonObject(),
                    });
                    yield return Delta(index, new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = string.Empty });
                    foreach (var piece in Split(call.Arguments.GetRawText()))
                    {
                        yield return Delta(index, new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = piece });
                    }

                    break;
            }

            yield return BlockStop(index);
            index++;
        }

        if (turn.MidStreamError is { } lateError && turn.ErrorAfterParts >= index)
        {
            yield return ErrorEvent(lateError);
            yield break;
        }

        yield return Event("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = ToStopReason(turn.FinishReason), ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = turn.Usage?.OutputTokens ?? 0 },
        });
        yield return Event("message_stop", new JsonObject { ["type"] = "message_stop" });
    }

    private static JsonObject UsageJson(ScriptedUsage? usage, bool final)
    {
        // ScriptedUsage is normalised (input includes cache read and write); Anthropic reports them apart.
        var cached = usage?.CachedInputTokens ?? 0;
        var write = usage?.CacheWriteTokens ?? 0;
        var input = (usage?.InputTokens ?? 0) - cached - write;
        return new JsonObject
        {
            ["input_tokens"] = input,
            ["cache_creation_input_tokens"] = write,
            ["cache_read_input_tokens"] = cached,
            ["cache_creation"] = new JsonObject { ["ephemeral_5m_input_tokens"] = write, ["ephemeral_1h_input_tokens"] = 0 },
            ["output_tokens"] = final ? usage?.OutputTokens ?? 0 : 1,
            ["service_tier"] = "standard",
        };
    }

    private static IEnumerable<string> Split(string text)
    {
        // Several deltas per block, cut at arbitrary points, like the real service.
        if (text.Length <= 3)
        {
            yield return text;
            yield break;
        }

        var third = text.Length / 3;
        yield return text[..third];
        yield return text[third..(2 * third)];
        yield return text[(2 * third)..];
    }

    private static string SyntheticSignature(int index) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"synthetic-thinking-signature-{index}"));

    private static string Event(string name, JsonObject data) => $"event: {name}\ndata: {data.ToJsonString()}\n\n";

    private static string BlockStart(int index, JsonObject block) =>
        Event("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = block });

    private static string Delta(int index, JsonObject delta) =>
        Event("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = delta });

    private static string BlockStop(int index) =>
        Event("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index });

    private static string ErrorEvent(ScriptedError error)
    {
        var (_, type, message) = Describe(error);
        return Event("error", new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = type, ["message"] = message } });
    }

    /// <summary>Status, Anthropic error type and message for a scripted error, as the real API reports them.</summary>
    private static (int Status, string Type, string Message) Describe(ScriptedError error) => error.Kind switch
    {
        ScriptedErrorKind.InvalidApiKey => (401, "authentication_error", "invalid x-api-key"),
        ScriptedErrorKind.PermissionDenied => (403, "permission_error", "Your API key does not have permission to use the specified resource."),
        ScriptedErrorKind.InsufficientBalance => (400, "invalid_request_error", "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."),
        ScriptedErrorKind.ModelNotFound => (404, "not_found_error", "model: " + error.Message),
        ScriptedErrorKind.RateLimited => (429, "rate_limit_error", "This request would exceed the rate limit for your organization of 50 requests per minute."),
        ScriptedErrorKind.ServerError => (500, "api_error", "Internal server error"),
        ScriptedErrorKind.Overloaded => (529, "overloaded_error", "Overloaded"),
        ScriptedErrorKind.ContextLengthExceeded => (400, "invalid_request_error", "prompt is too long: 215312 tokens > 200000 maximum"),
        ScriptedErrorKind.ContentFilter => (400, "invalid_request_error", "Output blocked by content filtering policy"),
        ScriptedErrorKind.ServiceUnavailable => (503, "api_error", "Service unavailable"),
        _ => (400, "invalid_request_error", error.Message),
    };

    private Task RenderErrorAsync(HttpContext context, ScriptedError error)
    {
        var (status, type, message) = Describe(error);
        Dictionary<string, string>? headers = null;
        if (error.RetryAfterSeconds is { } seconds)
        {
            headers = new Dictionary<string, string> { ["retry-after"] = seconds.ToString(CultureInfo.InvariantCulture) };
        }

        return WriteErrorAsync(context, status, type, message, headers);
    }

    private Task WriteErrorAsync(HttpContext context, int status, string errorType, string message, IReadOnlyDictionary<string, string>? headers = null)
    {
        var requestId = NextId("req_");
        var all = new Dictionary<string, string>(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase) { ["request-id"] = requestId };
        if (status == 529 || status >= 500)
        {
            all.TryAdd("x-should-retry", "true");
        }

        var body = new JsonObject
        {
            ["type"] = "error",
            ["error"] = new JsonObject { ["type"] = errorType, ["message"] = message },
            ["request_id"] = requestId,
        };
        return WriteResponseAsync(context, status, "application/json", body.ToJsonString(), headers: all);
    }

    private Task WriteModelsAsync(HttpContext context, RecordedRequest request)
    {
        // The paged list shape: data, has_more, first_id, last_id; paged with limit and after_id/before_id.
        var query = QueryHelpers(request.Query);
        var limit = query.TryGetValue("limit", out var l) && int.TryParse(l, CultureInfo.InvariantCulture, out var n) ? Math.Clamp(n, 1, 1000) : 20;
        limit = Math.Min(limit, Math.Max(1, MaxPageSize));
        var start = 0;
        if (query.TryGetValue("after_id", out var after))
        {
            var at = Array.IndexOf(_models, after);
            start = at < 0 ? _models.Length : at + 1;
        }

        var page = _models.Skip(start).Take(limit).ToArray();
        var data = new JsonArray(page.Select(id => (JsonNode)ModelJson(id)).ToArray());
        var body = new JsonObject
        {
            ["data"] = data,
            ["has_more"] = start + page.Length < _models.Length,
            ["first_id"] = page.Length > 0 ? page[0] : null,
            ["last_id"] = page.Length > 0 ? page[^1] : null,
        };
        return WriteResponseAsync(context, 200, "application/json", body.ToJsonString(), headers: new Dictionary<string, string> { ["request-id"] = NextId("req_") });
    }

    private static JsonObject ModelJson(string id) => new()
    {
        ["type"] = "model",
        ["id"] = id,
        ["display_name"] = DisplayName(id),
        ["created_at"] = "2025-09-29T00:00:00Z",
        ["max_input_tokens"] = 200000,
        ["max_tokens"] = 64000,
    };

    private static string DisplayName(string id)
    {
        var words = id.Split('-', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => char.IsLetter(w[0]) ? char.ToUpperInvariant(w[0]) + w[1..] : w);
        return string.Join(' ', words);
    }

    private static Dictionary<string, string> QueryHelpers(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                result[Uri.UnescapeDataString(pair[..eq])] = Uri.UnescapeDataString(pair[(eq + 1)..]);
            }
        }

        return result;
    }
}

/// <summary>An Anthropic <c>redacted_thinking</c> block (opaque data) in a scripted turn.</summary>
public sealed record AnthropicRedactedThinking(string Data) : ScriptedPart;
