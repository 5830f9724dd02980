using Art.Reasoning;
using System.Text;
using System.Text.Json;

namespace Art.Ollama;

/// <summary>
/// A read-through stream over an Ollama NDJSON body that checks every complete line as it passes: a line that is
/// <c>{"error":"…"}</c> (Ollama's way to fail after the 200 status went out) or that is not JSON at all raises a
/// <see cref="ProviderException"/>; lines before it reach the reader first, so the caller sees the partial answer and
/// then the failure, in order. Reads also honour the token of the request that opened the body, so cancelling a call
/// stops a read blocked on a silent server (and closes the connection, which Ollama notices).
/// </summary>
internal sealed class NdjsonGuardStream : ForwardOnlyReadStream
{
    private readonly string? _instanceId;
    private readonly CancellationToken _requestToken;
    private readonly MemoryStream _line = new();
    private bool _lineAlreadyPassed;
    private ProviderException? _pending;

    public NdjsonGuardStream(Stream inner, string? instanceId, CancellationToken requestToken)
        : base(inner)
    {
        _instanceId = instanceId;
        _requestToken = requestToken;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_pending is { } pending)
        {
            throw pending;
        }

        int read;
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _requestToken))
        {
            try
            {
                read = await Inner.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
            }
            catch (IOException ex) when (!linked.IsCancellationRequested)
            {
                throw OllamaErrors.Interrupted("the connection closed before the last line (" + ex.Message + ")", _instanceId, ex);
            }
        }

        if (read == 0)
        {
            if (_line.Length > 0)
            {
                Check(_line.ToArray());
                _line.SetLength(0);
            }

            return 0;
        }

        var span = buffer.Span[..read];
        var lineStart = 0;
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i] != (byte)'\n')
            {
                continue;
            }

            _line.Write(span[lineStart..i]);
            var failure = Inspect(_line.ToArray());
            var startedEarlier = _lineAlreadyPassed;
            _line.SetLength(0);
            _lineAlreadyPassed = false;
            if (failure is not null)
            {
                // Hand over everything before the bad line, then fail on the next read.
                var goodBytes = startedEarlier ? 0 : LineStartOffset(span, i);
                if (goodBytes <= 0)
                {
                    throw failure;
                }

                _pending = failure;
                return goodBytes;
            }

            lineStart = i + 1;
        }

        if (lineStart < span.Length)
        {
            _line.Write(span[lineStart..]);
            _lineAlreadyPassed = true;
        }

        return read;
    }

    // Offset of the start of the line that ends at newlineIndex within this read.
    private static int LineStartOffset(ReadOnlySpan<byte> span, int newlineIndex)
    {
        var previous = span[..newlineIndex].LastIndexOf((byte)'\n');
        return previous + 1;
    }

    private void Check(byte[] line)
    {
        if (Inspect(line) is { } failure)
        {
            throw failure;
        }
    }

    private ProviderException? Inspect(byte[] line)
    {
        var text = line.AsSpan().Trim((byte)'\r');
        if (text.IsEmpty || text.Trim(" \t"u8).IsEmpty)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(text.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return OllamaErrors.Malformed("a line is not a JSON object: " + Preview(text), _instanceId);
            }

            if (doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            {
                var message = error.ValueKind == JsonValueKind.String ? error.GetString() ?? string.Empty : error.GetRawText();
                return OllamaErrors.FromStreamLine(message, _instanceId);
            }

            return null;
        }
        catch (JsonException ex)
        {
            return OllamaErrors.Malformed("a line is not valid JSON: " + Preview(text), _instanceId, ex);
        }
    }

    private static string Preview(ReadOnlySpan<byte> text)
    {
        var s = Encoding.UTF8.GetString(text);
        return s.Length > 200 ? s[..200] + "…" : s;
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
