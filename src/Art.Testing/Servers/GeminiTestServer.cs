using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Art.Testing.Servers;

/// <summary>
/// A loopback fake of the Gemini Developer API (v1beta): <c>models/{m}:generateContent</c>,
/// <c>models/{m}:streamGenerateContent?alt=sse</c> (CRLF-separated <c>data:</c> events, no end marker, like the real
/// service), <c>GET /v1beta/models</c> with page tokens, and errors in the google.rpc Status shape.
/// Scripted turns are rendered as Gemini parts: thoughts as <c>thought: true</c> text parts, tool calls as whole
/// <c>functionCall</c> parts (optionally carrying a <c>thoughtSignature</c>), usage in <c>usageMetadata</c> with
/// thoughts counted apart from candidates (as Gemini does).
/// </summary>
public sealed class GeminiTestServer : LoopbackServer, IProviderTestServer
{
    private const string Sse = "text/event-stream";
    private const string JsonType = "application/json; charset=UTF-8";
    private readonly ConcurrentQueue<object> _responses = new();
    private readonly ConcurrentDictionary<string, (string ContentType, byte[] Body)> _files = new(StringComparer.Ordinal);
    private volatile IReadOnlyList<GeminiModelEntry> _models = [];

    /// <inheritdoc />
    public string InstanceBaseUrl => BaseUri.ToString().TrimEnd('/');

    /// <summary>Signatures attached to scripted tool calls, by tool name (Gemini puts <c>thoughtSignature</c> on the functionCall part).</summary>
    public ConcurrentDictionary<string, string> ToolCallSignatures { get; } = new(StringComparer.Ordinal);

    /// <summary>How many models one page of <c>GET /v1beta/models</c> holds (a <c>nextPageToken</c> leads on).</summary>
    public int ModelsPageSize { get; set; } = 50;

    /// <summary>When set, a request whose <c>x-goog-api-key</c> differs gets the real 400 API_KEY_INVALID answer (403 when it has no key).</summary>
    public string? RequiredApiKey { get; set; }

    /// <summary>Starts a server on a free loopback port.</summary>
    public static async Task<GeminiTestServer> StartAsync()
    {
        var server = new GeminiTestServer();
        await server.StartAsync(CancellationToken.None).ConfigureAwait(false);
        return server;
    }

    /// <inheritdoc />
    public void Enqueue(ScriptedTurn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        _responses.Enqueue(turn);
    }

    /// <inheritdoc />
    public void EnqueueError(ScriptedError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        _responses.Enqueue(error);
    }

    /// <inheritdoc />
    public void EnqueueRaw(RawResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        _responses.Enqueue(response);
    }

    /// <inheritdoc />
    public void SetModels(IReadOnlyList<string> modelIds)
    {
        ArgumentNullException.ThrowIfNull(modelIds);
        _models = modelIds.Select(id => new GeminiModelEntry(id)).ToArray();
    }

    /// <summary>Sets the model list with token limits and methods.</summary>
    public void SetModels(IReadOnlyList<GeminiModelEntry> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        _models = models.ToArray();
    }

    /// <summary>Serves a static file on GET (e.g. an image an adapter must download to inline it).</summary>
    public void AddFile(string path, string contentType, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(path);
        _files[path] = (contentType, body);
    }

    /// <summary>Renders a streamed turn as the exact SSE events the server sends (for tests that check parsing).</summary>
    public static IReadOnlyList<string> RenderStreamEvents(ScriptedTurn turn, string model, IReadOnlyDictionary<string, string>? signatures = null)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return BuildStreamChunks(turn, model, signatures ?? new Dictionary<string, string>()).Select(c => "data: " + c.ToJsonString() + "\r\n\r\n").ToArray();
    }

    /// <inheritdoc />
    protected override async Task HandleAsync(HttpContext context, RecordedRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Method == "GET" && _files.TryGetValue(request.Path, out var file))
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = file.ContentType;
            context.Response.ContentLength = file.Body.Length;
            await context.Response.Body.WriteAsync(file.Body, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (RequiredApiKey is not null && string.IsNullOrEmpty(request.Header("x-goog-api-key")) && !request.Query.Contains("key=", StringComparison.Ordinal))
        {
            // What the service answers a request without any key.
            await WriteResponseAsync(context, 403, JsonType, ErrorBody(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", null)).ConfigureAwait(false);
            return;
        }

        if (RequiredApiKey is { } key && request.Header("x-goog-api-key") != key)
        {
            await WriteErrorAsync(context, new ScriptedError(ScriptedErrorKind.InvalidApiKey, "API key not valid. Please pass a valid API key."), null).ConfigureAwait(false);
            return;
        }

        if (request.Method == "GET" && (request.Path == "/v1beta/models" || request.Path == "/v1beta/models/"))
        {
            await WriteModelsAsync(context).ConfigureAwait(false);
            return;
        }

        var streaming = request.Path.Contains(":streamGenerateContent", StringComparison.Ordinal);
        if (request.Method != "POST" || !(streaming || request.Path.Contains(":generateContent", StringComparison.Ordinal)))
        {
            var body = ErrorBody(404, "NOT_FOUND", $"The fake Gemini server has no route {request.Method} {request.Path}.", null);
            await WriteResponseAsync(context, 404, JsonType, body).ConfigureAwait(false);
            return;
        }

        var model = ModelFromPath(request.Path);
        if (!_responses.TryDequeue(out var next))
        {
            await WriteResponseAsync(context, 500, JsonType, ErrorBody(500, "INTERNAL", "GeminiTestServer: no scripted response for " + request.Path, null)).ConfigureAwait(false);
            return;
        }

        var sse = request.Query.Contains("alt=sse", StringComparison.Ordinal);
        switch (next)
        {
            case RawResponse raw:
                await ReplayAsync(context, raw).ConfigureAwait(false);
                break;
            case ScriptedError error:
                await WriteErrorAsync(context, error, null).ConfigureAwait(false);
                break;
            case ScriptedTurn turn when streaming:
                await WriteStreamAsync(context, turn, model, sse).ConfigureAwait(false);
                break;
            case ScriptedTurn turn:
                await WriteNonStreamingAsync(context, turn, model).ConfigureAwait(false);
                break;
        }
    }

    private static string ModelFromPath(string path)
    {
        const string marker = "/models/";
        var start = path.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return "unknown";
        }

        start += marker.Length;
        var end = path.IndexOf(':', start);
        return end < 0 ? path[start..] : path[start..end];
    }

    private async Task WriteModelsAsync(HttpContext context)
    {
        var models = _models;
        var offset = 0;
        if (context.Request.Query.TryGetValue("pageToken", out var token) && int.TryParse(token.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            offset = parsed;
        }

        var size = Math.Max(1, ModelsPageSize);
        if (context.Request.Query.TryGetValue("pageSize", out var ps) && int.TryParse(ps.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var requested) && requested > 0)
        {
            size = Math.Min(size, requested);
        }

        var page = new JsonArray();
        foreach (var m in models.Skip(offset).Take(size))
        {
            var methods = new JsonArray();
            foreach (var method in m.SupportedGenerationMethods)
            {
                methods.Add(method);
            }

            page.Add(new JsonObject
            {
                ["name"] = "models/" + m.Id,
                ["version"] = "001",
                ["displayName"] = m.DisplayName ?? m.Id,
                ["description"] = "Fake model " + m.Id,
                ["inputTokenLimit"] = m.InputTokenLimit,
                ["outputTokenLimit"] = m.OutputTokenLimit,
                ["supportedGenerationMethods"] = methods,
                ["temperature"] = 1,
                ["topP"] = 0.95,
                ["topK"] = 64,
                ["maxTemperature"] = 2,
                ["thinking"] = m.Thinking,
            });
        }

        var result = new JsonObject { ["models"] = page };
        if (offset + size < models.Count)
        {
            result["nextPageToken"] = (offset + size).ToString(CultureInfo.InvariantCulture);
        }

        await WriteResponseAsync(context, 200, JsonType, result.ToJsonString()).ConfigureAwait(false);
    }

    private async Task WriteStreamAsync(HttpContext context, ScriptedTurn turn, string model, bool sse)
    {
        var chunks = BuildStreamChunks(turn, model, ToolCallSignatures);
        var rendered = new List<string>();
        if (turn.MidStreamError is { } error)
        {
            var keep = Math.Min(turn.ErrorAfterParts, chunks.Count);
            chunks = chunks.Take(keep).ToList();
            chunks.Add(JsonNode.Parse(ErrorBody(error))!.AsObject());
        }

        if (sse)
        {
            rendered.AddRange(chunks.Select(c => "data: " + c.ToJsonString() + "\r\n\r\n"));
            await StreamChunksAsync(context, 200, Sse, rendered, turn.Faults).ConfigureAwait(false);
        }
        else
        {
            // Without alt=sse the service streams one JSON array, element by element.
            for (var i = 0; i < chunks.Count; i++)
            {
                rendered.Add((i == 0 ? "[" : ",\r\n") + chunks[i].ToJsonString() + (i == chunks.Count - 1 ? "]" : string.Empty));
            }

            await StreamChunksAsync(context, 200, JsonType, rendered.Count == 0 ? ["[]"] : rendered, turn.Faults).ConfigureAwait(false);
        }
    }

    private async Task WriteNonStreamingAsync(HttpContext context, ScriptedTurn turn, string model)
    {
        if (turn.MidStreamError is { } error)
        {
            await WriteErrorAsync(context, error, turn.Faults).ConfigureAwait(false);
            return;
        }

        var parts = new JsonArray();
        foreach (var part in turn.Parts)
        {
            parts.Add(RenderPart(part, ToolCallSignatures));
        }

        var response = Response(model, turn, parts, finishReason: FinishReason(turn.FinishReason), usage: Usage(turn.Usage, final: true));
        await WriteResponseAsync(context, 200, JsonType, response.ToJsonString(), turn.Faults).ConfigureAwait(false);
    }

    private static List<JsonObject> BuildStreamChunks(ScriptedTurn turn, string model, IReadOnlyDictionary<string, string> signatures)
    {
        var chunks = new List<JsonObject>();
        var count = turn.Parts.Count;
        if (turn.FinishReason == "content_filter" && count == 0)
        {
            var blocked = new JsonObject
            {
                ["promptFeedback"] = new JsonObject { ["blockReason"] = "SAFETY" },
                ["usageMetadata"] = Usage(turn.Usage, final: true),
                ["modelVersion"] = turn.Model ?? model,
                ["responseId"] = "fake-response-1",
            };
            chunks.Add(blocked);
            return chunks;
        }

        for (var i = 0; i < Math.Max(count, 1); i++)
        {
            var last = i >= count - 1;
            var parts = new JsonArray { count == 0 ? new JsonObject { ["text"] = string.Empty } : RenderPart(turn.Parts[i], signatures) };
            chunks.Add(Response(model, turn, parts, last ? FinishReason(turn.FinishReason) : null, Usage(turn.Usage, last)));
        }

        return chunks;
    }

    private static JsonObject Response(string model, ScriptedTurn turn, JsonArray parts, string? finishReason, JsonObject? usage)
    {
        var candidate = new JsonObject
        {
            ["content"] = new JsonObject { ["parts"] = parts, ["role"] = "model" },
        };
        if (finishReason is not null)
        {
            candidate["finishReason"] = finishReason;
        }

        candidate["index"] = 0;
        var response = new JsonObject { ["candidates"] = new JsonArray { candidate } };
        if (usage is not null)
        {
            response["usageMetadata"] = usage;
        }

        response["modelVersion"] = turn.Model ?? model;
        response["responseId"] = "fake-response-1";
        return response;
    }

    private static JsonObject RenderPart(ScriptedPart part, IReadOnlyDictionary<string, string> signatures) => part switch
    {
        ScriptedThought t when t.Signature is not null => new JsonObject { ["text"] = t.Text, ["thought"] = true, ["thoughtSignature"] = t.Signature },
        ScriptedThought t => new JsonObject { ["text"] = t.Text, ["thought"] = true },
        ScriptedContent c => new JsonObject { ["text"] = c.Text },
        ScriptedToolCall call => ToolCallPart(call, signatures),
        _ => throw new InvalidOperationException("Unknown scripted part " + part.GetType().Name),
    };

    private static JsonObject ToolCallPart(ScriptedToolCall call, IReadOnlyDictionary<string, string> signatures)
    {
        var fc = new JsonObject { ["name"] = call.Name, ["args"] = JsonNode.Parse(call.Arguments.GetRawText()) };
        if (call.Id is not null)
        {
            fc["id"] = call.Id;
        }

        var part = new JsonObject { ["functionCall"] = fc };
        if (signatures.TryGetValue(call.Name, out var signature))
        {
            part["thoughtSignature"] = signature;
        }

        return part;
    }

    private static string FinishReason(string reason) => reason switch
    {
        "length" => "MAX_TOKENS",
        "content_filter" => "SAFETY",
        "other" => "OTHER",

        // Gemini reports STOP also when the model calls functions.
        _ => "STOP",
    };

    private static JsonObject? Usage(ScriptedUsage? usage, bool final)
    {
        if (usage is null)
        {
            return null;
        }

        var result = new JsonObject { ["promptTokenCount"] = usage.InputTokens };
        if (!final)
        {
            result["totalTokenCount"] = usage.InputTokens;
            return result;
        }

        result["candidatesTokenCount"] = usage.OutputTokens - usage.ReasoningTokens;
        if (usage.CachedInputTokens > 0)
        {
            result["cachedContentTokenCount"] = usage.CachedInputTokens;
        }

        result["totalTokenCount"] = usage.InputTokens + usage.OutputTokens;
        if (usage.ReasoningTokens > 0)
        {
            result["thoughtsTokenCount"] = usage.ReasoningTokens;
        }

        result["promptTokensDetails"] = new JsonArray { new JsonObject { ["modality"] = "TEXT", ["tokenCount"] = usage.InputTokens } };
        return result;
    }

    private static async Task WriteErrorAsync(HttpContext context, ScriptedError error, FaultPlan? faults)
    {
        if (error.Kind == ScriptedErrorKind.ContentFilter)
        {
            // Gemini refuses a prompt with 200 and promptFeedback.blockReason, not with an error status.
            var blocked = new JsonObject
            {
                ["promptFeedback"] = new JsonObject { ["blockReason"] = "SAFETY" },
                ["usageMetadata"] = new JsonObject { ["promptTokenCount"] = 8, ["totalTokenCount"] = 8 },
                ["modelVersion"] = "fake",
                ["responseId"] = "fake-response-blocked",
            };
            var path = context.Request.Path.Value ?? string.Empty;
            if (path.Contains(":streamGenerateContent", StringComparison.Ordinal))
            {
                await StreamChunksAsync(context, 200, Sse, ["data: " + blocked.ToJsonString() + "\r\n\r\n"], faults).ConfigureAwait(false);
            }
            else
            {
                await WriteResponseAsync(context, 200, JsonType, blocked.ToJsonString(), faults).ConfigureAwait(false);
            }

            return;
        }

        var status = StatusOf(error.Kind);
        await WriteResponseAsync(context, status, JsonType, ErrorBody(error), faults).ConfigureAwait(false);
    }

    private static int StatusOf(ScriptedErrorKind kind) => kind switch
    {
        ScriptedErrorKind.InvalidApiKey => 400,
        ScriptedErrorKind.PermissionDenied => 403,
        ScriptedErrorKind.InsufficientBalance => 429,
        ScriptedErrorKind.ModelNotFound => 404,
        ScriptedErrorKind.RateLimited => 429,
        ScriptedErrorKind.ServerError => 500,
        ScriptedErrorKind.Overloaded => 503,
        ScriptedErrorKind.ServiceUnavailable => 503,
        ScriptedErrorKind.ContextLengthExceeded => 400,
        ScriptedErrorKind.BadRequest => 400,
        _ => 500,
    };

    /// <summary>The google.rpc Status body the real service sends for each error kind.</summary>
    public static string ErrorBody(ScriptedError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var status = StatusOf(error.Kind);
        switch (error.Kind)
        {
            case ScriptedErrorKind.InvalidApiKey:
                return ErrorBody(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", new JsonArray
                {
                    new JsonObject
                    {
                        ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo",
                        ["reason"] = "API_KEY_INVALID",
                        ["domain"] = "googleapis.com",
                        ["metadata"] = new JsonObject { ["service"] = "generativelanguage.googleapis.com" },
                    },
                    new JsonObject
                    {
                        ["@type"] = "type.googleapis.com/google.rpc.LocalizedMessage",
                        ["locale"] = "en-US",
                        ["message"] = "API key not valid. Please pass a valid API key.",
                    },
                });
            case ScriptedErrorKind.PermissionDenied:
                return ErrorBody(403, "PERMISSION_DENIED", error.Message, null);
            case ScriptedErrorKind.ModelNotFound:
                return ErrorBody(404, "NOT_FOUND", error.Message, null);
            case ScriptedErrorKind.RateLimited:
            case ScriptedErrorKind.InsufficientBalance:
                var details = new JsonArray
                {
                    new JsonObject
                    {
                        ["@type"] = "type.googleapis.com/google.rpc.QuotaFailure",
                        ["violations"] = new JsonArray
                        {
                            new JsonObject
                            {
                                ["quotaMetric"] = "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                                ["quotaId"] = error.Kind == ScriptedErrorKind.InsufficientBalance ? "GenerateRequestsPerDayPerProjectPerModel-FreeTier" : "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                                ["quotaValue"] = error.Kind == ScriptedErrorKind.InsufficientBalance ? "250" : "10",
                            },
                        },
                    },
                    new JsonObject
                    {
                        ["@type"] = "type.googleapis.com/google.rpc.Help",
                        ["links"] = new JsonArray { new JsonObject { ["description"] = "Learn more about Gemini API quotas", ["url"] = "https://ai.google.dev/gemini-api/docs/rate-limits" } },
                    },
                };
                if (error.RetryAfterSeconds is { } seconds)
                {
                    details.Add(new JsonObject
                    {
                        ["@type"] = "type.googleapis.com/google.rpc.RetryInfo",
                        ["retryDelay"] = seconds.ToString(CultureInfo.InvariantCulture) + "s",
                    });
                }

                return ErrorBody(429, "RESOURCE_EXHAUSTED", error.Message, details);
            case ScriptedErrorKind.ContextLengthExceeded:
                return ErrorBody(400, "INVALID_ARGUMENT", "The input token count (1234567) exceeds the maximum number of tokens allowed (1048576).", null);
            case ScriptedErrorKind.BadRequest:
                return ErrorBody(400, "INVALID_ARGUMENT", error.Message, null);
            case ScriptedErrorKind.Overloaded:
            case ScriptedErrorKind.ServiceUnavailable:
                return ErrorBody(503, "UNAVAILABLE", error.Message, null);
            default:
                return ErrorBody(status, "INTERNAL", error.Message, null);
        }
    }

    private static string ErrorBody(int code, string status, string message, JsonArray? details)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message, ["status"] = status };
        if (details is not null)
        {
            error["details"] = details;
        }

        return new JsonObject { ["error"] = error }.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }
}

/// <summary>One model of the fake's <c>GET /v1beta/models</c> list.</summary>
public sealed record GeminiModelEntry(string Id)
{
    public string? DisplayName { get; init; }

    public int InputTokenLimit { get; init; } = 1_048_576;

    public int OutputTokenLimit { get; init; } = 65_536;

    public IReadOnlyList<string> SupportedGenerationMethods { get; init; } = ["generateContent", "countTokens", "createCachedContent"];

    public bool Thinking { get; init; } = true;
}
