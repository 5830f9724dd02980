using System.Text;
using System.Text.Json;
using Art.Reasoning;
using Art.Testing.Servers;

namespace Art.Providers.Tests.Gemini;

/// <summary>
/// One recorded Gemini exchange, loaded from <c>Recorded/gemini</c>: GG replay files (googleapis/dotnet-genai; each SSE
/// event stored as one JSON body segment, re-emitted as <c>data: json\r\n\r\n</c>) and PY cassettes (pydantic-ai; SSE
/// bodies replayed verbatim from the sibling <c>.sse</c> files, JSON bodies as stored). Expected values are computed
/// here with a deliberately simple, separate reading of the recorded events (not the adapter's parser).
/// </summary>
internal sealed record GeminiRecording(
    string File,
    int Index,
    string Method,
    string Url,
    JsonElement RequestBody,
    int Status,
    bool Streaming,
    string RawBody,
    IReadOnlyList<string> Segments,
    IReadOnlyList<JsonElement> Events)
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Recorded", "gemini");

    public string Model
    {
        get
        {
            var start = Url.IndexOf("/models/", StringComparison.Ordinal) + "/models/".Length;
            return Url[start..Url.IndexOf(':', start)];
        }
    }

    /// <summary>The response as the server should send it: SSE for streams, JSON for the rest.</summary>
    public RawResponse Raw => new(Status, Streaming ? "text/event-stream" : "application/json; charset=UTF-8", Segments);

    /// <summary>A non-streaming body re-framed as a one-event SSE stream (the adapter always streams).</summary>
    public RawResponse AsOneEventStream => new(Status, "text/event-stream", ["data: " + RawBody + "\r\n\r\n"]);

    public string Content => string.Concat(Parts().Where(p => p.TryGetProperty("text", out _) && !IsThought(p)).Select(p => p.GetProperty("text").GetString()));

    public string Thoughts => string.Concat(Parts().Where(IsThought).Select(p => p.GetProperty("text").GetString()));

    public IReadOnlyList<(string Name, JsonElement Args, string? Signature)> Calls =>
        Parts().Where(p => p.TryGetProperty("functionCall", out _))
            .Select(p => (p.GetProperty("functionCall").GetProperty("name").GetString()!, p.GetProperty("functionCall").TryGetProperty("args", out var a) ? a : default, p.TryGetProperty("thoughtSignature", out var s) ? s.GetString() : null))
            .ToArray();

    /// <summary>Signatures on text parts (Gemini signs the first answer part after thinking).</summary>
    public IReadOnlyList<string> TextSignatures =>
        Parts().Where(p => p.TryGetProperty("text", out _) && p.TryGetProperty("thoughtSignature", out _)).Select(p => p.GetProperty("thoughtSignature").GetString()!).ToArray();

    /// <summary>The last usageMetadata, normalised by Gemini's documented rule: output = candidates + thoughts.</summary>
    public TokenUsage Usage
    {
        get
        {
            var usage = Events.Last(e => e.TryGetProperty("usageMetadata", out _)).GetProperty("usageMetadata");
            long Get(string name) => usage.TryGetProperty(name, out var v) ? v.GetInt64() : 0;
            return new TokenUsage
            {
                InputTokens = Get("promptTokenCount") + Get("toolUsePromptTokenCount"),
                OutputTokens = Get("candidatesTokenCount") + Get("thoughtsTokenCount"),
                ReasoningTokens = Get("thoughtsTokenCount"),
                CachedInputTokens = Get("cachedContentTokenCount"),
            };
        }
    }

    public JsonElement? Error => Events.Count == 1 && Events[0].TryGetProperty("error", out var e) ? e : null;

    private IEnumerable<JsonElement> Parts() =>
        Events.Where(e => e.TryGetProperty("candidates", out _))
            .SelectMany(e => e.GetProperty("candidates")[0].TryGetProperty("content", out var c) && c.TryGetProperty("parts", out var p) ? p.EnumerateArray() : Enumerable.Empty<JsonElement>());

    private static bool IsThought(JsonElement part) => part.TryGetProperty("thought", out var t) && t.ValueKind == JsonValueKind.True;

    public static IReadOnlyList<GeminiRecording> Load(string file)
    {
        var path = Path.Combine(Folder, file);
        using var document = JsonDocument.Parse(System.IO.File.ReadAllText(path));
        var result = new List<GeminiRecording>();
        var interactions = document.RootElement.GetProperty("interactions");
        var streams = 0;
        for (var i = 0; i < interactions.GetArrayLength(); i++)
        {
            var interaction = interactions[i];
            var request = interaction.GetProperty("request");
            var response = interaction.GetProperty("response");
            var method = request.GetProperty("method").GetString()!;
            if (request.TryGetProperty("bodySegments", out var requestSegments))
            {
                // GG replay file.
                var url = request.GetProperty("url").GetString()!;
                // An error on the stream endpoint comes back as a plain JSON body, not as SSE.
                var streaming = url.Contains("alt=sse", StringComparison.Ordinal) && response.GetProperty("statusCode").GetInt32() == 200;
                var events = response.GetProperty("bodySegments").EnumerateArray().Select(e => e.Clone()).ToArray();
                var segments = streaming
                    ? events.Select(e => "data: " + Compact(e) + "\r\n\r\n").ToArray()
                    : [Compact(events[0])];
                result.Add(new GeminiRecording(file, i, method, url, requestSegments[0].Clone(), response.GetProperty("statusCode").GetInt32(), streaming, string.Concat(segments), segments, events));
                continue;
            }

            var uri = request.GetProperty("uri").GetString()!;
            if (method == "GET")
            {
                continue; // the image download of the image-input cassette; served by the test itself
            }

            var relative = new Uri(uri).PathAndQuery;
            var status = response.GetProperty("status").GetProperty("code").GetInt32();
            var requestBody = request.GetProperty("parsed_body").Clone();
            if (response.TryGetProperty("parsed_body", out var parsed))
            {
                var body = Compact(parsed);
                result.Add(new GeminiRecording(file, i, method, relative, requestBody, status, false, body, [body], [parsed.Clone()]));
            }
            else
            {
                streams++;
                var text = response.GetProperty("body").GetProperty("string").GetString()!;
                var single = interactions.EnumerateArray().Count(x => x.GetProperty("response").TryGetProperty("body", out _)) == 1;
                var ssePath = Path.Combine(Folder, Path.GetFileNameWithoutExtension(file) + (single ? string.Empty : "." + streams) + ".sse");
                var verbatim = System.IO.File.ReadAllText(ssePath, Encoding.UTF8);
                if (verbatim != text)
                {
                    throw new InvalidOperationException($"{ssePath} differs from the cassette body.");
                }

                var events = SimpleEvents(verbatim);

                // Odd-sized segments so events, CRLF pairs and UTF-8 characters are cut across reads.
                var segments = Enumerable.Range(0, (verbatim.Length + 60) / 61).Select(k => verbatim.Substring(k * 61, Math.Min(61, verbatim.Length - (k * 61)))).ToArray();
                result.Add(new GeminiRecording(file, i, method, relative, requestBody, status, true, verbatim, segments, events));
            }
        }

        return result;
    }

    /// <summary>Independent SSE reading for expectations: split on the blank line, strip <c>data: </c>.</summary>
    private static JsonElement[] SimpleEvents(string body) =>
        body.Split("\r\n\r\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.Clone())
            .ToArray();

    /// <summary>One-line JSON with characters left as they are (GG files hold parsed bodies, so there are no original bytes).</summary>
    private static string Compact(JsonElement element) => JsonSerializer.Serialize(element, CompactOptions);

    private static readonly JsonSerializerOptions CompactOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public override string ToString() => $"{File}#{Index}";
}
