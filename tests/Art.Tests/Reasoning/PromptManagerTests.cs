using System.Text.Json;
using Art.Context;
using Art.Reasoning;
using Art.Tools;

namespace Art.Tests.Reasoning;

public sealed class PromptManagerTests
{
    [Fact]
    public void ResolveSystemPrompt_Append_JoinsLeastSpecificFirst()
    {
        var prompts = new PromptManager(new PromptManagerOptions { DefaultSystemPrompt = "INSTANCE" });

        Assert.Equal("INSTANCE\n\nTHREAD\n\nCALL", prompts.ResolveSystemPrompt("THREAD", "CALL"));
        Assert.Equal("INSTANCE\n\nCALL", prompts.ResolveSystemPrompt(null, "CALL"));
        Assert.Equal("INSTANCE\n\nTHREAD", prompts.ResolveSystemPrompt("THREAD", "  "));
        Assert.Equal("INSTANCE", prompts.ResolveSystemPrompt(null, null));
    }

    [Fact]
    public void ResolveSystemPrompt_Replace_MostSpecificWins()
    {
        var prompts = new PromptManager(new PromptManagerOptions { DefaultSystemPrompt = "INSTANCE", SystemPromptMode = SystemPromptMode.Replace });

        Assert.Equal("CALL", prompts.ResolveSystemPrompt("THREAD", "CALL"));
        Assert.Equal("THREAD", prompts.ResolveSystemPrompt("THREAD", null));
        Assert.Equal("INSTANCE", prompts.ResolveSystemPrompt(null, null));
    }

    [Fact]
    public void CreatePlanningPrompt_HistoryAsRealMessages_QueryLast()
    {
        var prompts = new PromptManager();
        var history = new[]
        {
            Message(MessageRole.User, "hi"),
            Message(MessageRole.Assistant, "hello"),
            Message(MessageRole.System, "ignored"),
        };

        var prompt = prompts.CreatePlanningPrompt(new PlanningPromptRequest { Query = "what is 2+2?", History = history, SystemPrompt = "SYS" });

        Assert.Equal([MessageRole.System, MessageRole.User, MessageRole.Assistant, MessageRole.User], prompt.Messages.Select(m => m.Role));
        Assert.StartsWith("SYS", prompt.Messages[0].Text);
        Assert.Equal("hi", prompt.Messages[1].Text);
        Assert.Equal("hello", prompt.Messages[2].Text);
        Assert.Equal("what is 2+2?", prompt.LastUserText);
        Assert.DoesNotContain(prompt.Messages, m => m.Text?.Contains("User:", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void CreatePlanningPrompt_JsonPath_DescribesTools_NativePathDoesNot()
    {
        var prompts = new PromptManager();
        var tools = new[] { new CalculatorTool().Schema };

        var json = prompts.CreatePlanningPrompt(new PlanningPromptRequest { Query = "q", SystemPrompt = "S", Tools = tools, NativeTools = false });
        var native = prompts.CreatePlanningPrompt(new PlanningPromptRequest { Query = "q", SystemPrompt = "S", Tools = tools, NativeTools = true });

        Assert.Contains("- calculator:", json.Messages[0].Text);
        Assert.Contains("\"toolCalls\"", json.Messages[0].Text);
        Assert.Contains("\"expression\"", json.Messages[0].Text);
        Assert.DoesNotContain("- calculator:", native.Messages[0].Text);
    }

    [Fact]
    public void CreateSynthesisPrompt_Native_ToolResultsAsToolMessages()
    {
        var prompts = new PromptManager();
        var call = new ToolCall("c1", "calculator", JsonDocument.Parse("""{"expression":"2+2"}""").RootElement);
        var round = new ToolRound(null, [call], [ToolResult.Success("c1", "calculator", JsonDocument.Parse("""{"result":4}""").RootElement)]);

        var prompt = prompts.CreateSynthesisPrompt(new SynthesisPromptRequest { Query = "2+2?", SystemPrompt = "S", ToolRounds = [round], NativeTools = true });

        Assert.Equal([MessageRole.System, MessageRole.User, MessageRole.Assistant, MessageRole.Tool], prompt.Messages.Select(m => m.Role));
        Assert.Equal("c1", Assert.Single(prompt.Messages[2].ToolCalls).Id);
        Assert.Equal("c1", prompt.Messages[3].ToolCallId);
        Assert.Equal("calculator", prompt.Messages[3].ToolName);
        Assert.Equal("""{"result":4}""", prompt.Messages[3].Text);
    }

    [Fact]
    public void CreateSynthesisPrompt_JsonPath_ToolResultsInSystemText_FailureShown()
    {
        var prompts = new PromptManager();
        var call = new ToolCall("c1", "calculator", JsonDocument.Parse("{}").RootElement);
        var round = new ToolRound(null, [call], [ToolResult.Failure("c1", "calculator", "division by zero")]);

        var prompt = prompts.CreateSynthesisPrompt(new SynthesisPromptRequest { Query = "1/0?", SystemPrompt = "S", ToolRounds = [round], NativeTools = false, Intent = "divide" });

        Assert.Equal([MessageRole.System, MessageRole.User], prompt.Messages.Select(m => m.Role));
        Assert.Contains("Error: division by zero", prompt.Messages[0].Text);
        Assert.Contains("Intent: divide", prompt.Messages[0].Text);
        Assert.Equal("1/0?", prompt.LastUserText);
    }

    private static ConversationMessage Message(MessageRole role, string text) =>
        new() { MessageId = Guid.NewGuid().ToString("N"), ThreadId = "t", Role = role, Content = text, Timestamp = DateTimeOffset.UtcNow };
}
