using System.Runtime.CompilerServices;
using System.Text;

namespace Art.Gemini;

/// <summary>
/// An incremental parser of <c>text/event-stream</c> bodies that yields the <c>data</c> of each event.
/// Gemini separates events with CRLF (<c>\r\n\r\n</c>) while proxies and fakes often use LF, so lines may end in CR, LF
/// or CRLF, also when a CRLF pair or a multi-byte UTF-8 character is split across two network reads. Multi-line
/// <c>data:</c> fields are joined with LF as the SSE specification says; comments and other fields are ignored.
/// An event that is not closed by a blank line when the body ends is dropped (it may be cut off), so a truncated
/// stream never yields half an event.
/// </summary>
public sealed class ServerSentEventParser
{
    private readonly Decoder _decoder = new UTF8Encoding(false, true).GetDecoder();
    private readonly StringBuilder _line = new();
    private readonly StringBuilder _data = new();
    private bool _hasData;
    private bool _lastWasCr;
    private bool _atStart = true;

    /// <summary>Reads a whole body and yields each event's data as soon as its closing blank line has arrived.</summary>
    public static async IAsyncEnumerable<string> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var parser = new ServerSentEventParser();
        var buffer = new byte[8192];
        var events = new List<string>();
        while (true)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                yield break;
            }

            events.Clear();
            parser.Push(buffer.AsSpan(0, read), events);
            foreach (var data in events)
            {
                yield return data;
            }
        }
    }

    /// <summary>Feeds the next bytes of the body; complete events' data are added to <paramref name="events"/>.</summary>
    public void Push(ReadOnlySpan<byte> bytes, List<string> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        Span<char> chars = stackalloc char[512];
        while (!bytes.IsEmpty)
        {
            var take = Math.Min(bytes.Length, 256);
            var count = _decoder.GetChars(bytes[..take], chars, flush: false);
            bytes = bytes[take..];
            PushChars(chars[..count], events);
        }
    }

    private void PushChars(ReadOnlySpan<char> chars, List<string> events)
    {
        foreach (var c in chars)
        {
            if (_atStart)
            {
                _atStart = false;
                if (c == '\uFEFF')
                {
                    continue;
                }
            }

            if (c == '\n' && _lastWasCr)
            {
                // The LF of a CRLF whose CR already ended the line.
                _lastWasCr = false;
                continue;
            }

            _lastWasCr = c == '\r';
            if (c is '\r' or '\n')
            {
                EndLine(events);
            }
            else
            {
                _line.Append(c);
            }
        }
    }

    private void EndLine(List<string> events)
    {
        if (_line.Length == 0)
        {
            if (_hasData)
            {
                events.Add(_data.ToString());
            }

            _data.Clear();
            _hasData = false;
            return;
        }

        var line = _line.ToString();
        _line.Clear();
        if (line[0] == ':')
        {
            return;
        }

        var colon = line.IndexOf(':', StringComparison.Ordinal);
        var field = colon < 0 ? line : line[..colon];
        if (field != "data")
        {
            return;
        }

        var value = colon < 0 ? string.Empty : line[(colon + 1)..];
        if (value.Length > 0 && value[0] == ' ')
        {
            value = value[1..];
        }

        if (_hasData)
        {
            _data.Append('\n');
        }

        _data.Append(value);
        _hasData = true;
    }
}
