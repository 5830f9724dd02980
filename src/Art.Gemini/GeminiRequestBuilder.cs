using System.Text.Json;
using System.Text.Json.Nodes;
using Art.Reasoning;
using Microsoft.Extensions.AI;

namespace Art.Gemini;

/// <summary>
/// Builds the <c>generateContent</c> request body from MEAI messages and options. Keys recognised in
/// <see cref="ChatOptions.AdditionalProperties"/>: <see cref="IncludeThoughtsKey"/> (bool), <see cref="ThinkingBudgetKey"/>
/// (int), <see cref="ThinkingLevelKey"/> (string), <see cref="UseJsonSchemaKey"/> (bool: send JSON Schema as
/// <c>responseJsonSchema</c>/<c>parametersJsonSchema</c> instead of the converted OpenAPI subset).
/// </summary>
public static class GeminiRequestBuilder
{
    /// <summary>Ask Gemini for thought summaries (<c>thinkingConfig.includeThoughts</c>).</summary>
    public const string IncludeThoughtsKey = "gemini.includeThoughts";

    /// <summary><c>thinkingConfig.thinkingBudget</c> (0 disables thinking where allowed, -1 dynamic).</summary>
    public const string ThinkingBudgetKey = "gemini.thinkingBudget";

    /// <summary><c>thinkingConfig.thinkingLevel</c> (Gemini 3).</summary>
    public const string ThinkingLevelKey = "gemini.thinkingLevel";

    /// <summary>Send schemas as plain JSON Schema (Gemini 2.5+ only) instead of the converted OpenAPI subset.</summary>
    public const string UseJsonSchemaKey = "gemini.useJsonSchema";

    /// <summary>
    /// Where a tool call's or a text part's <c>thoughtSignature</c> travels in MEAI contents' AdditionalProperties:
    /// ART's shared key, so <c>ChatClientProviderAdapter</c> carries it to <c>ToolCall.ProviderSignature</c> and back.
    /// </summary>
    public const string ThoughtSignatureKey = ArtPromptMapper.SignatureKey;

    /// <summary>Prefix of call ids the client made up (Gemini often sends none); such ids are never sent back.</summary>
    public const string SyntheticCallIdPrefix = "gemini-call-";

    /// <summary>Builds the request; <paramref name="images"/> maps URL contents to already downloaded bytes.</summary>
    public static JsonObject Build(IEnumerable<ChatMessage> messages, ChatOptions? options, IReadOnlyDictionary<Uri, DataContent>? images = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages.ToList();
        var request = new JsonObject();
        var system = new JsonArray();
        if (!string.IsNullOrEmpty(options?.Instructions))
        {
            system.Add(new JsonObject { ["text"] = options.Instructions });
        }

        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var contents = new JsonArray();
        string? lastRole = null;
        JsonArray? lastParts = null;
        foreach (var message in list)
        {
            if (message.Role == ChatRole.System)
            {
                foreach (var text in message.Contents.OfType<TextContent>())
                {
                    if (!string.IsNullOrEmpty(text.Text))
                    {
                        system.Add(new JsonObject { ["text"] = text.Text });
                    }
                }

                continue;
            }

            var role = message.Role == ChatRole.Assistant ? "model" : "user";
            var parts = BuildParts(message, callNames, images);
            if (parts.Count == 0)
            {
                continue;
            }

            if (role == lastRole && lastParts is not null)
            {
                // Gemini wants alternating turns; function responses for parallel calls belong in one user turn.
                foreach (var part in parts.ToList())
                {
                    parts.Remove(part);
                    lastParts.Add(part);
                }

                continue;
            }

            contents.Add(new JsonObject { ["role"] = role, ["parts"] = parts });
            lastRole = role;
            lastParts = parts;
        }

        request["contents"] = contents;
        if (system.Count > 0)
        {
            request["systemInstruction"] = new JsonObject { ["parts"] = system };
        }

        var useJsonSchema = Flag(options, UseJsonSchemaKey) == true;
        AddTools(request, options, useJsonSchema);
        var generation = GenerationConfig(options, useJsonSchema);
        if (generation.Count > 0)
        {
            request["generationConfig"] = generation;
        }

        return request;
    }

    /// <remarks>
    /// Gemini puts a <c>thoughtSignature</c> on the first part after the thinking (an answer text or a function call),
    /// not on the thought summary, and wants it back on the same part. ART may hand the signature back on the thought
    /// block it closed, or as a text-less block, so a thought's signature is carried forward to the next text or
    /// function-call part that has none of its own; if no such part follows, it stays on the thought part (or on an
    /// empty part of its own).
    /// </remarks>
    private static JsonArray BuildParts(ChatMessage message, Dictionary<string, string> callNames, IReadOnlyDictionary<Uri, DataContent>? images)
    {
        var parts = new JsonArray();
        string? pending = null;
        JsonObject? pendingSource = null;

        void Flush()
        {
            if (pending is null)
            {
                return;
            }

            if (pendingSource is not null)
            {
                pendingSource["thoughtSignature"] = pending;
            }
            else
            {
                parts.Add(new JsonObject { ["text"] = string.Empty, ["thoughtSignature"] = pending });
            }

            pending = null;
            pendingSource = null;
        }

        string? Take(AIContent content)
        {
            var own = Signature(content);
            if (own is not null)
            {
                Flush();
                return own;
            }

            var carried = pending;
            pending = null;
            pendingSource = null;
            return carried;
        }

        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextReasoningContent reasoning when string.IsNullOrEmpty(reasoning.Text):
                    if (reasoning.ProtectedData is { Length: > 0 } bare)
                    {
                        Flush();
                        pending = bare;
                    }

                    break;
                case TextReasoningContent reasoning:
                    var thought = new JsonObject { ["text"] = reasoning.Text, ["thought"] = true };
                    parts.Add(thought);
                    if (reasoning.ProtectedData is { Length: > 0 } thoughtSignature)
                    {
                        Flush();
                        pending = thoughtSignature;
                        pendingSource = thought;
                    }

                    break;
                case TextContent text when !string.IsNullOrEmpty(text.Text):
                    var textPart = new JsonObject { ["text"] = text.Text };
                    AttachSignature(textPart, Take(text));
                    parts.Add(textPart);
                    break;
                case DataContent data:
                    parts.Add(new JsonObject { ["inlineData"] = new JsonObject { ["mimeType"] = data.MediaType, ["data"] = data.Base64Data.ToString() } });
                    break;
                case UriContent uri when images is not null && images.TryGetValue(uri.Uri, out var fetched):
                    parts.Add(new JsonObject { ["inlineData"] = new JsonObject { ["mimeType"] = fetched.MediaType, ["data"] = fetched.Base64Data.ToString() } });
                    break;
                case UriContent uri:
                    parts.Add(new JsonObject { ["fileData"] = new JsonObject { ["mimeType"] = uri.MediaType, ["fileUri"] = uri.Uri.ToString() } });
                    break;
                case FunctionCallContent call:
                    callNames[call.CallId] = call.Name;

                    // No id is sent back: the Gemini API pairs responses with calls by name and order, and ids in a
                    // history may come from another provider (after a fallback) or be made up by this client.
                    var callPart = new JsonObject { ["functionCall"] = new JsonObject { ["name"] = call.Name, ["args"] = ArgumentsObject(call.Arguments) } };
                    AttachSignature(callPart, Take(call));
                    parts.Add(callPart);
                    break;
                case FunctionResultContent result:
                    // Gemini needs the function's name on the response: ART's tool name, else the call it answers.
                    var name = result.AdditionalProperties?.TryGetValue(ArtPromptMapper.ToolNameKey, out var n) == true && n is string s ? s
                        : callNames.TryGetValue(result.CallId, out var known) ? known
                        : result.CallId;
                    parts.Add(new JsonObject { ["functionResponse"] = new JsonObject { ["name"] = name, ["response"] = ResponseObject(result) } });
                    break;
            }
        }

        Flush();
        return parts;
    }

    private static void AttachSignature(JsonObject part, string? signature)
    {
        if (!string.IsNullOrEmpty(signature))
        {
            part["thoughtSignature"] = signature;
        }
    }

    private static string? Signature(AIContent content) =>
        content.AdditionalProperties?.TryGetValue(ThoughtSignatureKey, out var value) == true ? value as string : null;

    private static JsonObject ArgumentsObject(IDictionary<string, object?>? arguments)
    {
        if (arguments is null)
        {
            return [];
        }

        var node = JsonSerializer.SerializeToNode(arguments, AIJsonUtilities.DefaultOptions);
        return node as JsonObject ?? [];
    }

    private static JsonObject ResponseObject(FunctionResultContent result)
    {
        // functionResponse.response must be an object: Gemini's convention is {"output": ...} or {"error": ...}.
        var key = result.Exception is not null || IsFlagged(result, "isError") || IsFlagged(result, ArtPromptMapper.ToolErrorKey) ? "error" : "output";
        JsonNode? value = result.Result switch
        {
            null => result.Exception?.Message,
            JsonElement element => JsonNode.Parse(element.GetRawText()),
            JsonNode node => node.DeepClone(),
            string text => TryParse(text) ?? JsonValue.Create(text),
            var other => JsonSerializer.SerializeToNode(other, AIJsonUtilities.DefaultOptions),
        };
        if (key == "output" && value is JsonObject obj)
        {
            return obj;
        }

        return new JsonObject { [key] = value };
    }

    private static bool IsFlagged(FunctionResultContent result, string key) =>
        result.AdditionalProperties?.TryGetValue(key, out var value) == true && value is true;

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void AddTools(JsonObject request, ChatOptions? options, bool useJsonSchema)
    {
        var declarations = new JsonArray();
        foreach (var tool in options?.Tools?.OfType<AIFunctionDeclaration>() ?? [])
        {
            var declaration = new JsonObject { ["name"] = tool.Name, ["description"] = tool.Description ?? string.Empty };
            var schema = tool.JsonSchema;
            var hasProperties = schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object && props.EnumerateObject().Any();
            if (useJsonSchema)
            {
                declaration["parametersJsonSchema"] = JsonNode.Parse(schema.GetRawText());
            }
            else if (hasProperties)
            {
                // Gemini rejects an OBJECT schema with empty properties; a tool without inputs sends none.
                declaration["parameters"] = GeminiSchemaConverter.Convert(schema);
            }

            declarations.Add(declaration);
        }

        if (declarations.Count == 0)
        {
            return;
        }

        request["tools"] = new JsonArray { new JsonObject { ["functionDeclarations"] = declarations } };
        var mode = options!.ToolMode switch
        {
            NoneChatToolMode => "NONE",
            RequiredChatToolMode => "ANY",
            _ => null,
        };
        if (mode is not null)
        {
            var config = new JsonObject { ["mode"] = mode };
            if (options.ToolMode is RequiredChatToolMode { RequiredFunctionName: { } required })
            {
                config["allowedFunctionNames"] = new JsonArray { required };
            }

            request["toolConfig"] = new JsonObject { ["functionCallingConfig"] = config };
        }
    }

    private static JsonObject GenerationConfig(ChatOptions? options, bool useJsonSchema)
    {
        var config = new JsonObject();
        if (options is null)
        {
            return config;
        }

        if (options.Temperature is { } temperature)
        {
            config["temperature"] = temperature;
        }

        if (options.TopP is { } topP)
        {
            config["topP"] = topP;
        }

        if (options.TopK is { } topK)
        {
            config["topK"] = topK;
        }

        if (options.MaxOutputTokens is { } max)
        {
            config["maxOutputTokens"] = max;
        }

        if (options.StopSequences is { Count: > 0 } stops)
        {
            var array = new JsonArray();
            foreach (var stop in stops)
            {
                array.Add(stop);
            }

            config["stopSequences"] = array;
        }

        if (options.Seed is { } seed)
        {
            config["seed"] = seed;
        }

        if (options.PresencePenalty is { } presence)
        {
            config["presencePenalty"] = presence;
        }

        if (options.FrequencyPenalty is { } frequency)
        {
            config["frequencyPenalty"] = frequency;
        }

        // ART reads one answer: ask for exactly one candidate.
        config["candidateCount"] = 1;

        if (options.ResponseFormat is ChatResponseFormatJson json)
        {
            config["responseMimeType"] = "application/json";
            if (json.Schema is { } schema)
            {
                if (useJsonSchema)
                {
                    config["responseJsonSchema"] = JsonNode.Parse(schema.GetRawText());
                }
                else
                {
                    config["responseSchema"] = GeminiSchemaConverter.Convert(schema);
                }
            }
        }

        var thinking = new JsonObject();
        var include = Flag(options, IncludeThoughtsKey);
        if (include is null && options.Reasoning is { } reasoning)
        {
            include = reasoning.Output is not null ? reasoning.Output != ReasoningOutput.None : null;
        }

        if (include is { } includeThoughts)
        {
            thinking["includeThoughts"] = includeThoughts;
        }

        if (Number(options, ThinkingBudgetKey) is { } budget)
        {
            thinking["thinkingBudget"] = budget;
        }
        else if (options.AdditionalProperties?.TryGetValue(ThinkingLevelKey, out var level) == true && (level as string ?? (level is JsonElement { ValueKind: JsonValueKind.String } e ? e.GetString() : null)) is { } levelText)
        {
            thinking["thinkingLevel"] = levelText;
        }

        // ReasoningOptions.Effort is not mapped to a budget on purpose: 0 (off) is refused by models that always
        // think (2.5 Pro), so a budget is only sent when asked for explicitly.

        if (thinking.Count > 0)
        {
            config["thinkingConfig"] = thinking;
        }

        return config;
    }

    private static bool? Flag(ChatOptions? options, string key) =>
        options?.AdditionalProperties?.TryGetValue(key, out var value) == true
            ? value switch { bool b => b, JsonElement { ValueKind: JsonValueKind.True } => true, JsonElement { ValueKind: JsonValueKind.False } => false, _ => null }
            : null;

    private static int? Number(ChatOptions? options, string key) =>
        options?.AdditionalProperties?.TryGetValue(key, out var value) == true
            ? value switch { int i => i, long l => (int)l, JsonElement { ValueKind: JsonValueKind.Number } e => e.GetInt32(), _ => null }
            : null;
}
