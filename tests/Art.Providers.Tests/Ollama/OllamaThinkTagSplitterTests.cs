using Art.Ollama;
using Art.Reasoning;

namespace Art.Providers.Tests.Ollama;

public sealed class OllamaThinkTagSplitterTests
{
    private static (string Thoughts, string Content) Run(IEnumerable<string> chunks)
    {
        var splitter = new OllamaThinkTagSplitter();
        var events = chunks.SelectMany(splitter.Push).ToList();
        events.AddRange(splitter.Flush());
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
        var splitter = new OllamaThinkTagSplitter();
        Assert.Equal([new ContentDelta("plain text")], splitter.Push("plain text"));
        Assert.Empty(splitter.Flush());
    }
}
