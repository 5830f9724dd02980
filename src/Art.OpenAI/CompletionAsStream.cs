using System.Text.Json;
using System.Text.Json.Nodes;

namespace Art.OpenAI;

/// <summary>
/// Rewrites a complete (non-streaming) <c>chat.completion</c> body as the equivalent SSE stream: one chunk whose
/// delta is the message (tool calls get their <c>index</c>), with the finish reason and usage, then <c>[DONE]</c>.
/// Fields the SDK does not model (<c>reasoning_content</c>, <c>reasoning</c>, usage extras) are carried over as is.
/// </summary>
internal static class CompletionAsStream
{
    public static string? TryConvert(string body)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }

        if (root is JsonObject failed && failed.ContainsKey("error"))
        {
            // An error inside a 200 body (OpenRouter does this once generation started): the guard turns it into an exception.
            return "data: " + failed.ToJsonString() + "\n\n";
        }

        if (root is not JsonObject obj || obj["choices"] is not JsonArray choices)
        {
            return null;
        }

        var chunkChoices = new JsonArray();
        foreach (var choice in choices.OfType<JsonObject>())
        {
            if (choice["message"] is not JsonObject message)
            {
                return null;
            }

            var delta = (JsonObject)message.DeepClone();
            if (delta["tool_calls"] is JsonArray calls)
            {
                for (var i = 0; i < calls.Count; i++)
                {
                    if (calls[i] is JsonObject call && !call.ContainsKey("index"))
                    {
                        call["index"] = i;
                    }
                }
            }

            chunkChoices.Add(new JsonObject
            {
                ["index"] = choice["index"]?.DeepClone() ?? 0,
                ["delta"] = delta,
                ["finish_reason"] = choice["finish_reason"]?.DeepClone(),
            });
        }

        var chunk = new JsonObject
        {
            ["id"] = obj["id"]?.DeepClone(),
            ["object"] = "chat.completion.chunk",
            ["created"] = obj["created"]?.DeepClone(),
            ["model"] = obj["model"]?.DeepClone(),
            ["choices"] = chunkChoices,
        };
        if (obj["usage"] is JsonObject usage)
        {
            chunk["usage"] = usage.DeepClone();
        }

        return "data: " + chunk.ToJsonString() + "\n\ndata: [DONE]\n\n";
    }
}
