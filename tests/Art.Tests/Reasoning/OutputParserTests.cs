using Art.Reasoning;

namespace Art.Tests.Reasoning;

public sealed class OutputParserTests
{
    public static TheoryData<string, string, string, string> ValidPlans => new()
    {
        // text, expected tool, expected call id, expected arguments JSON
        { """{"intent":"add","plan":"use calc","toolCalls":[{"callId":"c1","toolName":"calculator","arguments":{"expression":"2+2"}}]}""", "calculator", "c1", """{"expression":"2+2"}""" },
        { "Sure! Here is my plan:\n```json\n{\"toolCalls\":[{\"callId\":\"c1\",\"toolName\":\"calculator\",\"arguments\":{\"expression\":\"1+1\"}}]}\n```\nDone.", "calculator", "c1", """{"expression":"1+1"}""" },
        { "```\n[{\"callId\":\"x\",\"toolName\":\"t\",\"arguments\":{}}]\n```", "t", "x", "{}" },
        { """I will call: [{"callId":"c1","toolName":"stats","arguments":{"values":[[1,2],[3,[4,5]]],"opts":{"nested":{"deep":[{}]}}}}] and then answer.""", "stats", "c1", """{"values":[[1,2],[3,[4,5]]],"opts":{"nested":{"deep":[{}]}}}""" },
        { """{"toolCalls":[{"callId":"c1","toolName":"echo","arguments":{"text":"a ] tricky [ string } with { brackets \" and quote"}}]}""", "echo", "c1", """{"text":"a ] tricky [ string } with { brackets \" and quote"}""" },
        { "Intent: add numbers\nPlan: use the calculator\nTool Calls:\n[{\"callId\":\"c9\",\"toolName\":\"calculator\",\"arguments\":{\"expression\":\"[1,2]\"}},]", "calculator", "c9", """{"expression":"[1,2]"}""" },
        { """{"tool_calls":[{"id":"c2","name":"calculator","arguments":"{\"expression\":\"3*3\"}"}]}""", "calculator", "c2", """{"expression":"3*3"}""" },
        { "<think>maybe [{\"callId\":\"bad\",\"toolName\":\"rm\",\"arguments\":{}}]</think>{\"toolCalls\":[{\"callId\":\"c1\",\"toolName\":\"calculator\",\"arguments\":{\"expression\":\"5\"}}]}", "calculator", "c1", """{"expression":"5"}""" },
        { "prose [not json] then {\"toolCalls\":[{\"callId\":\"c1\",\"toolName\":\"calculator\",\"arguments\":{\"expression\":\"7\"}}]}", "calculator", "c1", """{"expression":"7"}""" },
    };

    [Theory]
    [MemberData(nameof(ValidPlans))]
    public void ParsePlanningOutput_ValidPlan_ReadsTheCall(string text, string tool, string id, string arguments)
    {
        var plan = OutputParser.ParsePlanningOutput(text);

        Assert.Null(plan.Problem);
        var call = Assert.Single(plan.ToolCalls);
        Assert.Equal(tool, call.Name);
        Assert.Equal(id, call.Id);
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(arguments), System.Text.Json.Nodes.JsonNode.Parse(call.Arguments.GetRawText())), call.Arguments.GetRawText());
    }

    [Fact]
    public void ParsePlanningOutput_IntentAndPlan_AreRead()
    {
        var plan = OutputParser.ParsePlanningOutput("""{"intent":"sum","plan":["step 1","step 2"],"toolCalls":[]}""");

        Assert.Equal("sum", plan.Intent);
        Assert.Equal("step 1\nstep 2", plan.Plan);
        Assert.Empty(plan.ToolCalls);
        Assert.Null(plan.Problem);
        Assert.True(plan.HasToolCallsSection);
    }

    [Fact]
    public void ParsePlanningOutput_Sections_WithoutJson_GiveIntentPlanAndAReason()
    {
        var plan = OutputParser.ParsePlanningOutput("Intent: greet\nPlan: say hello\nTool Calls:\nnone needed");

        Assert.Equal("greet", plan.Intent);
        Assert.Equal("say hello", plan.Plan);
        Assert.Empty(plan.ToolCalls);
        Assert.Contains("Tool Calls", plan.Problem);
    }

    [Fact]
    public void ParsePlanningOutput_ThinkOnly_IsNeverParsedAsPlan()
    {
        var plan = OutputParser.ParsePlanningOutput("<think>[{\"callId\":\"c\",\"toolName\":\"calculator\",\"arguments\":{}}]</think>I can answer directly.");

        Assert.Empty(plan.ToolCalls);
        Assert.NotNull(plan.Problem);
        Assert.Contains("toolName", plan.Thoughts);
    }

    [Fact]
    public void ParsePlanningOutput_UnclosedThink_IsThought()
    {
        var plan = OutputParser.ParsePlanningOutput("<think>[{\"callId\":\"c\",\"toolName\":\"calculator\",\"arguments\":{}}]");

        Assert.Empty(plan.ToolCalls);
        Assert.NotNull(plan.Thoughts);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Just an answer without any plan.", "No JSON plan")]
    [InlineData("""{"toolCalls":[{"callId":"c1","arguments":{}}]}""", "no 'toolName'")]
    [InlineData("""{"toolCalls":[{"callId":"c1","toolName":"calc","arguments":[1,2]}]}""", "must be a JSON object")]
    [InlineData("""{"toolCalls":"calculator"}""", "must be an array")]
    [InlineData("""{"toolCalls":[{"callId":"c1","toolName":"calc","arguments":{"a":1}""", "No JSON plan")]
    public void ParsePlanningOutput_Invalid_GivesNoCallsAndAReason(string text, string reason)
    {
        var plan = OutputParser.ParsePlanningOutput(text);

        Assert.Empty(plan.ToolCalls);
        Assert.NotNull(plan.Problem);
        Assert.Contains(reason, plan.Problem, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ParsePlanningOutput_MissingCallId_IsGenerated()
    {
        var plan = OutputParser.ParsePlanningOutput("""[{"toolName":"a","arguments":{}},{"toolName":"b"}]""");

        Assert.Equal(["call_1", "call_2"], plan.ToolCalls.Select(c => c.Id));
        Assert.Equal("{}", plan.ToolCalls[1].Arguments.GetRawText());
    }

    [Fact]
    public void BalancedJsonValues_SkipsUnbalancedAndFindsNext()
    {
        var values = OutputParser.BalancedJsonValues("x { broken [1,2] } ] {\"a\":\"}\"}").ToList();

        Assert.Equal(["{ broken [1,2] }", "{\"a\":\"}\"}"], values);
    }

    [Fact]
    public void ParseSynthesisOutput_StripsThinkingAndTrims()
    {
        Assert.Equal("The answer is 4.", OutputParser.ParseSynthesisOutput("<think>2+2</think>  The answer is 4.  "));
    }
}
