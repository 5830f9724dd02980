namespace Art.Reasoning;

/// <summary>
/// Splits streamed text into thoughts and answer where a model writes its thinking inline as
/// <c>&lt;think&gt;…&lt;/think&gt;</c> (older Ollama models, some OpenAI-compatible servers). A streaming state machine:
/// a tag cut across chunks is held back until it is complete, so no byte of a tag ever reaches the answer and no
/// thought ever leaks into it. Whitespace between a closing tag and the first answer text is dropped (models put
/// <c>\n\n</c> there) as long as no answer text came before; everything else is kept exactly. One instance per stream; not thread-safe.
/// </summary>
public sealed class ThinkTagSplitter
{
    private readonly string _open;
    private readonly string _close;
    private string _pending = string.Empty;
    private bool _inThought;
    private bool _trimLeadingContent;
    private bool _emittedContent;

    public ThinkTagSplitter(string tagName = "think")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tagName);
        _open = "<" + tagName + ">";
        _close = "</" + tagName + ">";
    }

    /// <summary>Whether the splitter is inside a thought block.</summary>
    public bool InThought => _inThought;

    /// <summary>Feeds one chunk; appends the thoughts and answer pieces it completes to <paramref name="output"/>.</summary>
    public void Push(string chunk, ICollection<StreamEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (string.IsNullOrEmpty(chunk))
        {
            return;
        }

        var text = _pending.Length == 0 ? chunk : _pending + chunk;
        _pending = string.Empty;
        var position = 0;
        while (position < text.Length)
        {
            var tag = _inThought ? _close : _open;
            var index = text.IndexOf(tag, position, StringComparison.Ordinal);
            if (index >= 0)
            {
                Emit(text.AsSpan(position, index - position), output);
                position = index + tag.Length;
                _inThought = !_inThought;
                if (!_inThought && !_emittedContent)
                {
                    // Only before the answer starts: a thought block mid-answer must not eat the answer's spaces.
                    _trimLeadingContent = true;
                }

                continue;
            }

            var held = PartialTagSuffixLength(text.AsSpan(position), tag);
            Emit(text.AsSpan(position, text.Length - position - held), output);
            if (held > 0)
            {
                _pending = text[^held..];
            }

            break;
        }
    }

    /// <summary>Ends the stream: text held back as a possible partial tag is emitted as what it was.</summary>
    public void Flush(ICollection<StreamEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_pending.Length > 0)
        {
            var pending = _pending;
            _pending = string.Empty;
            Emit(pending, output);
        }
    }

    private void Emit(ReadOnlySpan<char> text, ICollection<StreamEvent> output)
    {
        if (text.IsEmpty)
        {
            return;
        }

        if (_inThought)
        {
            output.Add(new ThoughtDelta(text.ToString()));
            return;
        }

        if (_trimLeadingContent)
        {
            text = text.TrimStart();
            if (text.IsEmpty)
            {
                return;
            }

            _trimLeadingContent = false;
        }

        _emittedContent = true;
        output.Add(new ContentDelta(text.ToString()));
    }

    /// <summary>Length of the longest suffix of <paramref name="text"/> that is a proper prefix of <paramref name="tag"/>.</summary>
    private static int PartialTagSuffixLength(ReadOnlySpan<char> text, string tag)
    {
        var max = Math.Min(text.Length, tag.Length - 1);
        for (var length = max; length > 0; length--)
        {
            if (text[^length..].SequenceEqual(tag.AsSpan(0, length)))
            {
                return length;
            }
        }

        return 0;
    }
}
