using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Art.Testing.Servers;

/// <summary>
/// A loopback Ollama that speaks the native API byte for byte the way <c>ollama serve</c> does: NDJSON <c>/api/chat</c>
/// streams (and <c>stream:false</c>) with <c>thinking</c>, <c>tool_calls</c> and a final <c>done:true</c> chunk carrying
/// <c>done_reason</c>, token counts and durations; <c>/api/tags</c>, <c>/api/show</c>, <c>/api/ps</c>, <c>/api/version</c>,
/// multi-layer <c>/api/pull</c> progress and <c>/api/delete</c>; errors as <c>{"error":"..."}</c> with Ollama's statuses.
/// Scripts are consumed in order per endpoint; an unscripted chat or pull gets a 500 saying so.
/// </summary>
public sealed class OllamaTestServer : LoopbackServer, IProviderTestServer
{
    /// <summary>Ollama's 503 text when its queue is full (two spaces after the full stop, as the server writes it).</summary>
    public const string ServerBusyMessage = "server busy, please try again.  maximum pending requests exceeded";

    private readonly ConcurrentQueue<object> _chat = new();
    private readonly ConcurrentQueue<object> _pull = new();
    private readonly ConcurrentDictionary<string, OllamaTestModel> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<OllamaRunningTestModel> _running = new();
    private long _clock;

    private OllamaTestServer()
    {
    }

    /// <inheritdoc />
    public string InstanceBaseUrl => BaseUri.ToString().TrimEnd('/');

    /// <summary>Render scripted thoughts as <c>&lt;think&gt;…&lt;/think&gt;</c> inside <c>content</c> (pre-0.9 servers, or <c>think</c> omitted on 0.9–0.12.3).</summary>
    public bool ThoughtsAsThinkTags { get; set; }

    /// <summary>The version <c>/api/version</c> reports.</summary>
    public string Version { get; set; } = "0.12.10";

    /// <summary>Starts a server on a free loopback port.</summary>
    public static async Task<OllamaTestServer> StartAsync()
    {
        var server = new OllamaTestServer();
        await ((LoopbackServer)server).StartAsync(CancellationToken.None).ConfigureAwait(false);
        return server;
    }

    /// <inheritdoc />
    public void Enqueue(ScriptedTurn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        _chat.Enqueue(turn);
    }

    /// <summary>Queues a streamed chat turn whose <c>content</c> is exactly the given NDJSON lines (e.g. raw <c>&lt;think&gt;</c> text split at a chosen point), then the done chunk.</summary>
    public void EnqueueContentLines(IReadOnlyList<string> contentLines, string doneReason = "stop")
    {
        ArgumentNullException.ThrowIfNull(contentLines);
        _chat.Enqueue(new ContentLinesScript(contentLines, doneReason));
    }

    /// <inheritdoc />
    public void EnqueueError(ScriptedError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        _chat.Enqueue(error);
    }

    /// <summary>Queues an Ollama error with an exact status and message for the next chat request.</summary>
    public void EnqueueError(int status, string message) => _chat.Enqueue(RawResponse.Json(status, ErrorBody(message)));

    /// <inheritdoc />
    public void EnqueueRaw(RawResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        _chat.Enqueue(response);
    }

    /// <summary>Queues a scripted pull progress stream for the next <c>/api/pull</c>.</summary>
    public void EnqueuePull(OllamaPullScript script)
    {
        ArgumentNullException.ThrowIfNull(script);
        _pull.Enqueue(script);
    }

    /// <summary>Queues a verbatim <c>/api/pull</c> response.</summary>
    public void EnqueueRawPull(RawResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        _pull.Enqueue(response);
    }

    /// <inheritdoc />
    public void SetModels(IReadOnlyList<string> modelIds)
    {
        ArgumentNullException.ThrowIfNull(modelIds);
        _models.Clear();
        foreach (var id in modelIds)
        {
            _models[id] = new OllamaTestModel(id);
        }
    }

    /// <summary>Adds or replaces a local model (listed by tags, described by show, deletable).</summary>
    public void AddModel(OllamaTestModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _models[model.Name] = model;
    }

    /// <summary>Names of the models present now (deletes remove them).</summary>
    public IReadOnlyCollection<string> ModelNames => _models.Keys.ToArray();

    /// <summary>Sets what <c>/api/ps</c> reports.</summary>
    public void SetRunning(params OllamaRunningTestModel[] models)
    {
        _running.Clear();
        foreach (var m in models)
        {
            _running.Enqueue(m);
        }
    }

    /// <summary>The body of an Ollama error: <c>{"error":"..."}</c>.</summary>
    public static string ErrorBody(string message) => new JsonObject { ["error"] = message }.ToJsonString();

    /// <inheritdoc />
    protected override Task HandleAsync(HttpContext context, RecordedRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        return (request.Method, request.Path) switch
        {
            ("POST", "/api/chat") => HandleChatAsync(context, request),
            ("POST", "/api/pull") => HandlePullAsync(context, request),
            ("GET" or "HEAD", "/api/tags") => WriteJsonAsync(context, 200, TagsBody()),
            ("POST", "/api/show") => HandleShowAsync(context, request),
            ("GET", "/api/ps") => WriteJsonAsync(context, 200, PsBody()),
            ("GET" or "HEAD", "/api/version") => WriteJsonAsync(context, 200, new JsonObject { ["version"] = Version }.ToJsonString()),
            ("DELETE", "/api/delete") => HandleDeleteAsync(context, request),
            ("GET" or "HEAD", "/") => WriteResponseAsync(context, 200, "text/plain; charset=utf-8", "Ollama is running"),
            _ => WriteJsonAsync(context, 404, "404 page not found"),
        };
    }

    private static Task WriteJsonAsync(HttpContext context, int status, string body, FaultPlan? faults = null) =>
        WriteResponseAsync(context, status, "application/json; charset=utf-8", body, faults);

    private async Task HandleChatAsync(HttpContext context, RecordedRequest request)
    {
        if (!_chat.TryDequeue(out var script))
        {
            await WriteJsonAsync(context, 500, ErrorBody("no scripted response for POST /api/chat")).ConfigureAwait(false);
            return;
        }

        JsonElement json;
        try
        {
            json = request.Json;
        }
        catch (JsonException)
        {
            await WriteJsonAsync(context, 400, ErrorBody("invalid character in request body")).ConfigureAwait(false);
            return;
        }

        var model = json.TryGetProperty("model", out var m) ? m.GetString() ?? string.Empty : string.Empty;
        var stream = !json.TryGetProperty("stream", out var s) || s.ValueKind != JsonValueKind.False;

        switch (script)
        {
            case RawResponse raw:
                await ReplayAsync(context, raw).ConfigureAwait(false);
                return;
            case ScriptedError error:
                await WriteErrorAsync(context, error, model).ConfigureAwait(false);
                return;
            case ContentLinesScript lines:
                var lineChunks = lines.Lines.Select(l => ChatChunk(model, l, null, null)).Append(DoneChunk(model, lines.DoneReason, null)).ToList();
                await StreamChunksAsync(context, 200, "application/x-ndjson", lineChunks).ConfigureAwait(false);
                return;
            case ScriptedTurn turn:
                await WriteTurnAsync(context, turn, turn.Model ?? model, stream).ConfigureAwait(false);
                return;
        }
    }

    private async Task WriteTurnAsync(HttpContext context, ScriptedTurn turn, string model, bool stream)
    {
        var doneReason = turn.FinishReason switch
        {
            "length" => "length",
            _ => "stop", // Ollama reports "stop" after tool calls too
        };

        if (!stream)
        {
            var content = string.Concat(turn.Parts.Select(p => p switch
            {
                ScriptedContent c => c.Text,
                ScriptedThought t when ThoughtsAsThinkTags => "<think>" + t.Text + "</think>",
                _ => string.Empty,
            }));
            var thinking = ThoughtsAsThinkTags ? null : string.Concat(turn.Parts.OfType<ScriptedThought>().Select(t => t.Text));
            var calls = turn.Parts.OfType<ScriptedToolCall>().ToList();
            var message = Message(content, string.IsNullOrEmpty(thinking) ? null : thinking, calls.Count == 0 ? null : calls);
            var body = Final(model, message, doneReason, turn.Usage);
            await WriteResponseAsync(context, 200, "application/json; charset=utf-8", body.ToJsonString(), turn.Faults).ConfigureAwait(false);
            return;
        }

        var chunks = new List<string>();
        var index = 0;
        foreach (var part in turn.Parts)
        {
            if (turn.MidStreamError is not null && index == turn.ErrorAfterParts)
            {
                break;
            }

            chunks.Add(part switch
            {
                ScriptedContent c => ChatChunk(model, c.Text, null, null),
                ScriptedThought t when ThoughtsAsThinkTags => ChatChunk(model, "<think>" + t.Text + "</think>", null, null),
                ScriptedThought t => ChatChunk(model, string.Empty, t.Text, null),
                ScriptedToolCall call => ChatChunk(model, string.Empty, null, [call]),
                _ => throw new InvalidOperationException($"Unknown scripted part {part.GetType().Name}."),
            });
            index++;
        }

        if (turn.MidStreamError is { } midError)
        {
            chunks.Add(ErrorBody(midError.Message) + "\n");
        }
        else
        {
            chunks.Add(DoneChunk(model, doneReason, turn.Usage));
        }

        await StreamChunksAsync(context, 200, "application/x-ndjson", chunks, turn.Faults).ConfigureAwait(false);
    }

    private static Task WriteErrorAsync(HttpContext context, ScriptedError error, string model)
    {
        var (status, message) = error.Kind switch
        {
            ScriptedErrorKind.ModelNotFound => (404, $"model '{model}' not found"),
            ScriptedErrorKind.BadRequest => (400, error.Message),
            ScriptedErrorKind.ContextLengthExceeded => (400, error.Message),
            ScriptedErrorKind.ContentFilter => (400, error.Message),
            ScriptedErrorKind.ServiceUnavailable or ScriptedErrorKind.Overloaded => (503, ServerBusyMessage),
            ScriptedErrorKind.ServerError => (500, error.Message),
            ScriptedErrorKind.InvalidApiKey => (401, "unauthorized"),
            ScriptedErrorKind.PermissionDenied => (403, "forbidden"),
            ScriptedErrorKind.RateLimited => (429, error.Message),
            ScriptedErrorKind.InsufficientBalance => (402, error.Message),
            _ => (500, error.Message),
        };
        var headers = error.RetryAfterSeconds is { } seconds
            ? new Dictionary<string, string> { ["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture) }
            : null;
        return WriteResponseAsync(context, status, "application/json; charset=utf-8", ErrorBody(message), null, headers);
    }

    private string Timestamp()
    {
        var tick = Interlocked.Increment(ref _clock);
        return new DateTimeOffset(2025, 11, 20, 10, 0, 0, TimeSpan.Zero).AddMilliseconds(tick * 5).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
    }

    private static JsonObject Message(string content, string? thinking, IReadOnlyList<ScriptedToolCall>? calls)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = content };
        if (thinking is not null)
        {
            message["thinking"] = thinking;
        }

        if (calls is not null)
        {
            var array = new JsonArray();
            var i = 0;
            foreach (var call in calls)
            {
                var entry = new JsonObject();
                if (call.Id is not null)
                {
                    entry["id"] = call.Id;
                }

                entry["function"] = new JsonObject
                {
                    ["index"] = i++,
                    ["name"] = call.Name,
                    ["arguments"] = JsonNode.Parse(call.Arguments.GetRawText()),
                };
                array.Add(entry);
            }

            message["tool_calls"] = array;
        }

        return message;
    }

    private string ChatChunk(string model, string content, string? thinking, IReadOnlyList<ScriptedToolCall>? calls) =>
        new JsonObject
        {
            ["model"] = model,
            ["created_at"] = Timestamp(),
            ["message"] = Message(content, thinking, calls),
            ["done"] = false,
        }.ToJsonString() + "\n";

    private string DoneChunk(string model, string doneReason, ScriptedUsage? usage) =>
        Final(model, new JsonObject { ["role"] = "assistant", ["content"] = string.Empty }, doneReason, usage).ToJsonString() + "\n";

    private JsonObject Final(string model, JsonObject message, string doneReason, ScriptedUsage? usage)
    {
        var obj = new JsonObject
        {
            ["model"] = model,
            ["created_at"] = Timestamp(),
            ["message"] = message,
            ["done_reason"] = doneReason,
            ["done"] = true,
            ["total_duration"] = 912345678L,
            ["load_duration"] = 40123456L,
        };
        if (usage is not null)
        {
            if (usage.InputTokens > 0)
            {
                obj["prompt_eval_count"] = usage.InputTokens;
            }

            obj["prompt_eval_duration"] = 120456789L;
            obj["eval_count"] = usage.OutputTokens;
            obj["eval_duration"] = 700123456L;
        }

        return obj;
    }

    private string TagsBody()
    {
        var models = new JsonArray();
        foreach (var model in _models.Values.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            models.Add(new JsonObject
            {
                ["name"] = model.Name,
                ["model"] = model.Name,
                ["modified_at"] = model.ModifiedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture),
                ["size"] = model.SizeBytes,
                ["digest"] = model.Digest,
                ["details"] = DetailsNode(model),
            });
        }

        return new JsonObject { ["models"] = models }.ToJsonString();
    }

    private static JsonObject DetailsNode(OllamaTestModel model) => new()
    {
        ["parent_model"] = string.Empty,
        ["format"] = "gguf",
        ["family"] = model.Family,
        ["families"] = new JsonArray(model.Family),
        ["parameter_size"] = model.ParameterSize,
        ["quantization_level"] = model.QuantizationLevel,
    };

    private Task HandleShowAsync(HttpContext context, RecordedRequest request)
    {
        var name = request.Json.TryGetProperty("model", out var m) ? m.GetString() : request.Json.TryGetProperty("name", out var n) ? n.GetString() : null;
        if (name is null || !TryFind(name, out var model))
        {
            return WriteJsonAsync(context, 404, ErrorBody($"model '{name}' not found"));
        }

        var info = new JsonObject
        {
            ["general.architecture"] = model.Family,
            ["general.parameter_count"] = 3212749888L,
            ["general.file_type"] = 15,
        };
        if (model.ContextLength is { } ctx)
        {
            info[model.Family + ".context_length"] = ctx;
        }

        info[model.Family + ".embedding_length"] = 3072;
        var body = new JsonObject
        {
            ["license"] = "LICENSE",
            ["modelfile"] = "# Modelfile generated by \"ollama show\"\nFROM " + model.Name + "\n",
            ["parameters"] = "stop \"<|eot_id|>\"",
            ["template"] = "{{ .Prompt }}",
            ["details"] = DetailsNode(model),
            ["model_info"] = info,
            ["capabilities"] = new JsonArray(model.Capabilities.Select(c => (JsonNode)JsonValue.Create(c)).ToArray()),
            ["modified_at"] = model.ModifiedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture),
        };
        return WriteJsonAsync(context, 200, body.ToJsonString());
    }

    private bool TryFind(string name, out OllamaTestModel model)
    {
        if (_models.TryGetValue(name, out model!))
        {
            return true;
        }

        // Ollama resolves a bare name to ":latest".
        return !name.Contains(':', StringComparison.Ordinal) && _models.TryGetValue(name + ":latest", out model!);
    }

    private string PsBody()
    {
        var models = new JsonArray();
        foreach (var model in _running)
        {
            models.Add(new JsonObject
            {
                ["name"] = model.Name,
                ["model"] = model.Name,
                ["size"] = model.SizeBytes,
                ["digest"] = "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
                ["details"] = new JsonObject { ["format"] = "gguf", ["family"] = "llama" },
                ["expires_at"] = model.ExpiresAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture),
                ["size_vram"] = model.SizeVramBytes,
                ["context_length"] = model.ContextLength,
            });
        }

        return new JsonObject { ["models"] = models }.ToJsonString();
    }

    private async Task HandlePullAsync(HttpContext context, RecordedRequest request)
    {
        if (!_pull.TryDequeue(out var script))
        {
            await WriteJsonAsync(context, 500, ErrorBody("no scripted response for POST /api/pull")).ConfigureAwait(false);
            return;
        }

        if (script is RawResponse raw)
        {
            await ReplayAsync(context, raw).ConfigureAwait(false);
            return;
        }

        var pull = (OllamaPullScript)script;
        var lines = pull.Render();
        await StreamChunksAsync(context, 200, "application/x-ndjson", lines, pull.Faults).ConfigureAwait(false);
        if (pull.ErrorAfterLines is null)
        {
            var name = request.Json.TryGetProperty("model", out var m) ? m.GetString() : null;
            if (name is not null && !TryFind(name, out _))
            {
                _models[name.Contains(':', StringComparison.Ordinal) ? name : name + ":latest"] = new OllamaTestModel(name.Contains(':', StringComparison.Ordinal) ? name : name + ":latest");
            }
        }
    }

    private Task HandleDeleteAsync(HttpContext context, RecordedRequest request)
    {
        if (string.IsNullOrEmpty(request.Body))
        {
            return WriteJsonAsync(context, 400, ErrorBody("missing request body"));
        }

        var name = request.Json.TryGetProperty("model", out var m) ? m.GetString() : request.Json.TryGetProperty("name", out var n) ? n.GetString() : null;
        if (name is null || !TryFind(name, out var model))
        {
            return WriteJsonAsync(context, 404, ErrorBody($"model '{name}' not found"));
        }

        _models.TryRemove(model.Name, out _);
        context.Response.StatusCode = 200;
        return Task.CompletedTask;
    }

    private sealed record ContentLinesScript(IReadOnlyList<string> Lines, string DoneReason);
}

/// <summary>A model the fake Ollama holds: what tags, show and delete report about it.</summary>
public sealed record OllamaTestModel(string Name)
{
    public long SizeBytes { get; init; } = 2019393189;

    public DateTimeOffset ModifiedAt { get; init; } = new(2025, 5, 4, 17, 37, 44, TimeSpan.FromHours(-7));

    public string Digest { get; init; } = "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72";

    /// <summary>Architecture; also the prefix of <c>&lt;arch&gt;.context_length</c> in <c>model_info</c>.</summary>
    public string Family { get; init; } = "llama";

    public string ParameterSize { get; init; } = "3.2B";

    public string QuantizationLevel { get; init; } = "Q4_K_M";

    /// <summary>Ollama's capability names: <c>completion</c>, <c>vision</c>, <c>tools</c>, <c>thinking</c>, <c>embedding</c>, <c>insert</c>.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = ["completion"];

    public int? ContextLength { get; init; } = 131072;
}

/// <summary>A model <c>/api/ps</c> reports as loaded.</summary>
public sealed record OllamaRunningTestModel(string Name)
{
    public long SizeBytes { get; init; } = 5137025024;

    public long SizeVramBytes { get; init; } = 5137025024;

    public DateTimeOffset ExpiresAt { get; init; } = new(2025, 11, 20, 10, 5, 0, TimeSpan.FromHours(-7));

    public int ContextLength { get; init; } = 4096;
}

/// <summary>One layer of a scripted pull: its digest, size and how many progress lines its download takes.</summary>
public sealed record OllamaPullLayer(string Digest, long Size, int Steps = 4);

/// <summary>
/// A scripted <c>/api/pull</c> progress stream in Ollama's order: <c>pulling manifest</c>, per layer
/// <c>pulling &lt;12 hex&gt;</c> lines with <c>total</c> and growing <c>completed</c> (omitted while 0),
/// <c>verifying sha256 digest</c>, <c>writing manifest</c>, <c>success</c>; optionally an <c>{"error":…}</c> line after N lines.
/// </summary>
public sealed record OllamaPullScript(IReadOnlyList<OllamaPullLayer> Layers)
{
    /// <summary>Replace the rest of the stream by <c>{"error":ErrorMessage}</c> after this many lines.</summary>
    public int? ErrorAfterLines { get; init; }

    public string ErrorMessage { get; init; } = "pull model manifest: file does not exist";

    public FaultPlan? Faults { get; init; }

    /// <summary>Renders the NDJSON lines, each with its trailing newline.</summary>
    public IReadOnlyList<string> Render()
    {
        var lines = new List<string> { Line("pulling manifest") };
        foreach (var layer in Layers)
        {
            var shortDigest = "pulling " + layer.Digest.Replace("sha256:", string.Empty, StringComparison.Ordinal)[..12];
            lines.Add(Line(shortDigest, layer.Digest, layer.Size, 0));
            for (var step = 1; step <= layer.Steps; step++)
            {
                lines.Add(Line(shortDigest, layer.Digest, layer.Size, layer.Size * step / layer.Steps));
            }
        }

        lines.Add(Line("verifying sha256 digest"));
        lines.Add(Line("writing manifest"));
        lines.Add(Line("success"));
        if (ErrorAfterLines is { } cut && cut < lines.Count)
        {
            lines = lines.Take(cut).ToList();
            lines.Add(OllamaTestServer.ErrorBody(ErrorMessage) + "\n");
        }

        return lines;
    }

    private static string Line(string status, string? digest = null, long total = 0, long completed = 0)
    {
        var obj = new JsonObject { ["status"] = status };
        if (digest is not null)
        {
            obj["digest"] = digest;
        }

        if (total > 0)
        {
            obj["total"] = total;
        }

        if (completed > 0)
        {
            obj["completed"] = completed;
        }

        return obj.ToJsonString() + "\n";
    }
}
