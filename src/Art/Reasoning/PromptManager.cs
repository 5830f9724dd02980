using System.Text;
using System.Text.Json;
using Art.Context;
using Art.Tools;

namespace Art.Reasoning;

/// <summary>How the system prompts of the hierarchy (instance default, thread, call) combine.</summary>
public enum SystemPromptMode
{
    /// <summary>
    /// All present prompts are joined, least specific first (instance default, then thread, then call), so the base
    /// persona and rules of the instance stay and the more specific text comes last, where models weigh it most.
    /// </summary>
    Append,

    /// <summary>The most specific present prompt replaces the others.</summary>
    Replace,
}

/// <summary>Settings of the <see cref="PromptManager"/>.</summary>
public sealed record PromptManagerOptions
{
    /// <summary>The instance-wide default system prompt (least specific level of the hierarchy).</summary>
    public string DefaultSystemPrompt { get; init; } = "You are a helpful, concise assistant.";

    public SystemPromptMode SystemPromptMode { get; init; } = SystemPromptMode.Append;

    /// <summary>Whether tool examples are shown to models that plan in text (they help small models, but cost tokens).</summary>
    public bool IncludeToolExamples { get; init; } = true;

    /// <summary>Tool output longer than this is cut when described in text (JSON-plan path), so one big result cannot crowd out the prompt.</summary>
    public int MaxToolResultCharacters { get; init; } = 8000;
}

/// <summary>One round of tool use inside a turn: what the model asked and what the tools returned.</summary>
/// <param name="AssistantText">Text the model wrote alongside its calls (may be null).</param>
/// <param name="Calls">The calls it asked for.</param>
/// <param name="Results">Their results, in the same order.</param>
public sealed record ToolRound(string? AssistantText, IReadOnlyList<ToolCall> Calls, IReadOnlyList<ToolResult> Results)
{
    /// <summary>Thinking blocks of the round's assistant message, sent back to providers that need them.</summary>
    public IReadOnlyList<ThoughtBlock> Thoughts { get; init; } = [];
}

/// <summary>What a planning prompt is made of.</summary>
public sealed record PlanningPromptRequest
{
    public required string Query { get; init; }

    public IReadOnlyList<ConversationMessage> History { get; init; } = [];

    /// <summary>The resolved system prompt (see <see cref="PromptManager.ResolveSystemPrompt"/>).</summary>
    public required string SystemPrompt { get; init; }

    public IReadOnlyList<ToolSchema> Tools { get; init; } = [];

    /// <summary>True when the tools travel as native tool definitions; false to describe them for a JSON plan in text.</summary>
    public bool NativeTools { get; init; }

    public IReadOnlyList<ImageInput>? Images { get; init; }
}

/// <summary>What a synthesis prompt is made of.</summary>
public sealed record SynthesisPromptRequest
{
    public required string Query { get; init; }

    public IReadOnlyList<ConversationMessage> History { get; init; } = [];

    public required string SystemPrompt { get; init; }

    public string? Intent { get; init; }

    public string? Plan { get; init; }

    public IReadOnlyList<ToolRound> ToolRounds { get; init; } = [];

    /// <summary>True: tool rounds become assistant tool-call messages and tool messages; false: they are described in text.</summary>
    public bool NativeTools { get; init; }

    public IReadOnlyList<ImageInput>? Images { get; init; }
}

/// <summary>
/// Builds the provider-neutral prompts of the agent's stages. History is sent as real user and assistant messages (not
/// "User:/AI:" text); tool results go back as tool messages when the model calls tools natively.
/// </summary>
/// <remarks>
/// System prompt hierarchy, least to most specific: the instance default (<see cref="PromptManagerOptions.DefaultSystemPrompt"/>),
/// the thread's <see cref="ThreadConfig.SystemPrompt"/>, the call's <c>AgentOptions.SystemPrompt</c>. With
/// <see cref="SystemPromptMode.Append"/> (default) all present levels are joined by a blank line in that order; with
/// <see cref="SystemPromptMode.Replace"/> the most specific one alone is used. Stage instructions (how to plan, how to
/// answer) are appended after the resolved prompt in both modes, because the agent needs them to work.
/// </remarks>
public sealed class PromptManager
{
    private readonly PromptManagerOptions _options;

    public PromptManager(PromptManagerOptions? options = null) => _options = options ?? new PromptManagerOptions();

    public PromptManagerOptions Options => _options;

    /// <summary>Resolves the hierarchy: instance default &lt; thread &lt; call.</summary>
    public string ResolveSystemPrompt(string? threadSystemPrompt, string? callSystemPrompt)
    {
        var levels = new[] { _options.DefaultSystemPrompt, threadSystemPrompt, callSystemPrompt }
            .Where(p => !string.IsNullOrWhiteSpace(p))
            .Select(p => p!.Trim())
            .ToList();
        if (levels.Count == 0)
        {
            return string.Empty;
        }

        return _options.SystemPromptMode == SystemPromptMode.Replace ? levels[^1] : string.Join("\n\n", levels);
    }

    /// <summary>The planning prompt: system (resolved + planning instructions + tool descriptions for JSON plans), history, the query.</summary>
    public ArtPrompt CreatePlanningPrompt(PlanningPromptRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var system = new StringBuilder(request.SystemPrompt);
        Separate(system);
        if (request.Tools.Count == 0)
        {
            system.Append("First state briefly what the user wants and how you will answer. Do not answer yet.");
        }
        else if (request.NativeTools)
        {
            system.Append("Decide whether tools are needed to answer the user's latest message. If they are, call them now ")
                .Append("(several at once when they are independent). If not, state briefly what the user wants and how you will answer.");
        }
        else
        {
            system.Append("Decide whether tools are needed to answer the user's latest message. Reply with only a JSON object, ")
                .Append("no other text:\n")
                .Append("{\"intent\": \"what the user wants\", \"plan\": \"how you will answer\", ")
                .Append("\"toolCalls\": [{\"callId\": \"call_1\", \"toolName\": \"<tool name>\", \"arguments\": { ... }}]}\n")
                .Append("Use an empty toolCalls array when no tool is needed. Arguments must follow the tool's input schema.\n\n")
                .Append("Available tools:\n");
            AppendTools(system, request.Tools, _options.IncludeToolExamples);
        }

        var messages = new List<ArtMessage>(request.History.Count + 2) { ArtMessage.System(system.ToString()) };
        AppendHistory(messages, request.History);
        messages.Add(ArtMessage.User(request.Query, request.Images));
        return new ArtPrompt(messages);
    }

    /// <summary>The synthesis prompt: system (resolved + answer instructions), history, the query, then the turn's tool rounds.</summary>
    public ArtPrompt CreateSynthesisPrompt(SynthesisPromptRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var system = new StringBuilder(request.SystemPrompt);
        Separate(system);
        system.Append("Answer the user's latest message directly and completely.");
        if (request.ToolRounds.Count > 0)
        {
            system.Append(" Use the tool results; if a tool failed, say so and answer as well as you can without it.");
        }

        if (!string.IsNullOrWhiteSpace(request.Intent) || !string.IsNullOrWhiteSpace(request.Plan))
        {
            system.Append("\n\n");
            if (!string.IsNullOrWhiteSpace(request.Intent))
            {
                system.Append("Intent: ").Append(request.Intent!.Trim()).Append('\n');
            }

            if (!string.IsNullOrWhiteSpace(request.Plan))
            {
                system.Append("Plan: ").Append(request.Plan!.Trim()).Append('\n');
            }
        }

        if (!request.NativeTools && request.ToolRounds.Count > 0)
        {
            system.Append("\n\nTool results:\n");
            foreach (var round in request.ToolRounds)
            {
                foreach (var result in round.Results)
                {
                    system.Append("- Tool: ").Append(result.ToolName).Append(" (call ").Append(result.CallId).Append(")\n  ");
                    system.Append(result.Status == ToolResultStatus.Success ? "Output: " : "Error: ");
                    var text = result.Status == ToolResultStatus.Success ? result.Output?.GetRawText() ?? "null" : result.Error ?? "unknown error";
                    system.Append(text.Length > _options.MaxToolResultCharacters ? text[.._options.MaxToolResultCharacters] + "…" : text).Append('\n');
                }
            }
        }

        var messages = new List<ArtMessage>(request.History.Count + 2 + (request.ToolRounds.Count * 3)) { ArtMessage.System(system.ToString().TrimEnd()) };
        AppendHistory(messages, request.History);
        messages.Add(ArtMessage.User(request.Query, request.Images));
        if (request.NativeTools)
        {
            AppendToolRounds(messages, request.ToolRounds);
        }

        return new ArtPrompt(messages);
    }

    /// <summary>Appends rounds as an assistant message with the calls followed by one tool message per result.</summary>
    public static void AppendToolRounds(List<ArtMessage> messages, IReadOnlyList<ToolRound> rounds)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(rounds);
        foreach (var round in rounds)
        {
            messages.Add(ArtMessage.Assistant(round.AssistantText, round.Calls, round.Thoughts));
            foreach (var result in round.Results)
            {
                messages.Add(ArtMessage.ToolResult(result.CallId, result.ToolName, result.ToModelText(), result.Status == ToolResultStatus.Error));
            }
        }
    }

    /// <summary>History as real messages: user and assistant turns only (system and orphan tool messages are dropped).</summary>
    public static void AppendHistory(List<ArtMessage> messages, IReadOnlyList<ConversationMessage> history)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(history);
        foreach (var message in history)
        {
            switch (message.Role)
            {
                case MessageRole.User:
                    messages.Add(ArtMessage.User(message.Content));
                    break;
                case MessageRole.Assistant when !string.IsNullOrEmpty(message.Content):
                    messages.Add(ArtMessage.Assistant(message.Content));
                    break;
            }
        }
    }

    private static void AppendTools(StringBuilder builder, IReadOnlyList<ToolSchema> tools, bool includeExamples)
    {
        foreach (var tool in tools)
        {
            builder.Append("- ").Append(tool.Name).Append(": ").Append(tool.Description).Append('\n')
                .Append("  input schema: ").Append(JsonSerializer.Serialize(tool.InputSchema)).Append('\n');
            foreach (var example in includeExamples ? tool.Examples : [])
            {
                builder.Append("  example arguments: ").Append(example.Input.GetRawText()).Append('\n');
            }
        }
    }

    private static void Separate(StringBuilder builder)
    {
        if (builder.Length > 0)
        {
            builder.Append("\n\n");
        }
    }
}
