using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Art.Testing.Servers;

namespace Art.Providers.Tests.OpenAI;

/// <summary>One recorded chat-completions response, ready to replay, with what it holds computed independently of the adapter.</summary>
public sealed record RecordedExchange(string FileName, int Index, RawResponse Response)
{
    public override string ToString() => $"{FileName}#{Index}";

    /// <summary>The response body as sent on the wire.</summary>
    public string Body => string.Concat(Response.Segments);

    public bool IsError => Response.StatusCode >= 400;

    public static string Root => Path.Combine(AppContext.BaseDirectory, "Recorded");

    /// <summary>Every chat-completions response in one recording file (Responses API, stored-message GET/DELETE skipped).</summary>
    public static IReadOnlyList<RecordedExchange> Load(string relativePath)
    {
        var path = Path.Combine(Root, relativePath);
        var text = File.ReadAllText(path);
        var result = new List<RecordedExchange>();
        if (relativePath.EndsWith(".chunks.txt", StringComparison.Ordinal))
        {
            // Vercel fixtures keep only the data payloads: frame each as an SSE event and add the terminator they strip.
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var segments = lines.Select(l => "data: " + l.TrimEnd('\r') + "\n\n").Append("data: [DONE]\n\n").ToArray();
            result.Add(new RecordedExchange(relativePath, 0, new RawResponse(200, "text/event-stream", segments)));
            return result;
        }

        if (relativePath.EndsWith(".sse", StringComparison.Ordinal))
        {
            result.Add(new RecordedExchange(relativePath, 0, new RawResponse(200, "text/event-stream", [text])));
            return result;
        }

        if (relativePath.EndsWith("raw-http.txt", StringComparison.Ordinal))
        {
            return LoadHttprr(relativePath, File.ReadAllBytes(path));
        }

        var root = JsonNode.Parse(text)!.AsObject();
        if (root["Entries"] is JsonArray entries)
        {
            var i = 0;
            foreach (var entry in entries.OfType<JsonObject>())
            {
                var uri = entry["RequestUri"]!.GetValue<string>();
                if (entry["RequestMethod"]!.GetValue<string>() != "POST" || !uri.EndsWith("/chat/completions", StringComparison.Ordinal))
                {
                    continue;
                }

                var status = entry["StatusCode"]!.GetValue<int>();
                var headers = entry["ResponseHeaders"]!.AsObject();
                var contentType = headers["Content-Type"]?.GetValue<string>() ?? "application/json";
                var body = entry["ResponseBody"];
                var raw = body is JsonArray events
                    ? new RawResponse(status, contentType, events.Select(e => e!.GetValue<string>()).ToArray())
                    : new RawResponse(status, contentType, [body!.ToJsonString()]);
                result.Add(new RecordedExchange(relativePath, i++, raw with { Headers = RetryHeaders(headers) }));
            }

            return result;
        }

        if (root["interactions"] is JsonArray interactions)
        {
            var i = 0;
            foreach (var interaction in interactions.OfType<JsonObject>())
            {
                var request = interaction["request"]!.AsObject();
                if (request["method"]!.GetValue<string>() != "POST" || !request["uri"]!.GetValue<string>().EndsWith("/chat/completions", StringComparison.Ordinal))
                {
                    continue;
                }

                var response = interaction["response"]!.AsObject();
                var status = response["status"]!["code"]!.GetValue<int>();
                var headers = response["headers"]!.AsObject();
                var contentType = headers["content-type"]?[0]?.GetValue<string>() ?? "application/json";
                var raw = response["parsed_body"] is { } parsed
                    ? new RawResponse(status, contentType, [parsed.ToJsonString()])
                    : new RawResponse(status, contentType, [response["body"]!["string"]!.GetValue<string>()]);
                result.Add(new RecordedExchange(relativePath, i++, raw));
            }

            return result;
        }

        // A bare response body (Vercel non-streaming fixture).
        result.Add(new RecordedExchange(relativePath, 0, new RawResponse(200, "application/json", [text])));
        return result;
    }

    private static Dictionary<string, string>? RetryHeaders(JsonObject headers)
    {
        var found = headers.Where(h => h.Key.StartsWith("retry-after", StringComparison.OrdinalIgnoreCase) && h.Value is JsonValue)
            .ToDictionary(h => h.Key, h => h.Value!.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
        return found.Count == 0 ? null : found;
    }

    /// <summary>httprr v1: "N M" then N request bytes and M response bytes per record (HTTP/1-style text response).</summary>
    private static List<RecordedExchange> LoadHttprr(string relativePath, byte[] bytes)
    {
        var result = new List<RecordedExchange>();
        var pos = Array.IndexOf(bytes, (byte)'\n') + 1;
        var index = 0;
        while (pos < bytes.Length)
        {
            var eol = Array.IndexOf(bytes, (byte)'\n', pos);
            var sizes = Encoding.ASCII.GetString(bytes, pos, eol - pos).Split(' ');
            var n = int.Parse(sizes[0], System.Globalization.CultureInfo.InvariantCulture);
            var m = int.Parse(sizes[1], System.Globalization.CultureInfo.InvariantCulture);
            var response = Encoding.UTF8.GetString(bytes, eol + 1 + n, m);
            pos = eol + 1 + n + m;
            var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var head = response[..split].Split("\r\n");
            var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            var headers = head.Skip(1).Select(h => h.Split(':', 2)).ToDictionary(h => h[0].Trim(), h => h[1].Trim(), StringComparer.OrdinalIgnoreCase);
            var contentType = headers.TryGetValue("Content-Type", out var ct) ? ct : "application/json";
            var retry = headers.Where(h => h.Key.StartsWith("retry-after", StringComparison.OrdinalIgnoreCase)).ToDictionary(h => h.Key, h => h.Value);
            result.Add(new RecordedExchange(relativePath, index++, new RawResponse(status, contentType, [response[(split + 4)..]]) { Headers = retry.Count == 0 ? null : retry }));
        }

        return result;
    }
}

/// <summary>
/// What a recorded response holds, read with a deliberately small parser that shares no code with the adapter:
/// answer text, thinking text, tool calls (assembled per index), usage and cost, and whether an error event ends it.
/// </summary>
public sealed record RecordedExpectation
{
    public string Content { get; init; } = string.Empty;

    public string Thoughts { get; init; } = string.Empty;

    public List<(string Name, string Arguments)> ToolCalls { get; init; } = [];

    public JsonObject? Usage { get; init; }

    public bool HasStreamError { get; init; }

    /// <summary>Content and thoughts of the events before an in-stream error.</summary>
    public static RecordedExpectation From(RecordedExchange exchange, bool readOpenRouterReasoning)
    {
        if (exchange.IsError)
        {
            return new RecordedExpectation();
        }

        var body = exchange.Body;
        var content = new StringBuilder();
        var thoughts = new StringBuilder();
        var calls = new SortedDictionary<int, (string Name, StringBuilder Args)>();
        JsonObject? usage = null;
        var error = false;
        if (exchange.Response.ContentType.StartsWith("text/event-stream", StringComparison.Ordinal))
        {
            foreach (var line in body.Split('\n'))
            {
                if (!line.StartsWith("data:", StringComparison.Ordinal) || line[5..].Trim() == "[DONE]")
                {
                    continue;
                }

                var chunk = JsonNode.Parse(line[5..].Trim())!.AsObject();
                if (chunk["error"] is not null)
                {
                    error = true;
                    break;
                }

                if (chunk["usage"] is JsonObject u)
                {
                    usage = u;
                }

                foreach (var choice in chunk["choices"]!.AsArray().OfType<JsonObject>())
                {
                    if (choice["delta"] is JsonObject delta)
                    {
                        Read(delta, content, thoughts, calls, readOpenRouterReasoning);
                    }
                }
            }
        }
        else
        {
            var root = JsonNode.Parse(body)!.AsObject();
            usage = root["usage"] as JsonObject;
            foreach (var choice in root["choices"]!.AsArray().OfType<JsonObject>())
            {
                var message = choice["message"]!.AsObject();
                Read(message, content, thoughts, calls, readOpenRouterReasoning);
            }
        }

        return new RecordedExpectation
        {
            Content = content.ToString(),
            Thoughts = thoughts.ToString(),
            ToolCalls = calls.Values.Select(c => (c.Name, c.Args.ToString())).ToList(),
            Usage = usage,
            HasStreamError = error,
        };
    }

    private static void Read(JsonObject delta, StringBuilder content, StringBuilder thoughts, SortedDictionary<int, (string Name, StringBuilder Args)> calls, bool openRouterReasoning)
    {
        if (delta["content"] is JsonValue c && c.TryGetValue<string>(out var text))
        {
            content.Append(text);
        }

        if (delta["reasoning_content"] is JsonValue rc && rc.TryGetValue<string>(out var reasoningContent))
        {
            thoughts.Append(reasoningContent);
        }

        if (openRouterReasoning && delta["reasoning"] is JsonValue r && r.TryGetValue<string>(out var reasoning))
        {
            thoughts.Append(reasoning);
        }

        if (delta["tool_calls"] is JsonArray toolCalls)
        {
            for (var i = 0; i < toolCalls.Count; i++)
            {
                var call = toolCalls[i]!.AsObject();
                var index = call["index"]?.GetValue<int>() ?? i;
                if (!calls.TryGetValue(index, out var entry))
                {
                    entry = (string.Empty, new StringBuilder());
                }

                if (call["function"]?["name"] is JsonValue name && name.TryGetValue<string>(out var n))
                {
                    entry.Name = n;
                }

                if (call["function"]?["arguments"] is JsonValue args && args.TryGetValue<string>(out var a))
                {
                    entry.Args.Append(a);
                }

                calls[index] = entry;
            }
        }
    }

    public long Tokens(string name) => Usage?[name] is JsonValue v ? v.GetValue<long>() : 0;

    public long Detail(string group, string name) => Usage?[group]?[name] is JsonValue v ? v.GetValue<long>() : 0;
}
