using Art.Reasoning;

namespace Art.Ollama;

/// <summary>
/// Splits <c>&lt;think&gt;…&lt;/think&gt;</c> out of streamed content (deepseek-r1 / qwen3 on Ollama servers that do not
/// fill the <c>thinking</c> field). A tag may be cut anywhere across chunks, so a possible tag prefix at the end of a
/// chunk is held back until the next chunk decides it; an unterminated block at the end of the stream stays a thought.
/// Upstream ART lost thoughts here (art-upstream §3.8); this is the streaming-safe replacement.
/// </summary>
internal sealed class OllamaThinkTagSplitter
{
    private const string Open = "<think>";
    private const string Close = "</think>";
    private string _carry = string.Empty;
    private bool _inside;

    /// <summary>Feeds one content chunk; returns the thought and content pieces it completes, in order.</summary>
    public IReadOnlyList<StreamEvent> Push(string chunk)
    {
        var events = new List<StreamEvent>();
        var pending = _carry + chunk;
        _carry = string.Empty;
        while (pending.Length > 0)
        {
            var tag = _inside ? Close : Open;
            var index = pending.IndexOf(tag, StringComparison.Ordinal);
            if (index >= 0)
            {
                Emit(events, pending[..index]);
                pending = pending[(index + tag.Length)..];
                _inside = !_inside;
                continue;
            }

            var keep = PartialTagSuffix(pending, tag);
            Emit(events, pending[..^keep]);
            _carry = pending[^keep..];
            break;
        }

        return events;
    }

    /// <summary>Ends the stream: a held-back partial tag is plain text of the current kind.</summary>
    public IReadOnlyList<StreamEvent> Flush()
    {
        var events = new List<StreamEvent>();
        Emit(events, _carry);
        _carry = string.Empty;
        return events;
    }

    private void Emit(List<StreamEvent> events, string text)
    {
        if (text.Length > 0)
        {
            events.Add(_inside ? new ThoughtDelta(text) : new ContentDelta(text));
        }
    }

    // Length of the longest suffix of text that is a proper prefix of tag.
    private static int PartialTagSuffix(string text, string tag)
    {
        for (var length = Math.Min(tag.Length - 1, text.Length); length > 0; length--)
        {
            if (text.AsSpan(text.Length - length).SequenceEqual(tag.AsSpan(0, length)))
            {
                return length;
            }
        }

        return 0;
    }
}
