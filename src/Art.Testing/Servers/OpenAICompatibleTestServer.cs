using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Art.Testing.Servers;

/// <summary>Which OpenAI-style server the fake imitates: paths, reasoning fields, usage fields, error bodies, keep-alives.</summary>
public enum OpenAICompatibleFlavor
{
    /// <summary>api.openai.com: <c>/v1/chat/completions</c>, no reasoning text, cached/reasoning token details.</summary>
    OpenAI,

    /// <summary>api.deepseek.com: <c>/chat/completions</c> (and <c>/v1/...</c>), <c>reasoning_content</c>, cache hit/miss, <c>: keep-alive</c>.</summary>
    DeepSeek,

    /// <summary>openrouter.ai: <c>/api/v1/chat/completions</c>, <c>reasoning</c>, <c>usage.cost</c>, <c>: OPENROUTER PROCESSING</c>, numeric error codes.</summary>
    OpenRouter,

    /// <summary>A local OpenAI-compatible server (vLLM, LM Studio, llama.cpp): <c>/v1/...</c>, <c>reasoning_content</c>, vLLM-style errors.</summary>
    Generic,
}

/// <summary>One entry of the model list, with OpenRouter's extra fields (prices in USD per token).</summary>
public sealed record OpenAICompatibleModelEntry(string Id)
{
    public string? Name { get; init; }

    public int? ContextLength { get; init; }

    public int? MaxCompletionTokens { get; init; }

    /// <summary>USD per prompt token (OpenRouter sends it as a string).</summary>
    public string? PromptPrice { get; init; }

    public string? CompletionPrice { get; init; }

    public string? CacheReadPrice { get; init; }

    public string? CacheWritePrice { get; init; }

    public string? ReasoningPrice { get; init; }

    public IReadOnlyList<string>? InputModalities { get; init; }

    public IReadOnlyList<string>? SupportedParameters { get; init; }
}

/// <summary>
/// Loopback fake of the OpenAI Chat Completions protocol and its DeepSeek, OpenRouter and local-server variants
/// (provider-protocols.md §2, §5, §6, §8): streaming SSE with role chunk, content deltas, tool-call argument fragments,
/// finish chunk, usage chunk, keep-alive comments, reasoning fields, each provider's error bodies, and model lists.
/// </summary>
public sealed class OpenAICompatibleTestServer : LoopbackServer, IProviderTestServer
{
    private readonly ConcurrentQueue<object> _responses = new();
    private volatile IReadOnlyList<OpenAICompatibleModelEntry> _models = [new("test-model")];
    private int _counter;

    public OpenAICompatibleTestServer(OpenAICompatibleFlavor flavor = OpenAICompatibleFlavor.OpenAI)
    {
        Flavor = flavor;
    }

    public OpenAICompatibleFlavor Flavor { get; }

    /// <summary>Keep-alive comment lines sent before the first data event of a stream (DeepSeek and OpenRouter by default).</summary>
    public int KeepAliveComments { get; set; } = 2;

    /// <inheritdoc />
    public string InstanceBaseUrl => Flavor switch
    {
        OpenAICompatibleFlavor.DeepSeek => BaseUri.ToString().TrimEnd('/'),
        OpenAICompatibleFlavor.OpenRouter => BaseUri + "api/v1",
        _ => BaseUri + "v1",
    };

    /// <summary>Creates and starts a server.</summary>
    public static async Task<OpenAICompatibleTestServer> StartAsync(OpenAICompatibleFlavor flavor = OpenAICompatibleFlavor.OpenAI, CancellationToken cancellationToken = default)
    {
        var server = new OpenAICompatibleTestServer(flavor);
        await server.StartAsync(cancellationToken).ConfigureAwait(false);
        return server;
    }

    public void Enqueue(ScriptedTurn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        _responses.Enqueue(turn);
    }

    public void EnqueueError(ScriptedError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        _responses.Enqueue(error);
    }

    public void EnqueueRaw(RawResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        _responses.Enqueue(response);
    }

    public void SetModels(IReadOnlyList<string> modelIds)
    {
        ArgumentNullException.ThrowIfNull(modelIds);
        _models = modelIds.Select(id => new OpenAICompatibleModelEntry(id)).ToArray();
    }

    /// <summary>Sets the model list with prices and context lengths (rendered in OpenRouter's shape for that flavour).</summary>
    public void SetModelEntries(IReadOnlyList<OpenAICompatibleModelEntry> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        _models = models;
    }

    /// <inheritdoc />
    protected override async Task HandleAsync(HttpContext context, RecordedRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        var path = request.Path;
        if (HttpMethods.IsGet(request.Method) && path.EndsWith("/models", StringComparison.Ordinal) && IsKnownPrefix(path, "/models"))
        {
            await WriteResponseAsync(context, 200, "application/json", RenderModels()).ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsPost(request.Method) || !path.EndsWith("/chat/completions", StringComparison.Ordinal) || !IsKnownPrefix(path, "/chat/completions"))
        {
            await WriteResponseAsync(context, 404, "application/json", ErrorJson("Unknown request URL: " + request.Method + " " + path, "invalid_request_error", "unknown_url")).ConfigureAwait(false);
            return;
        }

        if (!_responses.TryDequeue(out var next))
        {
            await WriteResponseAsync(context, 500, "application/json", ErrorJson("no scripted response for " + path, "server_error", null)).ConfigureAwait(false);
            return;
        }

        JsonElement body;
        try
        {
            body = request.Json;
        }
        catch (JsonException)
        {
            body = default;
        }

        var stream = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var includeUsage = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("stream_options", out var so)
            && so.ValueKind == JsonValueKind.Object && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        var model = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "test-model";

        switch (next)
        {
            case RawResponse raw:
                await ReplayAsync(context, raw).ConfigureAwait(false);
                break;
            case ScriptedError error:
                var (status, errorBody, headers) = RenderError(error);
                await WriteResponseAsync(context, status, "application/json", errorBody, null, headers).ConfigureAwait(false);
                break;
            case ScriptedTurn turn when stream:
                await StreamChunksAsync(context, 200, "text/event-stream; charset=utf-8", RenderStream(turn, turn.Model ?? model, includeUsage), turn.Faults).ConfigureAwait(false);
                break;
            case ScriptedTurn turn when turn.MidStreamError is { } midError:
                var (errStatus, errBody, errHeaders) = RenderError(midError);
                await WriteResponseAsync(context, errStatus, "application/json", errBody, turn.Faults, errHeaders).ConfigureAwait(false);
                break;
            case ScriptedTurn turn:
                await WriteResponseAsync(context, 200, "application/json", RenderCompletion(turn, turn.Model ?? model), turn.Faults).ConfigureAwait(false);
                break;
            default:
                throw new InvalidOperationException("Unexpected queued response " + next.GetType().Name);
        }
    }

    private bool IsKnownPrefix(string path, string suffix)
    {
        var prefix = path[..^suffix.Length];
        return Flavor switch
        {
            OpenAICompatibleFlavor.DeepSeek => prefix is "" or "/v1",
            OpenAICompatibleFlavor.OpenRouter => prefix == "/api/v1",
            _ => prefix == "/v1",
        };
    }

    private string NextId()
    {
        var n = Interlocked.Increment(ref _counter);
        return Flavor switch
        {
            OpenAICompatibleFlavor.DeepSeek => new Guid(n, 0, 0, new byte[8]).ToString(),
            OpenAICompatibleFlavor.OpenRouter => "gen-1763000000-art" + n.ToString(CultureInfo.InvariantCulture),
            _ => "chatcmpl-art" + n.ToString(CultureInfo.InvariantCulture),
        };
    }

    private JsonObject ChunkEnvelope(string id, string model)
    {
        var chunk = new JsonObject { ["id"] = id };
        if (Flavor == OpenAICompatibleFlavor.OpenRouter)
        {
            chunk["provider"] = "Fake";
        }

        chunk["object"] = "chat.completion.chunk";
        chunk["created"] = 1763000000;
        chunk["model"] = model;
        if (Flavor != OpenAICompatibleFlavor.OpenRouter)
        {
            chunk["system_fingerprint"] = "fp_art";
        }

        return chunk;
    }

    private JsonObject Chunk(string id, string model, JsonObject delta, string? finishReason)
    {
        var chunk = ChunkEnvelope(id, model);
        var choice = new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason };
        if (Flavor == OpenAICompatibleFlavor.OpenRouter)
        {
            choice["native_finish_reason"] = finishReason;
        }

        chunk["choices"] = new JsonArray(choice);
        if (Flavor == OpenAICompatibleFlavor.OpenAI)
        {
            chunk["usage"] = null;
        }

        return chunk;
    }

    private static string Data(JsonNode node) => "data: " + node.ToJsonString() + "\n\n";

    private IEnumerable<string> RenderStream(ScriptedTurn turn, string model, bool includeUsage)
    {
        var id = NextId();
        var comment = Flavor switch
        {
            OpenAICompatibleFlavor.DeepSeek => ": keep-alive\n\n",
            OpenAICompatibleFlavor.OpenRouter => ": OPENROUTER PROCESSING\n\n",
            _ => null,
        };
        if (comment is not null)
        {
            for (var i = 0; i < KeepAliveComments; i++)
            {
                yield return comment;
            }
        }

        var roleDelta = new JsonObject { ["role"] = "assistant", ["content"] = Flavor == OpenAICompatibleFlavor.DeepSeek ? null : string.Empty };
        if (Flavor == OpenAICompatibleFlavor.OpenAI)
        {
            roleDelta["refusal"] = null;
        }

        yield return Data(Chunk(id, model, roleDelta, null));

        var toolIndex = 0;
        var partIndex = 0;
        foreach (var part in turn.Parts)
        {
            if (turn.MidStreamError is { } early && partIndex == turn.ErrorAfterParts)
            {
                yield return MidStreamError(id, model, early);
                yield break;
            }

            partIndex++;
            switch (part)
            {
                case ScriptedThought thought:
                    if (ThoughtDelta(thought.Text) is { } td)
                    {
                        yield return Data(Chunk(id, model, td, null));
                    }

                    break;
                case ScriptedContent content:
                    yield return Data(Chunk(id, model, new JsonObject { ["content"] = content.Text }, null));
                    break;
                case ScriptedToolCall call:
                    var callId = call.Id ?? "call_art" + toolIndex.ToString(CultureInfo.InvariantCulture);
                    var head = new JsonObject
                    {
                        ["index"] = toolIndex,
                        ["id"] = callId,
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = string.Empty },
                    };
                    yield return Data(Chunk(id, model, new JsonObject { ["tool_calls"] = new JsonArray(head) }, null));
                    foreach (var piece in Fragments(call.Arguments.GetRawText()))
                    {
                        var frag = new JsonObject { ["index"] = toolIndex, ["function"] = new JsonObject { ["arguments"] = piece } };
                        yield return Data(Chunk(id, model, new JsonObject { ["tool_calls"] = new JsonArray(frag) }, null));
                    }

                    toolIndex++;
                    break;
            }
        }

        if (turn.MidStreamError is { } late)
        {
            yield return MidStreamError(id, model, late);
            yield break;
        }

        var finish = Chunk(id, model, new JsonObject(), turn.FinishReason);
        var usage = turn.Usage is null ? null : RenderUsage(turn.Usage);
        if (Flavor == OpenAICompatibleFlavor.DeepSeek && usage is not null)
        {
            // DeepSeek puts usage on the finish chunk (recorded); it also appears without include_usage.
            finish["usage"] = usage;
            usage = null;
        }

        yield return Data(finish);
        if (usage is not null && (includeUsage || Flavor == OpenAICompatibleFlavor.OpenRouter))
        {
            var usageChunk = ChunkEnvelope(id, model);
            usageChunk["choices"] = new JsonArray();
            usageChunk["usage"] = usage;
            yield return Data(usageChunk);
        }

        yield return "data: [DONE]\n\n";
    }

    private JsonObject? ThoughtDelta(string text) => Flavor switch
    {
        // OpenAI Chat Completions returns no reasoning text at all (only reasoning_tokens).
        OpenAICompatibleFlavor.OpenAI => null,
        OpenAICompatibleFlavor.OpenRouter => new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = string.Empty,
            ["reasoning"] = text,
            ["reasoning_details"] = new JsonArray(new JsonObject { ["type"] = "reasoning.text", ["text"] = text, ["index"] = 0, ["format"] = null }),
        },
        _ => new JsonObject { ["content"] = null, ["reasoning_content"] = text },
    };

    private string MidStreamError(string id, string model, ScriptedError error)
    {
        var (status, body, _) = RenderError(error);
        if (Flavor == OpenAICompatibleFlavor.OpenRouter)
        {
            var chunk = ChunkEnvelope(id, model);
            var message = JsonNode.Parse(body)?["error"]?["message"]?.GetValue<string>() ?? error.Message;
            chunk["error"] = new JsonObject { ["code"] = status, ["message"] = message };
            chunk["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["delta"] = new JsonObject { ["content"] = string.Empty },
                ["finish_reason"] = "error",
            });
            return Data(chunk) + "data: [DONE]\n\n";
        }

        // OpenAI-style: a data line with a top-level error object and no choices; the stream then ends.
        return Data(JsonNode.Parse(RenderError(error).Body)!);
    }

    /// <summary>Splits tool arguments into at least two fragments (more for longer arguments), as real servers do.</summary>
    private static IEnumerable<string> Fragments(string json)
    {
        if (json.Length < 2)
        {
            yield return json;
            yield break;
        }

        var size = Math.Max(1, json.Length / 3);
        for (var i = 0; i < json.Length; i += size)
        {
            yield return json.Substring(i, Math.Min(size, json.Length - i));
        }
    }

    private JsonObject RenderUsage(ScriptedUsage usage)
    {
        var promptDetails = new JsonObject { ["cached_tokens"] = usage.CachedInputTokens };
        if (Flavor == OpenAICompatibleFlavor.OpenRouter && usage.CacheWriteTokens > 0)
        {
            promptDetails["cache_write_tokens"] = usage.CacheWriteTokens;
        }

        if (Flavor == OpenAICompatibleFlavor.OpenAI)
        {
            promptDetails["audio_tokens"] = 0;
        }

        var completionDetails = new JsonObject { ["reasoning_tokens"] = usage.ReasoningTokens };
        if (Flavor == OpenAICompatibleFlavor.OpenAI)
        {
            completionDetails["audio_tokens"] = 0;
            completionDetails["accepted_prediction_tokens"] = 0;
            completionDetails["rejected_prediction_tokens"] = 0;
        }

        var node = new JsonObject
        {
            ["prompt_tokens"] = usage.InputTokens,
            ["completion_tokens"] = usage.OutputTokens,
            ["total_tokens"] = usage.InputTokens + usage.OutputTokens,
            ["prompt_tokens_details"] = promptDetails,
            ["completion_tokens_details"] = completionDetails,
        };
        if (Flavor == OpenAICompatibleFlavor.DeepSeek)
        {
            node["prompt_cache_hit_tokens"] = usage.CachedInputTokens;
            node["prompt_cache_miss_tokens"] = usage.InputTokens - usage.CachedInputTokens;
        }

        if (Flavor == OpenAICompatibleFlavor.OpenRouter)
        {
            node["cost"] = usage.Cost ?? 0m;
            node["is_byok"] = false;
        }

        return node;
    }

    private string RenderCompletion(ScriptedTurn turn, string model)
    {
        var text = string.Concat(turn.Parts.OfType<ScriptedContent>().Select(c => c.Text));
        var thoughts = string.Concat(turn.Parts.OfType<ScriptedThought>().Select(t => t.Text));
        var calls = turn.Parts.OfType<ScriptedToolCall>().ToArray();
        var message = new JsonObject { ["role"] = "assistant", ["content"] = calls.Length > 0 && text.Length == 0 ? null : text };
        if (thoughts.Length > 0)
        {
            switch (Flavor)
            {
                case OpenAICompatibleFlavor.OpenRouter:
                    message["reasoning"] = thoughts;
                    break;
                case OpenAICompatibleFlavor.DeepSeek or OpenAICompatibleFlavor.Generic:
                    message["reasoning_content"] = thoughts;
                    break;
            }
        }

        if (calls.Length > 0)
        {
            var array = new JsonArray();
            for (var i = 0; i < calls.Length; i++)
            {
                array.Add(new JsonObject
                {
                    ["id"] = calls[i].Id ?? "call_art" + i.ToString(CultureInfo.InvariantCulture),
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = calls[i].Name, ["arguments"] = calls[i].Arguments.GetRawText() },
                });
            }

            message["tool_calls"] = array;
        }

        var root = new JsonObject
        {
            ["id"] = NextId(),
            ["object"] = "chat.completion",
            ["created"] = 1763000000,
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = turn.FinishReason }),
        };
        if (turn.Usage is not null)
        {
            root["usage"] = RenderUsage(turn.Usage);
        }

        return root.ToJsonString();
    }

    private string RenderModels()
    {
        var data = new JsonArray();
        foreach (var m in _models)
        {
            if (Flavor == OpenAICompatibleFlavor.OpenRouter)
            {
                var pricing = new JsonObject { ["prompt"] = m.PromptPrice ?? "0", ["completion"] = m.CompletionPrice ?? "0", ["request"] = "0", ["image"] = "0" };
                if (m.CacheReadPrice is not null)
                {
                    pricing["input_cache_read"] = m.CacheReadPrice;
                }

                if (m.CacheWritePrice is not null)
                {
                    pricing["input_cache_write"] = m.CacheWritePrice;
                }

                if (m.ReasoningPrice is not null)
                {
                    pricing["internal_reasoning"] = m.ReasoningPrice;
                }

                data.Add(new JsonObject
                {
                    ["id"] = m.Id,
                    ["canonical_slug"] = m.Id,
                    ["name"] = m.Name ?? m.Id,
                    ["created"] = 1763000000,
                    ["description"] = "fake model",
                    ["context_length"] = m.ContextLength,
                    ["architecture"] = new JsonObject
                    {
                        ["modality"] = "text->text",
                        ["input_modalities"] = new JsonArray((m.InputModalities ?? ["text"]).Select(x => (JsonNode?)x).ToArray()),
                        ["output_modalities"] = new JsonArray("text"),
                        ["tokenizer"] = "Other",
                    },
                    ["pricing"] = pricing,
                    ["top_provider"] = new JsonObject { ["context_length"] = m.ContextLength, ["max_completion_tokens"] = m.MaxCompletionTokens, ["is_moderated"] = false },
                    ["supported_parameters"] = new JsonArray((m.SupportedParameters ?? []).Select(x => (JsonNode?)x).ToArray()),
                });
            }
            else
            {
                data.Add(new JsonObject { ["id"] = m.Id, ["object"] = "model", ["created"] = 1763000000, ["owned_by"] = Flavor == OpenAICompatibleFlavor.DeepSeek ? "deepseek" : "system" });
            }
        }

        var root = new JsonObject();
        if (Flavor != OpenAICompatibleFlavor.OpenRouter)
        {
            root["object"] = "list";
        }

        root["data"] = data;
        return root.ToJsonString();
    }

    private static string ErrorJson(string message, string? type, string? code, string? param = null) =>
        new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = code } }.ToJsonString();

    private static string OpenRouterErrorJson(int status, string message, JsonObject? metadata = null)
    {
        var error = new JsonObject { ["code"] = status, ["message"] = message };
        if (metadata is not null)
        {
            error["metadata"] = metadata;
        }

        return new JsonObject { ["error"] = error, ["user_id"] = "user_art" }.ToJsonString();
    }

    /// <summary>The status, body and headers each provider really sends for an error kind.</summary>
    public (int Status, string Body, IReadOnlyDictionary<string, string>? Headers) RenderError(ScriptedError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var msg = error.Message;
        var retryHeaders = error.RetryAfterSeconds is { } ra
            ? new Dictionary<string, string> { ["retry-after"] = ra.ToString(CultureInfo.InvariantCulture) }
            : null;
        return Flavor switch
        {
            OpenAICompatibleFlavor.OpenRouter => error.Kind switch
            {
                ScriptedErrorKind.InvalidApiKey => (401, OpenRouterErrorJson(401, "User not found. " + msg), null),
                ScriptedErrorKind.PermissionDenied => (403, OpenRouterErrorJson(403, "Key is disabled. " + msg), null),
                ScriptedErrorKind.InsufficientBalance => (402, OpenRouterErrorJson(402, "Insufficient credits. Add more using https://openrouter.ai/credits " + msg), null),
                ScriptedErrorKind.ModelNotFound => (400, OpenRouterErrorJson(400, "fake/nope is not a valid model ID " + msg), null),
                ScriptedErrorKind.RateLimited => (429, OpenRouterErrorJson(429, "Provider returned error " + msg, new JsonObject { ["provider_name"] = "Fake", ["raw"] = "rate-limited upstream" }), retryHeaders),
                ScriptedErrorKind.ServerError => (500, OpenRouterErrorJson(500, "Internal Server Error " + msg), null),
                ScriptedErrorKind.Overloaded => (502, OpenRouterErrorJson(502, "Provider returned error " + msg, new JsonObject { ["provider_name"] = "Fake", ["raw"] = "overloaded" }), retryHeaders),
                ScriptedErrorKind.ServiceUnavailable => (503, OpenRouterErrorJson(503, "No allowed providers are available for the selected model. " + msg), retryHeaders),
                ScriptedErrorKind.ContextLengthExceeded => (400, OpenRouterErrorJson(400, "This endpoint's maximum context length is 8192 tokens. However, you requested about 9000 tokens. " + msg, new JsonObject { ["provider_name"] = "Fake" }), null),
                ScriptedErrorKind.ContentFilter => (403, OpenRouterErrorJson(403, "fake/model requires moderation on Fake. Your input was flagged for \"violence\". " + msg, new JsonObject { ["reasons"] = new JsonArray("violence"), ["flagged_input"] = "...", ["provider_name"] = "Fake", ["model_slug"] = "fake/model" }), null),
                _ => (400, OpenRouterErrorJson(400, "Invalid request. " + msg), null),
            },
            OpenAICompatibleFlavor.DeepSeek => error.Kind switch
            {
                ScriptedErrorKind.InvalidApiKey => (401, ErrorJson("Authentication Fails, Your api key: ****abcd is invalid " + msg, "authentication_error", "invalid_request_error"), null),
                ScriptedErrorKind.PermissionDenied => (403, ErrorJson("Permission denied " + msg, "authentication_error", "invalid_request_error"), null),
                ScriptedErrorKind.InsufficientBalance => (402, ErrorJson("Insufficient Balance " + msg, "unknown_error", "invalid_request_error"), null),
                ScriptedErrorKind.ModelNotFound => (400, ErrorJson("Model Not Exist", "invalid_request_error", "invalid_request_error"), null),
                ScriptedErrorKind.RateLimited => (429, ErrorJson("Rate Limit Reached " + msg, "rate_limit_error", "invalid_request_error"), retryHeaders),
                ScriptedErrorKind.ServerError => (500, ErrorJson("Server Error " + msg, "server_error", "internal_error"), null),
                ScriptedErrorKind.Overloaded or ScriptedErrorKind.ServiceUnavailable => (503, ErrorJson("Server Overloaded " + msg, "server_error", "server_overloaded"), retryHeaders),
                ScriptedErrorKind.ContextLengthExceeded => (400, ErrorJson("This model's maximum context length is 65536 tokens. However, you requested 70000 tokens (69000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion. " + msg, "invalid_request_error", "invalid_request_error"), null),
                ScriptedErrorKind.ContentFilter => (400, ErrorJson("Content Exists Risk " + msg, "invalid_request_error", "invalid_request_error"), null),
                _ => (400, ErrorJson("Invalid Format " + msg, "invalid_request_error", "invalid_request_error"), null),
            },
            OpenAICompatibleFlavor.Generic => error.Kind switch
            {
                ScriptedErrorKind.ModelNotFound => (404, new JsonObject { ["object"] = "error", ["message"] = "The model `nope` does not exist. " + msg, ["type"] = "NotFoundError", ["param"] = null, ["code"] = 404 }.ToJsonString(), null),
                _ => OpenAIError(error, retryHeaders),
            },
            _ => OpenAIError(error, retryHeaders),
        };
    }

    private static (int, string, IReadOnlyDictionary<string, string>?) OpenAIError(ScriptedError error, Dictionary<string, string>? retryHeaders)
    {
        var msg = error.Message;
        return error.Kind switch
        {
            ScriptedErrorKind.InvalidApiKey => (401, ErrorJson("Incorrect API key provided: sk-te**********7890. You can find your API key at https://platform.openai.com/account/api-keys. " + msg, "invalid_request_error", "invalid_api_key"), null),
            ScriptedErrorKind.PermissionDenied => (403, ErrorJson("Country, region, or territory not supported " + msg, "request_forbidden", "unsupported_country_region_territory"), null),
            ScriptedErrorKind.InsufficientBalance => (429, ErrorJson("You exceeded your current quota, please check your plan and billing details. " + msg, "insufficient_quota", "insufficient_quota"), null),
            ScriptedErrorKind.ModelNotFound => (404, ErrorJson("The model `gpt-9` does not exist or you do not have access to it. " + msg, "invalid_request_error", "model_not_found"), null),
            ScriptedErrorKind.RateLimited => (429, ErrorJson("Rate limit reached for gpt-4o in organization org-art on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. " + msg, "tokens", "rate_limit_exceeded"), retryHeaders),
            ScriptedErrorKind.ServerError => (500, ErrorJson("The server had an error while processing your request. Sorry about that! " + msg, "server_error", null), null),
            ScriptedErrorKind.Overloaded => (503, ErrorJson("The engine is currently overloaded, please try again later. " + msg, "server_error", null), retryHeaders),
            ScriptedErrorKind.ServiceUnavailable => (503, ErrorJson("Service Unavailable " + msg, "server_error", null), retryHeaders),
            ScriptedErrorKind.ContextLengthExceeded => (400, ErrorJson("This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages. " + msg, "invalid_request_error", "context_length_exceeded", "messages"), null),
            ScriptedErrorKind.ContentFilter => (400, ErrorJson("Your request was rejected as a result of our safety system. " + msg, "invalid_request_error", "content_filter", "prompt"), null),
            _ => (400, ErrorJson("Invalid value for 'temperature'. " + msg, "invalid_request_error", "invalid_value", "temperature"), null),
        };
    }
}
