using System.Text;
using Art.Reasoning;

namespace Art.Tests.Reasoning;

public sealed class ThinkTagSplitterTests
{
    private static (string Thoughts, string Content) Run(params string[] chunks)
    {
        var splitter = new ThinkTagSplitter();
        var events = new List<StreamEvent>();
        foreach (var chunk in chunks)
        {
            splitter.Push(chunk, events);
        }

        splitter.Flush(events);
        var thoughts = new StringBuilder();
        var content = new StringBuilder();
        foreach (var e in events)
        {
            switch (e)
            {
                case ThoughtDelta t: thoughts.Append(t.Text); break;
                case ContentDelta c: content.Append(c.Text); break;
                default: throw new InvalidOperationException("unexpected event " + e);
            }
        }

        return (thoughts.ToString(), content.ToString());
    }

    [Fact]
    public void Push_WholeBlockInOneChunk_SplitsThoughtAndAnswer()
    {
        var (thoughts, content) = Run("<think>plan it</think>\n\nThe answer.");
        Assert.Equal("plan it", thoughts);
        Assert.Equal("The answer.", content);
    }

    [Fact]
    public void Push_TagsCutAtEveryPosition_NeverLeakIntoEitherSide()
    {
        const string text = "<think>a<b and c</think>\n\nx < y </thi z";
        for (var i = 0; i <= text.Length; i++)
        {
            for (var j = i; j <= text.Length; j++)
            {
                var (thoughts, content) = Run(text[..i], text[i..j], text[j..]);
                Assert.Equal("a<b and c", thoughts);
                Assert.Equal("x < y </thi z", content);
            }
        }
    }

    [Fact]
    public void Push_OneCharacterChunks_SameAsWhole()
    {
        const string text = "<think>deep\nthought</think>Answer <b>bold</b>";
        var (thoughts, content) = Run(text.Select(c => c.ToString()).ToArray());
        Assert.Equal("deep\nthought", thoughts);
        Assert.Equal("Answer <b>bold</b>", content);
    }

    [Fact]
    public void Flush_UnterminatedPartialTag_IsEmittedAsText()
    {
        var (thoughts, content) = Run("value <thi");
        Assert.Equal(string.Empty, thoughts);
        Assert.Equal("value <thi", content);
    }

    [Fact]
    public void Push_NoTags_ContentKeptExactlyIncludingWhitespace()
    {
        var (thoughts, content) = Run("  leading", " and trailing  ");
        Assert.Equal(string.Empty, thoughts);
        Assert.Equal("  leading and trailing  ", content);
    }

    [Fact]
    public void Push_UnclosedThink_EverythingAfterOpenIsThought()
    {
        var (thoughts, content) = Run("<think>still thinking", " when cut");
        Assert.Equal("still thinking when cut", thoughts);
        Assert.Equal(string.Empty, content);
    }
}
