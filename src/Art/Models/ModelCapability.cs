namespace Art.Models;

/// <summary>What a request needs from a model. Wire values are snake_case (<c>tool_use</c>, <c>json_output</c>).</summary>
public enum ModelCapability
{
    Text,
    Vision,
    Streaming,
    ToolUse,
    Rag,
    Code,
    Reasoning,

    /// <summary>Native structured output (JSON schema response format).</summary>
    JsonOutput,
}

/// <summary>Tri-state knowledge of a capability: a missing flag in a price map means unknown, not no.</summary>
public enum CapabilitySupport
{
    Unknown,
    Yes,
    No,
}
