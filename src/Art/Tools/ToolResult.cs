using System.Text.Json;

namespace Art.Tools;

/// <summary>Whether a tool call succeeded.</summary>
public enum ToolResultStatus
{
    Success,
    Error,
}

/// <summary>The outcome of one tool call; failures are results, not exceptions, so the agent can explain them.</summary>
public sealed record ToolResult
{
    public required string CallId { get; init; }

    public required string ToolName { get; init; }

    public required ToolResultStatus Status { get; init; }

    /// <summary>The tool's output (JSON) when it succeeded.</summary>
    public JsonElement? Output { get; init; }

    /// <summary>What went wrong, in words a model and a user can act on.</summary>
    public string? Error { get; init; }

    public IReadOnlyDictionary<string, JsonElement>? Metadata { get; init; }

    public static ToolResult Success(string callId, string toolName, JsonElement output) =>
        new() { CallId = callId, ToolName = toolName, Status = ToolResultStatus.Success, Output = output };

    public static ToolResult Failure(string callId, string toolName, string error) =>
        new() { CallId = callId, ToolName = toolName, Status = ToolResultStatus.Error, Error = error };

    /// <summary>The text sent back to the model as the tool message.</summary>
    public string ToModelText() => Status == ToolResultStatus.Success
        ? Output?.GetRawText() ?? "null"
        : JsonSerializer.Serialize(new { error = Error }, ArtJson.Options);
}

/// <summary>Where a tool runs: the thread and turn it serves.</summary>
public sealed record ToolExecutionContext(string ThreadId, string CallId)
{
    public string? TraceId { get; init; }

    public string? UserId { get; init; }
}

/// <summary>A tool ART can run.</summary>
public interface IToolExecutor
{
    ToolSchema Schema { get; }

    /// <summary>Runs the tool on validated input. Throwing is allowed: the tool system turns exceptions into error results.</summary>
    Task<ToolResult> ExecuteAsync(JsonElement input, ToolExecutionContext context, CancellationToken cancellationToken = default);
}
