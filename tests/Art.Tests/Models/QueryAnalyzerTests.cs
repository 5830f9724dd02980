using System.Text.Json;
using Art.Models;
using Art.Reasoning;
using Art.Tools;

namespace Art.Tests.Models;

public sealed class QueryAnalyzerTests
{
    private static readonly CallOptions Plain = new() { ThreadId = "t" };

    private static string Caps(IReadOnlyList<ModelCapability> capabilities) => string.Join(",", capabilities.Select(ModelRouter.Wire));

    [Theory]
    [InlineData("Hello there", "text")]
    [InlineData("What is in this picture? data:image/png;base64,iVBORw0KGgo=", "text,vision")]
    [InlineData("Describe https://example.com/cat.JPG please", "text,vision")]
    [InlineData("Describe https://example.com/photos/cat.webp?size=large", "text,vision")]
    [InlineData("Read https://example.com/page.html", "text")]
    [InlineData("Write a function that reverses a list", "text,code")]
    [InlineData("Why does my Python script throw?", "text,code,reasoning")]
    [InlineData("Please debug this", "text,code")]
    [InlineData("```\nint x = 1;\n```", "text,code")]
    [InlineData("The functionality is great", "text")]
    [InlineData("Compare these two offers", "text,reasoning")]
    [InlineData("Analyse the results step by step", "text,reasoning")]
    [InlineData("Optimize the classifier", "text,reasoning")]
    [InlineData("Weigh the pros and cons", "text,reasoning")]
    [InlineData("He is a classic", "text")]
    public void Analyze_TextHeuristics_Table(string text, string expected) =>
        Assert.Equal(expected, Caps(QueryAnalyzer.Analyze(ArtPrompt.FromUser(text), Plain, useTextHeuristics: true)));

    [Theory]
    [InlineData("Write a function that compares data:image/png;base64,AAAA")]
    [InlineData("Describe https://example.com/cat.png")]
    public void Analyze_WithoutHeuristics_TextOnly(string text) =>
        Assert.Equal("text", Caps(QueryAnalyzer.Analyze(ArtPrompt.FromUser(text), Plain, useTextHeuristics: false)));

    [Fact]
    public void Analyze_StructuralSignals_AlwaysApply()
    {
        using var schema = JsonDocument.Parse("""{"type":"object"}""");
        var options = Plain with
        {
            Images = [ImageInput.FromBase64("AAAA", "image/png")],
            Tools = [new ToolSchema { Name = "calc", Description = "math", InputSchema = schema.RootElement.Clone() }],
            ResponseSchema = schema.RootElement.Clone(),
        };

        Assert.Equal("text,vision,tool_use,json_output", Caps(QueryAnalyzer.Analyze(ArtPrompt.FromUser("hi"), options, useTextHeuristics: false)));
    }

    [Fact]
    public void Analyze_ImageInEarlierMessage_NeedsVision()
    {
        var prompt = new ArtPrompt(
        [
            ArtMessage.User("look", [ImageInput.FromUrl(new Uri("https://example.com/a.png"))]),
            ArtMessage.Assistant("a cat"),
            ArtMessage.User("and now?"),
        ]);

        Assert.Equal("text,vision", Caps(QueryAnalyzer.Analyze(prompt, Plain, useTextHeuristics: false)));
    }

    [Fact]
    public void Analyze_EmptyTools_DoNotNeedToolUse()
    {
        Assert.Equal("text", Caps(QueryAnalyzer.Analyze(ArtPrompt.FromUser("hi"), Plain with { Tools = [], Images = [] }, useTextHeuristics: true)));
    }
}
