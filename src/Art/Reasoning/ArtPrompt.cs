using System.Text.Json;

namespace Art.Reasoning;

/// <summary>Who said a message.</summary>
public enum MessageRole
{
    System,
    User,
    Assistant,
    Tool,
}

/// <summary>
/// A provider-neutral prompt: an ordered list of messages. Adapters map it to their wire format once
/// (<c>ChatClientProviderAdapter</c> for IChatClient-based providers).
/// </summary>
public sealed record ArtPrompt
{
    public ArtPrompt(IReadOnlyList<ArtMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        Messages = messages;
    }

    public IReadOnlyList<ArtMessage> Messages { get; }

    /// <summary>A prompt of one user message.</summary>
    public static ArtPrompt FromUser(string text) => new([ArtMessage.User(text)]);

    /// <summary>A prompt of a system message and one user message.</summary>
    public static ArtPrompt FromSystemAndUser(string system, string user) => new([ArtMessage.System(system), ArtMessage.User(user)]);

    /// <summary>The text of the last user message: what QueryAnalyzer reads.</summary>
    public string? LastUserText => Messages.LastOrDefault(m => m.Role == MessageRole.User)?.Text;

    /// <summary>Rough size in characters, for token estimates.</summary>
    public int CharacterCount
    {
        get
        {
            var count = 0;
            foreach (var m in Messages)
            {
                count += (m.Text?.Length ?? 0) + 4;
                foreach (var call in m.ToolCalls)
                {
                    count += call.Name.Length + call.Arguments.GetRawText().Length;
                }
            }

            return count;
        }
    }
}

/// <summary>One message of a prompt.</summary>
public sealed record ArtMessage
{
    public required MessageRole Role { get; init; }

    public string? Text { get; init; }

    /// <summary>Images attached to a user message.</summary>
    public IReadOnlyList<ImageInput> Images { get; init; } = [];

    /// <summary>Tool calls the assistant made in this (assistant) message.</summary>
    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];

    /// <summary>Thinking blocks of an earlier assistant turn, kept so providers that need them back (Anthropic, Gemini) get them.</summary>
    public IReadOnlyList<ThoughtBlock> Thoughts { get; init; } = [];

    /// <summary>For a tool message: the call it answers.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>For a tool message: the tool's name (Gemini needs it).</summary>
    public string? ToolName { get; init; }

    /// <summary>For a tool message: whether the tool failed.</summary>
    public bool IsError { get; init; }

    public static ArtMessage System(string text) => new() { Role = MessageRole.System, Text = text };

    public static ArtMessage User(string text, IReadOnlyList<ImageInput>? images = null) => new() { Role = MessageRole.User, Text = text, Images = images ?? [] };

    public static ArtMessage Assistant(string? text, IReadOnlyList<ToolCall>? toolCalls = null, IReadOnlyList<ThoughtBlock>? thoughts = null) =>
        new() { Role = MessageRole.Assistant, Text = text, ToolCalls = toolCalls ?? [], Thoughts = thoughts ?? [] };

    public static ArtMessage ToolResult(string toolCallId, string toolName, string resultJson, bool isError = false) =>
        new() { Role = MessageRole.Tool, ToolCallId = toolCallId, ToolName = toolName, Text = resultJson, IsError = isError };
}

/// <summary>A tool call requested by a model. Arguments are a JSON object.</summary>
public sealed record ToolCall(string Id, string Name, JsonElement Arguments)
{
    /// <summary>Opaque provider data that must be sent back with the call (Gemini <c>thoughtSignature</c>).</summary>
    public string? ProviderSignature { get; init; }
}

/// <summary>A block of model thinking, with the provider's signature when it has one (needed to send it back).</summary>
public sealed record ThoughtBlock(string Text)
{
    /// <summary>Anthropic thinking signature / Gemini thought signature.</summary>
    public string? Signature { get; init; }

    /// <summary>Anthropic redacted thinking: opaque data, no readable text.</summary>
    public string? RedactedData { get; init; }
}
