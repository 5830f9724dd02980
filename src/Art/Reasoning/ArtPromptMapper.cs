using System.Text.Json;
using Art.Tools;
using Microsoft.Extensions.AI;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;

namespace Art.Reasoning;

/// <summary>
/// The one mapping between ART's provider-neutral prompt and Microsoft.Extensions.AI messages and options.
/// Opaque provider data travels in <c>AdditionalProperties</c> under <see cref="SignatureKey"/>, <see cref="ToolNameKey"/>,
/// <see cref="RedactedKey"/> and <see cref="ToolErrorKey"/>.
/// </summary>
public static class ArtPromptMapper
{
    /// <summary>Key of a provider signature (Gemini thoughtSignature) on FunctionCallContent / TextReasoningContent.</summary>
    public const string SignatureKey = "art.signature";

    /// <summary>Key of the tool name on FunctionResultContent (Gemini needs it).</summary>
    public const string ToolNameKey = "art.toolName";

    /// <summary>Key marking a TextReasoningContent whose ProtectedData is redacted thinking rather than a signature.</summary>
    public const string RedactedKey = "art.redacted";

    /// <summary>
    /// Key marking a FunctionResultContent of a tool that failed (<see cref="ArtMessage.IsError"/>). The content also
    /// carries a <see cref="FunctionResultContent.Exception"/>, which MEAI-based clients read; the marker is for builders
    /// that want the flag without an exception. The result text is kept either way: it says what went wrong.
    /// </summary>
    public const string ToolErrorKey = "art.toolError";

    /// <summary>Maps a prompt; <paramref name="extraImages"/> are attached to the last user message.</summary>
    public static List<ChatMessage> ToChatMessages(ArtPrompt prompt, IReadOnlyList<ImageInput>? extraImages = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var lastUser = -1;
        for (var i = prompt.Messages.Count - 1; i >= 0; i--)
        {
            if (prompt.Messages[i].Role == MessageRole.User)
            {
                lastUser = i;
                break;
            }
        }

        var result = new List<ChatMessage>(prompt.Messages.Count);
        for (var i = 0; i < prompt.Messages.Count; i++)
        {
            var message = prompt.Messages[i];
            var extra = i == lastUser ? extraImages : null;
            result.Add(ToChatMessage(message, extra));
        }

        if (lastUser < 0 && extraImages is { Count: > 0 })
        {
            result.Add(ToChatMessage(ArtMessage.User(string.Empty), extraImages));
        }

        return result;
    }

    public static ChatMessage ToChatMessage(ArtMessage message, IReadOnlyList<ImageInput>? extraImages = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        switch (message.Role)
        {
            case MessageRole.System:
                return new ChatMessage(AiChatRole.System, message.Text ?? string.Empty);

            case MessageRole.User:
            {
                var contents = new List<AIContent>();
                if (!string.IsNullOrEmpty(message.Text))
                {
                    contents.Add(new TextContent(message.Text));
                }

                foreach (var image in message.Images)
                {
                    contents.Add(ToContent(image));
                }

                foreach (var image in extraImages ?? [])
                {
                    contents.Add(ToContent(image));
                }

                return new ChatMessage(AiChatRole.User, contents);
            }

            case MessageRole.Assistant:
            {
                var contents = new List<AIContent>();
                foreach (var thought in message.Thoughts)
                {
                    var reasoning = new TextReasoningContent(thought.Text) { ProtectedData = thought.RedactedData ?? thought.Signature };
                    if (thought.RedactedData is not null)
                    {
                        (reasoning.AdditionalProperties ??= [])[RedactedKey] = true;
                    }

                    contents.Add(reasoning);
                }

                if (!string.IsNullOrEmpty(message.Text))
                {
                    contents.Add(new TextContent(message.Text));
                }

                foreach (var call in message.ToolCalls)
                {
                    var content = new FunctionCallContent(call.Id, call.Name, ToArguments(call.Arguments));
                    if (call.ProviderSignature is not null)
                    {
                        (content.AdditionalProperties ??= [])[SignatureKey] = call.ProviderSignature;
                    }

                    contents.Add(content);
                }

                return new ChatMessage(AiChatRole.Assistant, contents);
            }

            case MessageRole.Tool:
            {
                var result = new FunctionResultContent(message.ToolCallId ?? string.Empty, message.Text ?? string.Empty);
                if (message.ToolName is not null)
                {
                    (result.AdditionalProperties ??= [])[ToolNameKey] = message.ToolName;
                }

                if (message.IsError)
                {
                    // Anthropic's SDK maps Exception to tool_result.is_error; Gemini's builder sends {"error":…}.
                    result.Exception = new InvalidOperationException(string.IsNullOrEmpty(message.Text) ? "The tool failed." : message.Text);
                    (result.AdditionalProperties ??= [])[ToolErrorKey] = true;
                }

                return new ChatMessage(AiChatRole.Tool, [result]);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(message), message.Role, "Unknown message role.");
        }
    }

    /// <summary>An image as MEAI content: inline data for bytes/base64/data URLs, a URI otherwise.</summary>
    public static AIContent ToContent(ImageInput image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.Kind switch
        {
            ImageInputKind.Bytes => new DataContent(image.Bytes, image.MediaType!),
            ImageInputKind.Base64 => new DataContent(image.GetBytes(), image.MediaType!),
            _ when image.Url!.Scheme == "data" => new DataContent(image.Url.OriginalString, image.MediaType),
            _ => new UriContent(image.Url!, image.MediaType ?? "image/*"),
        };
    }

    /// <summary>Tool arguments as the dictionary MEAI uses (values are JsonElements).</summary>
    public static Dictionary<string, object?> ToArguments(JsonElement arguments)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (arguments.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in arguments.EnumerateObject())
            {
                result[property.Name] = property.Value.Clone();
            }
        }

        return result;
    }

    /// <summary>MEAI tool arguments back to a JSON object.</summary>
    public static JsonElement FromArguments(IDictionary<string, object?>? arguments) =>
        arguments is null ? EmptyObject : JsonSerializer.SerializeToElement(arguments, AIJsonUtilities.DefaultOptions);

    /// <summary>Tools as MEAI declarations (schema only; ART executes tools itself).</summary>
    public static List<AITool> ToTools(IReadOnlyList<ToolSchema> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        var result = new List<AITool>(tools.Count);
        foreach (var tool in tools)
        {
            result.Add(AIFunctionFactory.CreateDeclaration(tool.Name, tool.Description, tool.InputSchema, tool.OutputSchema));
        }

        return result;
    }

    /// <summary>Builds MEAI chat options from merged parameters.</summary>
    public static ChatOptions ToChatOptions(CallOptions options, ModelParameters parameters, string model)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(parameters);
        var chat = new ChatOptions
        {
            ModelId = model,
            Temperature = (float?)parameters.Temperature,
            TopP = (float?)parameters.TopP,
            TopK = parameters.TopK,
            MaxOutputTokens = parameters.MaxOutputTokens,
            Seed = parameters.Seed,
            FrequencyPenalty = (float?)parameters.FrequencyPenalty,
            PresencePenalty = (float?)parameters.PresencePenalty,
        };
        if (parameters.StopSequences is { Count: > 0 } stops)
        {
            chat.StopSequences = [.. stops];
        }

        if (options.Tools is { Count: > 0 } tools)
        {
            chat.Tools = ToTools(tools);
        }

        if (options.ResponseSchema is { } schema)
        {
            chat.ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "response");
        }

        var effort = parameters.ReasoningEffort?.ToUpperInvariant() switch
        {
            "NONE" => ReasoningEffort.None,
            "LOW" or "MINIMAL" => ReasoningEffort.Low,
            "MEDIUM" => ReasoningEffort.Medium,
            "HIGH" => ReasoningEffort.High,
            "XHIGH" or "EXTRAHIGH" or "EXTRA_HIGH" or "MAX" => ReasoningEffort.ExtraHigh,
            _ => (ReasoningEffort?)null,
        };
        if (effort is not null || parameters.Think is not null)
        {
            chat.Reasoning = new ReasoningOptions
            {
                Effort = parameters.Think == false ? ReasoningEffort.None : effort ?? ReasoningEffort.Medium,
                Output = parameters.Think == false ? ReasoningOutput.None : ReasoningOutput.Full,
            };
        }

        if (parameters.Extra is { Count: > 0 } extra)
        {
            chat.AdditionalProperties ??= [];
            foreach (var (key, value) in extra)
            {
                chat.AdditionalProperties[key] = value;
            }
        }

        return chat;
    }

    /// <summary>MEAI finish reason to ART's.</summary>
    public static FinishReason ToFinishReason(ChatFinishReason? reason, bool sawToolCalls)
    {
        if (reason is null)
        {
            return sawToolCalls ? FinishReason.ToolCalls : FinishReason.Stop;
        }

        var r = reason.Value;
        if (r == ChatFinishReason.Stop)
        {
            return sawToolCalls ? FinishReason.ToolCalls : FinishReason.Stop;
        }

        if (r == ChatFinishReason.Length)
        {
            return FinishReason.Length;
        }

        if (r == ChatFinishReason.ToolCalls)
        {
            return FinishReason.ToolCalls;
        }

        return r == ChatFinishReason.ContentFilter ? FinishReason.ContentFilter : FinishReason.Other;
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();
}
