using System.Text.Json;
using Art.Models;
using Art.Tools;
using Microsoft.Extensions.AI;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;

namespace Art.Reasoning;

/// <summary>
/// The reverse of <see cref="ArtPromptMapper"/>: Microsoft.Extensions.AI messages and options to ART's prompt and
/// call options, for <see cref="ReasoningEngineChatClient"/>. Uses the same <c>AdditionalProperties</c> keys, so a
/// prompt survives a round trip.
/// </summary>
public static class ChatMessageMapper
{
    /// <summary>Maps MEAI messages to a prompt. A message with several function results becomes several tool messages.</summary>
    public static ArtPrompt ToArtPrompt(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var toolNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var message in list)
        {
            foreach (var call in message.Contents.OfType<FunctionCallContent>())
            {
                if (!string.IsNullOrEmpty(call.CallId))
                {
                    toolNames[call.CallId] = call.Name;
                }
            }
        }

        var result = new List<ArtMessage>(list.Count);
        foreach (var message in list)
        {
            if (message.Role == AiChatRole.System)
            {
                result.Add(ArtMessage.System(message.Text));
            }
            else if (message.Role == AiChatRole.User)
            {
                var images = message.Contents.Select(ToImage).OfType<ImageInput>().ToList();
                var text = string.Concat(message.Contents.OfType<TextContent>().Select(t => t.Text));
                result.Add(ArtMessage.User(text, images));
                AddResults(result, message, toolNames);
            }
            else if (message.Role == AiChatRole.Assistant)
            {
                var text = string.Concat(message.Contents.OfType<TextContent>().Select(t => t.Text));
                var calls = message.Contents.OfType<FunctionCallContent>().Select(ToToolCall).ToList();
                var thoughts = message.Contents.OfType<TextReasoningContent>().Select(ToThought).ToList();
                result.Add(ArtMessage.Assistant(text.Length == 0 ? null : text, calls, thoughts));
            }
            else if (message.Role == AiChatRole.Tool)
            {
                AddResults(result, message, toolNames);
            }
            else
            {
                // Unknown custom roles are treated as user text rather than dropped silently.
                result.Add(ArtMessage.User(message.Text));
            }
        }

        return new ArtPrompt(result);
    }

    /// <summary>A declared function as an ART tool schema (its JSON schema as the input schema).</summary>
    public static ToolSchema ToToolSchema(AIFunctionDeclaration function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new ToolSchema
        {
            Name = function.Name,
            Description = function.Description ?? string.Empty,
            InputSchema = function.JsonSchema,
            OutputSchema = function.ReturnJsonSchema,
        };
    }

    /// <summary>MEAI options to ART parameters (sampling, limits, reasoning, additional properties that are not ART keys).</summary>
    public static ModelParameters ToParameters(ChatOptions? options)
    {
        if (options is null)
        {
            return ModelParameters.Empty;
        }

        Dictionary<string, JsonElement>? extra = null;
        if (options.AdditionalProperties is { Count: > 0 } properties)
        {
            foreach (var (key, value) in properties)
            {
                if (key.StartsWith("art.", StringComparison.Ordinal))
                {
                    continue;
                }

                extra ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                extra[key] = value is JsonElement element ? element : JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions);
            }
        }

        return new ModelParameters
        {
            Temperature = options.Temperature,
            TopP = options.TopP,
            TopK = options.TopK,
            MaxOutputTokens = options.MaxOutputTokens,
            StopSequences = options.StopSequences is { Count: > 0 } stops ? [.. stops] : null,
            Seed = options.Seed,
            FrequencyPenalty = options.FrequencyPenalty,
            PresencePenalty = options.PresencePenalty,
            ReasoningEffort = options.Reasoning?.Effort switch
            {
                null => null,
                ReasoningEffort.None => "none",
                ReasoningEffort.Low => "low",
                ReasoningEffort.Medium => "medium",
                ReasoningEffort.High => "high",
                _ => "xhigh",
            },
            Think = options.Reasoning?.Output == ReasoningOutput.None ? false : null,
            Extra = extra,
        };
    }

    /// <summary>Parses a capability list given as enums, names (<c>tool_use</c>, <c>ToolUse</c>), a comma list or a JSON array.</summary>
    public static IReadOnlyList<ModelCapability>? ToCapabilities(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case ModelCapability single:
                return [single];
            case IEnumerable<ModelCapability> many:
                return [.. many];
            case string text:
                return [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseCapability)];
            case JsonElement { ValueKind: JsonValueKind.Array } array:
                return [.. array.EnumerateArray().Select(e => ParseCapability(e.GetString() ?? string.Empty))];
            case JsonElement { ValueKind: JsonValueKind.String } str:
                return ToCapabilities(str.GetString());
            case IEnumerable<string> names:
                return [.. names.Select(ParseCapability)];
            default:
                throw new ArgumentException($"Cannot read capabilities from a {value.GetType().Name}.", nameof(value));
        }
    }

    private static ModelCapability ParseCapability(string name)
    {
        var normalized = name.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
        return Enum.TryParse<ModelCapability>(normalized, ignoreCase: true, out var capability)
            ? capability
            : throw new ArgumentException($"Unknown capability '{name}'. Known: {string.Join(", ", Enum.GetNames<ModelCapability>())}.", nameof(name));
    }

    private static void AddResults(List<ArtMessage> result, ChatMessage message, Dictionary<string, string> toolNames)
    {
        foreach (var content in message.Contents.OfType<FunctionResultContent>())
        {
            var name = content.AdditionalProperties?.TryGetValue(ArtPromptMapper.ToolNameKey, out var n) == true && n is string s
                ? s
                : toolNames.GetValueOrDefault(content.CallId) ?? string.Empty;
            result.Add(ArtMessage.ToolResult(content.CallId, name, ResultText(content), content.Exception is not null));
        }
    }

    private static string ResultText(FunctionResultContent content) => content.Result switch
    {
        null when content.Exception is not null => JsonSerializer.Serialize(new { error = content.Exception.Message }),
        null => "null",
        string text => text,
        JsonElement element => element.GetRawText(),
        var other => JsonSerializer.Serialize(other, AIJsonUtilities.DefaultOptions),
    };

    private static ToolCall ToToolCall(FunctionCallContent call)
    {
        var signature = call.AdditionalProperties?.TryGetValue(ArtPromptMapper.SignatureKey, out var s) == true ? s as string : null;
        return new ToolCall(call.CallId, call.Name, ArtPromptMapper.FromArguments(call.Arguments)) { ProviderSignature = signature };
    }

    private static ThoughtBlock ToThought(TextReasoningContent reasoning)
    {
        var redacted = reasoning.AdditionalProperties?.ContainsKey(ArtPromptMapper.RedactedKey) == true;
        return new ThoughtBlock(reasoning.Text)
        {
            Signature = redacted ? null : reasoning.ProtectedData,
            RedactedData = redacted ? reasoning.ProtectedData : null,
        };
    }

    private static ImageInput? ToImage(AIContent content) => content switch
    {
        DataContent data when data.HasTopLevelMediaType("image") => ImageInput.FromBytes(data.Data, data.MediaType),
        UriContent uri when uri.HasTopLevelMediaType("image") => ImageInput.FromUrl(uri.Uri, uri.MediaType == "image/*" ? null : uri.MediaType),
        _ => null,
    };
}
