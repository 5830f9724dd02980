using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Art.Models;
using Art.Observation;
using Art.Ollama;
using Art.Reasoning;
using Art.Testing.Servers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Providers.Tests.Ollama;

/// <summary>Shared helpers: adapter over a loopback server, event collection, fakes of our own interfaces.</summary>
internal static class OllamaTestKit
{
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);

    /// <summary>The test's cancellation token (xUnit cancels it when the run is aborted).</summary>
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static OllamaProviderAdapter Adapter(string baseUrl, string? model = "llama3.2", IObservationManager? observations = null, ModelParameters? parameters = null) =>
        (OllamaProviderAdapter)new OllamaProviderFactory(observations).Create(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "ollama-local", Provider = "ollama", BaseUrl = baseUrl, Model = model, Parameters = parameters },
            LoggerFactory = NullLoggerFactory.Instance,
        });

    public static CallOptions Options(string? model = null, string? requestId = null) => new() { ThreadId = "t1", Model = model, RequestId = requestId };

    public static async Task<Collected> CollectAsync(IAsyncEnumerable<StreamEvent> stream)
    {
        var events = new List<StreamEvent>();
        await foreach (var e in stream)
        {
            events.Add(e);
        }

        return new Collected(events);
    }

    public static string RecordedPath(string file) => Path.Combine(AppContext.BaseDirectory, "Recorded", "ollama", file);

    public static string ReadRecorded(string file) => File.ReadAllText(RecordedPath(file), Encoding.UTF8);

    /// <summary>Splits an NDJSON body into its lines, each keeping its newline (one flushed segment per line).</summary>
    public static IReadOnlyList<string> Lines(string body)
    {
        var segments = new List<string>();
        var start = 0;
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] == '\n')
            {
                segments.Add(body[start..(i + 1)]);
                start = i + 1;
            }
        }

        if (start < body.Length)
        {
            segments.Add(body[start..]);
        }

        return segments;
    }

    /// <summary>Reads the responses of an httprr trace (<c>httprr trace v1</c>, then per record "N M", N request bytes, M response bytes).</summary>
    public static IReadOnlyList<(int Status, string Body)> HttprrResponses(string file)
    {
        var bytes = File.ReadAllBytes(RecordedPath(file));
        var result = new List<(int, string)>();
        var pos = IndexAfterLine(bytes, 0);
        while (pos < bytes.Length)
        {
            var lineEnd = Array.IndexOf(bytes, (byte)'\n', pos);
            var header = Encoding.ASCII.GetString(bytes, pos, lineEnd - pos).Trim().Split(' ');
            var n = int.Parse(header[0], System.Globalization.CultureInfo.InvariantCulture);
            var m = int.Parse(header[1], System.Globalization.CultureInfo.InvariantCulture);
            var responseStart = lineEnd + 1 + n;
            var response = bytes.AsSpan(responseStart, m).ToArray();
            result.Add(ParseResponse(response));
            pos = responseStart + m;
        }

        return result;
    }

    private static int IndexAfterLine(byte[] bytes, int from) => Array.IndexOf(bytes, (byte)'\n', from) + 1;

    private static (int, string) ParseResponse(byte[] response)
    {
        var text = Encoding.UTF8.GetString(response);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = text[..split].Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var body = text[(split + 4)..];
        if (head.Any(h => h.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)))
        {
            var sb = new StringBuilder();
            var rest = body;
            while (true)
            {
                var lineEnd = rest.IndexOf("\r\n", StringComparison.Ordinal);
                var size = Convert.ToInt32(rest[..lineEnd], 16);
                if (size == 0)
                {
                    break;
                }

                // Chunk sizes count bytes; the bodies here are ASCII-safe only if no multi-byte chars: go through bytes.
                var chunkBytes = Encoding.UTF8.GetBytes(rest[(lineEnd + 2)..]).AsSpan(0, size).ToArray();
                var chunk = Encoding.UTF8.GetString(chunkBytes);
                sb.Append(chunk);
                rest = rest[(lineEnd + 2 + chunk.Length + 2)..];
            }

            body = sb.ToString();
        }

        return (status, body);
    }

    /// <summary>Expected values of an NDJSON chat body, computed independently of OllamaSharp and the adapter.</summary>
    public static Expected ParseChatBody(string body)
    {
        var content = new StringBuilder();
        var thinking = new StringBuilder();
        var calls = new List<(string? Id, string Name, string Args)>();
        long? input = null, output = null;
        string? doneReason = null;
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.TryGetProperty("message", out var message))
            {
                content.Append(message.GetProperty("content").GetString());
                if (message.TryGetProperty("thinking", out var t))
                {
                    thinking.Append(t.GetString());
                }

                if (message.TryGetProperty("tool_calls", out var tc))
                {
                    foreach (var call in tc.EnumerateArray())
                    {
                        var f = call.GetProperty("function");
                        calls.Add((call.TryGetProperty("id", out var id) ? id.GetString() : null, f.GetProperty("name").GetString()!, f.GetProperty("arguments").GetRawText()));
                    }
                }
            }

            if (root.GetProperty("done").GetBoolean())
            {
                input = root.TryGetProperty("prompt_eval_count", out var p) ? p.GetInt64() : 0;
                output = root.TryGetProperty("eval_count", out var e) ? e.GetInt64() : 0;
                doneReason = root.TryGetProperty("done_reason", out var d) ? d.GetString() : null;
            }
        }

        return new Expected(content.ToString(), thinking.ToString(), calls, input!.Value, output!.Value, doneReason);
    }
}

internal sealed record Expected(string Content, string Thinking, IReadOnlyList<(string? Id, string Name, string Args)> ToolCalls, long InputTokens, long OutputTokens, string? DoneReason);

internal sealed record Collected(IReadOnlyList<StreamEvent> Events)
{
    public string Content => string.Concat(Events.OfType<ContentDelta>().Select(e => e.Text));

    public string Thoughts => string.Concat(Events.OfType<ThoughtDelta>().Select(e => e.Text));

    public IReadOnlyList<ToolCall> ToolCalls => Events.OfType<ToolCallRequested>().Select(e => e.Call).ToList();

    public TokenUsage? Usage => Events.OfType<UsageReported>().LastOrDefault()?.Usage;

    public Completed? Completed => Events.OfType<Completed>().SingleOrDefault();
}

/// <summary>A minimal in-memory registry (the real one is another engineer's).</summary>
internal sealed class FakeModelRegistry : IModelRegistry
{
    private readonly ConcurrentDictionary<string, ModelInfo> _models = new(StringComparer.Ordinal);

    public int Count => _models.Count;

    public Task InitializeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public ModelInfo? GetModelInfo(string provider, string modelId) => _models.TryGetValue(ModelInfo.MakeKey(provider, modelId), out var m) ? m : null;

    public IReadOnlyList<ModelInfo> GetModelsForProvider(string provider) => _models.Values.Where(m => m.Provider == provider).ToList();

    public Task RegisterModelAsync(ModelInfo model, CancellationToken cancellationToken = default)
    {
        _models[model.Key] = model;
        return Task.CompletedTask;
    }

    public Task RegisterModelsAsync(IReadOnlyList<ModelInfo> models, CancellationToken cancellationToken = default)
    {
        foreach (var m in models)
        {
            _models[m.Key] = m;
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ModelInfo>> FindModelsWithCapabilitiesAsync(IReadOnlyCollection<ModelCapability> capabilities, string? provider = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public Task<CapabilityValidation> ValidateModelCapabilitiesAsync(string provider, string modelId, IReadOnlyCollection<ModelCapability> capabilities, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public Task<IReadOnlyList<ModelUIInfo>> GetAllModelsForUIAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<int> ImportPriceMapAsync(Stream priceMapJson, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public ModelPricing? ResolvePricing(ProviderInstanceConfig instance, string modelId) => GetModelInfo(instance.Provider, modelId)?.Pricing;
}
