using Art.Reasoning;

namespace Art.Providers.Tests.Ollama;

/// <summary>The core splitter as the Ollama adapter uses it (tags cut anywhere, unterminated blocks).</summary>
public sealed class OllamaThinkTagSplitterTests
{
    private static (string Thoughts, string Content) Run(IEnumerable<string> chunks)
    {
        var splitter = new ThinkTagSplitter();
        var events = new List<StreamEvent>();
        foreach (var chunk in chunks)
        {
            splitter.Push(chunk, events);
        }

        splitter.Flush(events);
        return (string.Concat(events.OfType<ThoughtDelta>().Select(e => e.Text)), string.Concat(events.OfType<ContentDelta>().Select(e => e.Text)));
    }

    [Fact]
    public void Push_EveryPairOfSplitPoints_SameResultAsWhole()
    {
        const string text = "Pre <think>step 1 < 2, </thin not a tag</think>Answer <b>bold</b> <thi";
        var whole = Run([text]);
        Assert.Equal("step 1 < 2, </thin not a tag", whole.Thoughts);
        Assert.Equal("Pre Answer <b>bold</b> <thi", whole.Content);
        for (var i = 0; i <= text.Length; i++)
        {
            for (var j = i; j <= text.Length; j++)
            {
                Assert.Equal(whole, Run([text[..i], text[i..j], text[j..]]));
            }
        }
    }

    [Fact]
    public void Flush_UnterminatedThink_StaysThought()
    {
        Assert.Equal(("half a thought", "A"), Run(["A<think>half a ", "thought"]));
    }

    [Fact]
    public void Push_NoTags_ContentPassesThroughAtOnce()
    {
        var splitter = new ThinkTagSplitter();
        var events = new List<StreamEvent>();
        splitter.Push("plain text", events);
        splitter.Flush(events);
        Assert.Equal([new ContentDelta("plain text")], events);
    }
}
