using Art.Reasoning;
using System.Text;
using System.Text.Json;

namespace Art.OpenAI;

/// <summary>
/// A read-only pass-through over an SSE body that inspects each complete line. Lines are delivered unchanged and
/// only once complete; a <c>data:</c> line carrying a top-level <c>error</c> (or <c>finish_reason:"error"</c>, or
/// DeepSeek's <c>insufficient_system_resource</c>) is withheld and, after everything before it has been read, the
/// next read throws the classified <see cref="ProviderException"/>.
/// </summary>
internal sealed class SseErrorGuardStream : ForwardOnlyReadStream
{
    private static readonly byte[] ErrorMarker = "\"error\""u8.ToArray();
    private static readonly byte[] ResourceMarker = "insufficient_system_resource"u8.ToArray();
    private static readonly byte[] FinishMarker = "\"finish_reason\""u8.ToArray();

    private readonly OpenAIErrorClassifier _classifier;
    private readonly MemoryStream _line = new();
    private readonly byte[] _readBuffer = new byte[8192];
    private byte[] _ready = [];
    private int _readyOffset;
    private ProviderException? _pending;
    private bool _eof;
    private bool _sawDone;
    private bool _sawFinish;

    public SseErrorGuardStream(Stream inner, OpenAIErrorClassifier classifier)
        : base(inner)
    {
        _classifier = classifier;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_readyOffset >= _ready.Length && _pending is null && !_eof)
        {
            var read = await Inner.ReadAsync(_readBuffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _eof = true;
                if (_line.Length > 0)
                {
                    Observe(_line.GetBuffer().AsSpan(0, (int)_line.Length));
                }

                _ready = _line.ToArray();
                _readyOffset = 0;
                _line.SetLength(0);
                if (!_sawDone && !_sawFinish)
                {
                    // A clean close before [DONE] and before any finish_reason is a cut answer, not a short one.
                    _pending = _classifier.FromResponse(0, "{\"error\":{\"message\":\"the stream ended before the response was complete (no finish_reason, no [DONE])\",\"code\":\"stream_truncated\"}}", null);
                }

                break;
            }

            using var output = new MemoryStream();
            for (var i = 0; i < read; i++)
            {
                var b = _readBuffer[i];
                _line.WriteByte(b);
                if (b != (byte)'\n')
                {
                    continue;
                }

                var line = _line.GetBuffer().AsSpan(0, (int)_line.Length);
                if (Inspect(line) is { } error)
                {
                    _pending = error;
                    _line.SetLength(0);
                    break;
                }

                Observe(line);
                output.Write(line);
                _line.SetLength(0);
            }

            _ready = output.ToArray();
            _readyOffset = 0;
        }

        if (_readyOffset < _ready.Length)
        {
            var n = Math.Min(buffer.Length, _ready.Length - _readyOffset);
            _ready.AsSpan(_readyOffset, n).CopyTo(buffer.Span);
            _readyOffset += n;
            return n;
        }

        if (_pending is { } pending)
        {
            throw pending;
        }

        return 0;
    }

    /// <summary>Notes the terminator and any non-null finish reason, which make a closed stream complete.</summary>
    private void Observe(ReadOnlySpan<byte> line)
    {
        if (!line.StartsWith("data:"u8))
        {
            return;
        }

        var payload = line[5..].Trim(" \r\n\t"u8);
        if (payload.SequenceEqual("[DONE]"u8))
        {
            _sawDone = true;
            return;
        }

        var at = payload.IndexOf(FinishMarker);
        while (at >= 0)
        {
            var rest = payload[(at + FinishMarker.Length)..].TrimStart(" \t"u8);
            if (rest.Length > 0 && rest[0] == (byte)':')
            {
                rest = rest[1..].TrimStart(" \t"u8);
                if (rest.Length > 0 && rest[0] == (byte)'"')
                {
                    _sawFinish = true;
                    return;
                }
            }

            payload = payload[(at + FinishMarker.Length)..];
            at = payload.IndexOf(FinishMarker);
        }
    }

    private ProviderException? Inspect(ReadOnlySpan<byte> line)
    {
        if (!line.StartsWith("data:"u8) || (line.IndexOf(ErrorMarker) < 0 && line.IndexOf(ResourceMarker) < 0))
        {
            return null;
        }

        var json = Encoding.UTF8.GetString(line[5..]).Trim();
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("error", out var error) && error.ValueKind is JsonValueKind.Object or JsonValueKind.String)
            {
                return _classifier.FromResponse(0, json, null);
            }

            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String
                        && finish.GetString() is "error" or "insufficient_system_resource")
                    {
                        var reason = finish.GetString()!;
                        return _classifier.FromResponse(0, "{\"error\":{\"message\":\"the stream ended with finish_reason " + reason + "\",\"code\":\"" + reason + "\"}}", null);
                    }
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _line.Dispose();
        }

        base.Dispose(disposing);
    }
}
