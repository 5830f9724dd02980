using System.Text.Json;

namespace Art.Tools;

/// <summary>A tool as a model sees it: a unique name, what it is for, and a JSON Schema for its input.</summary>
public sealed record ToolSchema
{
    public required string Name { get; init; }

    public required string Description { get; init; }

    /// <summary>JSON Schema (an object schema) of the arguments.</summary>
    public required JsonElement InputSchema { get; init; }

    public JsonElement? OutputSchema { get; init; }

    public IReadOnlyList<ToolExample> Examples { get; init; } = [];
}

/// <summary>An example call, shown to models that plan in text.</summary>
public sealed record ToolExample(JsonElement Input, JsonElement? Output = null, string? Description = null);
