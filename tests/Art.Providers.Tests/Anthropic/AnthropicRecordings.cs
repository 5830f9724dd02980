using System.Text;
using System.Text.Json;
using Art.Reasoning;
using Art.Testing.Servers;

namespace Art.Providers.Tests.Anthropic;

/// <summary>
/// Loads the Anthropic recordings and derives what they hold with a tiny parser of its own (independent of the SDK),
/// so the replay tests compare the adapter with the recording, not with the adapter's own idea of it.
/// </summary>
internal static class AnthropicRecordings
{
    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "Recorded", "anthropic", file);

    public static string Text(string file) => File.ReadAllText(PathOf(file), Encoding.UTF8);

    public static JsonElement Json(string file) => JsonDocument.Parse(Text(file)).RootElement.Clone();

    /// <summary>An SSE body as a raw response, cut into pieces of odd sizes so events straddle reads.</summary>
    public static RawResponse Sse(string body, int piece = 97)
    {
        var segments = new List<string>();
        var start = 0;
        while (start < body.Length)
        {
            var end = Math.Min(body.Length, start + piece);
            if (end < body.Length && char.IsHighSurrogate(body[end - 1]))
            {
                end++;
            }

            segments.Add(body[start..end]);
            start = end;
        }

        return new RawResponse(200, "text/event-stream; charset=utf-8", segments);
    }

    /// <summary>A recorded non-streaming message, rendered as the SSE stream the API sends for it.</summary>
    public static RawResponse MessageAsSse(JsonElement message) =>
        new(200, "text/event-stream; charset=utf-8", AnthropicTestServer.MessageToSseEvents(message));

    /// <summary>Vercel chunk lines framed as <c>event: type</c> + <c>data: line</c> (MANIFEST rule), payload bytes unchanged.</summary>
    public static string FrameVercelChunks(string chunks)
    {
        var sb = new StringBuilder();
        foreach (var line in chunks.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var type = JsonDocument.Parse(line).RootElement.GetProperty("type").GetString();
            sb.Append("event: ").Append(type).Append('\n').Append("data: ").Append(line).Append("\n\n");
        }

        return sb.ToString();
    }

    /// <summary>The exchanges of an httprr trace: raw request and raw response text.</summary>
    public static IReadOnlyList<(string Request, string Response)> Httprr(string file)
    {
        var bytes = File.ReadAllBytes(PathOf(file));
        var result = new List<(string, string)>();
        var pos = ReadLine(bytes, 0, out var header);
        Assert.Equal("httprr trace v1", header);
        while (pos < bytes.Length)
        {
            pos = ReadLine(bytes, pos, out var lengths);
            var parts = lengths.Split(' ');
            var n = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            var m = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            var request = Encoding.UTF8.GetString(bytes, pos, n);
            var response = Encoding.UTF8.GetString(bytes, pos + n, m);
            result.Add((request, response));
            pos += n + m;
        }

        return result;
    }

    /// <summary>Splits a raw HTTP response into status, headers and body (body bytes untouched).</summary>
    public static (int Status, Dictionary<string, string> Headers, string Body) ParseHttpResponse(string raw)
    {
        var split = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = raw[..split].Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in head.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        return (status, headers, raw[(split + 4)..]);
    }

    private static int ReadLine(byte[] bytes, int pos, out string line)
    {
        var end = Array.IndexOf(bytes, (byte)'\n', pos);
        line = Encoding.UTF8.GetString(bytes, pos, end - pos);
        return end + 1;
    }

    /// <summary>What an SSE recording holds, read by an independent minimal parser.</summary>
    public static Expected FromSse(string sse)
    {
        var expected = new Expected();
        var tools = new SortedDictionary<long, (string Id, string Name, StringBuilder Args)>();
        foreach (var line in sse.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal))
            {
                continue;
            }

            var data = JsonDocument.Parse(line[5..]).RootElement;
            switch (data.GetProperty("type").GetString())
            {
                case "message_start":
                    var usage = data.GetProperty("message").GetProperty("usage");
                    expected.InputTokens = usage.GetProperty("input_tokens").GetInt64();
                    expected.CacheRead = usage.TryGetProperty("cache_read_input_tokens", out var cr) && cr.ValueKind == JsonValueKind.Number ? cr.GetInt64() : 0;
                    expected.CacheWrite = usage.TryGetProperty("cache_creation_input_tokens", out var cw) && cw.ValueKind == JsonValueKind.Number ? cw.GetInt64() : 0;
                    expected.OutputTokens = usage.GetProperty("output_tokens").GetInt64();
                    break;
                case "content_block_start":
                    var block = data.GetProperty("content_block");
                    var index = data.GetProperty("index").GetInt64();
                    switch (block.GetProperty("type").GetString())
                    {
                        case "redacted_thinking":
                            expected.Redacted.Add(block.GetProperty("data").GetString()!);
                            break;
                        case "tool_use":
                            tools[index] = (block.GetProperty("id").GetString()!, block.GetProperty("name").GetString()!, new StringBuilder());
                            break;
                    }

                    break;
                case "content_block_delta":
                    var delta = data.GetProperty("delta");
                    switch (delta.GetProperty("type").GetString())
                    {
                        case "text_delta":
                            expected.Content.Append(delta.GetProperty("text").GetString());
                            break;
                        case "thinking_delta":
                            expected.Thoughts.Append(delta.GetProperty("thinking").GetString());
                            break;
                        case "signature_delta":
                            expected.Signatures.Add(delta.GetProperty("signature").GetString()!);
                            break;
                        case "input_json_delta":
                            tools[data.GetProperty("index").GetInt64()].Args.Append(delta.GetProperty("partial_json").GetString());
                            break;
                    }

                    break;
                case "message_delta":
                    expected.StopReason = data.GetProperty("delta").GetProperty("stop_reason").GetString();
                    if (data.TryGetProperty("usage", out var final))
                    {
                        expected.OutputTokens = final.GetProperty("output_tokens").GetInt64();
                        if (final.TryGetProperty("input_tokens", out var fi) && fi.ValueKind == JsonValueKind.Number)
                        {
                            expected.InputTokens = fi.GetInt64();
                        }
                    }

                    break;
            }
        }

        foreach (var (id, name, args) in tools.Values)
        {
            expected.ToolCalls.Add((id, name, args.Length == 0 ? "{}" : args.ToString()));
        }

        return expected;
    }

    /// <summary>What a recorded non-streaming message holds.</summary>
    public static Expected FromMessage(JsonElement message)
    {
        var expected = new Expected();
        foreach (var block in message.GetProperty("content").EnumerateArray())
        {
            switch (block.GetProperty("type").GetString())
            {
                case "text":
                    expected.Content.Append(block.GetProperty("text").GetString());
                    break;
                case "thinking":
                    expected.Thoughts.Append(block.GetProperty("thinking").GetString());
                    expected.Signatures.Add(block.GetProperty("signature").GetString()!);
                    break;
                case "redacted_thinking":
                    expected.Redacted.Add(block.GetProperty("data").GetString()!);
                    break;
                case "tool_use":
                    expected.ToolCalls.Add((block.GetProperty("id").GetString()!, block.GetProperty("name").GetString()!, block.GetProperty("input").GetRawText()));
                    break;
            }
        }

        var usage = message.GetProperty("usage");
        expected.InputTokens = usage.GetProperty("input_tokens").GetInt64();
        expected.CacheRead = usage.GetProperty("cache_read_input_tokens").GetInt64();
        expected.CacheWrite = usage.GetProperty("cache_creation_input_tokens").GetInt64();
        expected.OutputTokens = usage.GetProperty("output_tokens").GetInt64();
        expected.StopReason = message.GetProperty("stop_reason").GetString();
        return expected;
    }

    /// <summary>Asserts that the adapter's events hold exactly what the recording holds.</summary>
    public static void AssertMatches(Expected expected, IReadOnlyList<StreamEvent> events)
    {
        Assert.Equal(expected.Content.ToString(), string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
        Assert.Equal(expected.Thoughts.ToString(), string.Concat(events.OfType<ThoughtDelta>().Select(t => t.Text)));
        Assert.Equal(expected.Signatures, events.OfType<ThoughtDelta>().Where(t => t.Signature is not null).Select(t => t.Signature!).ToList());
        Assert.Equal(expected.Redacted, events.OfType<ThoughtDelta>().Where(t => t.RedactedData is not null).Select(t => t.RedactedData!).ToList());

        var calls = events.OfType<ToolCallRequested>().Select(c => c.Call).ToList();
        Assert.Equal(expected.ToolCalls.Count, calls.Count);
        for (var i = 0; i < calls.Count; i++)
        {
            Assert.Equal(expected.ToolCalls[i].Id, calls[i].Id);
            Assert.Equal(expected.ToolCalls[i].Name, calls[i].Name);
            Assert.True(
                JsonElement.DeepEquals(JsonDocument.Parse(expected.ToolCalls[i].ArgsJson).RootElement, calls[i].Arguments),
                $"arguments {calls[i].Arguments.GetRawText()} != {expected.ToolCalls[i].ArgsJson}");
        }

        var usage = Assert.Single(events.OfType<UsageReported>()).Usage;
        Assert.Equal(expected.InputTokens + expected.CacheRead + expected.CacheWrite, usage.InputTokens);
        Assert.Equal(expected.CacheRead, usage.CachedInputTokens);
        Assert.Equal(expected.CacheWrite, usage.CacheWriteTokens);
        Assert.Equal(expected.OutputTokens, usage.OutputTokens);

        var completed = Assert.IsType<Completed>(events[^1]);
        var reason = expected.StopReason switch
        {
            "tool_use" => FinishReason.ToolCalls,
            "max_tokens" => FinishReason.Length,
            "refusal" => FinishReason.ContentFilter,
            _ => FinishReason.Stop,
        };
        Assert.Equal(reason, completed.Reason);
    }

    internal sealed class Expected
    {
        public StringBuilder Content { get; } = new();

        public StringBuilder Thoughts { get; } = new();

        public List<string> Signatures { get; } = [];

        public List<string> Redacted { get; } = [];

        public List<(string Id, string Name, string ArgsJson)> ToolCalls { get; } = [];

        public long InputTokens { get; set; }

        public long CacheRead { get; set; }

        public long CacheWrite { get; set; }

        public long OutputTokens { get; set; }

        public string? StopReason { get; set; }
    }
}
