using System.Text.Json;
using Art.Tools;

namespace Art.Tests.Tools;

public sealed class CalculatorToolTests
{
    public static TheoryData<string, double> Cases => new()
    {
        { "1 + 2", 3 },
        { "2 + 3 * 4", 14 },
        { "(2 + 3) * 4", 20 },
        { "10 / 4", 2.5 },
        { "7 - 10", -3 },
        { "-5 + 2", -3 },
        { "2 ^ 10", 1024 },
        { "2^3^2", 512 },
        { "10 % 3", 1 },
        { "5!", 120 },
        { "sqrt(16)", 4 },
        { "SQRT(2) * sqrt(2)", 2.0000000000000004 },
        { "cbrt(27)", 3 },
        { "abs(-7.5)", 7.5 },
        { "pow(3, 4)", 81 },
        { "exp(0)", 1 },
        { "ln(e)", 1 },
        { "log10(1000)", 3 },
        { "log2(8)", 3 },
        { "sin(0)", 0 },
        { "cos(pi)", -1 },
        { "round(2.567, 2)", 2.57 },
        { "floor(-2.5)", -3 },
        { "ceiling(2.1)", 3 },
        { "max(3, 9, 4)", 9 },
        { "min(3, 9, 4)", 3 },
        { "mean(1, 2, 3, 4)", 2.5 },
        { "median(5, 1, 3)", 3 },
        { "sum(1, 2, 3)", 6 },
        { "hypot(3, 4)", 5 },
        { "factorial(6)", 720 },
        { "1.5 * 2.2", 3.3000000000000003 },
        { "1e3 + 1", 1001 },
        { "atan2(1, 1) * 4", Math.PI },
        { "if(2 > 1, 10, 20)", 10 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_Table_GivesTheNumber(string expression, double expected)
    {
        Assert.Equal(expected, CalculatorTool.Evaluate(expression), 12);
    }

    [Theory]
    [InlineData("5 + * 3", "Syntax error")]
    [InlineData("x + y", "Undefined symbol")]
    [InlineData("import('fs')", "not allowed")]
    [InlineData("System.IO.File.Delete(\"a\")", "not allowed")]
    [InlineData("Environment.Exit(1)", "Syntax error")]
    [InlineData("exit(1)", "Unknown function 'exit'")]
    [InlineData("GetType()", "Unknown function 'GetType'")]
    [InlineData("1 / 0", "not a finite number")]
    [InlineData("2 > 1", "comparison")]
    [InlineData("x = 5", "Undefined symbol")]
    [InlineData("", "Syntax error")]
    [InlineData("{1,2}", "not allowed")]
    [InlineData("factorial(-1)", "whole number")]
    [InlineData("1; 2", "not allowed")]
    public void Evaluate_NotACalculation_FailsWithAClearReason(string expression, string reason)
    {
        var ex = Assert.Throws<CalculatorException>(() => CalculatorTool.Evaluate(expression));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_ScopeAndAns_UsedPerThread()
    {
        var tool = new CalculatorTool();

        var first = await tool.ExecuteAsync(Json("""{"expression":"x^2 + 1","scope":{"x":3}}"""), new ToolExecutionContext("t1", "c1"));
        var second = await tool.ExecuteAsync(Json("""{"expression":"ans * 2"}"""), new ToolExecutionContext("t1", "c2"));
        var otherThread = await tool.ExecuteAsync(Json("""{"expression":"ans * 2"}"""), new ToolExecutionContext("t2", "c3"));

        Assert.Equal(10, first.Output!.Value.GetProperty("result").GetDouble());
        Assert.Equal(20, second.Output!.Value.GetProperty("result").GetDouble());
        Assert.Equal(ToolResultStatus.Error, otherThread.Status);
        Assert.Contains("Undefined symbol 'ans'", otherThread.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_Failure_IsAnErrorResultNotAnException()
    {
        var result = await new CalculatorTool().ExecuteAsync(Json("""{"expression":"5 + * 3"}"""), new ToolExecutionContext("t", "c"));

        Assert.Equal(ToolResultStatus.Error, result.Status);
        Assert.StartsWith("Failed to evaluate expression:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_IsAValidObjectSchemaRequiringExpression()
    {
        var schema = new CalculatorTool().Schema;
        Assert.Equal("calculator", schema.Name);
        Assert.Equal("expression", schema.InputSchema.GetProperty("required")[0].GetString());
        Assert.Null(ToolInputValidator.Validate(schema, Json("""{"expression":"1+1","scope":{"a":1}}""")));
        Assert.NotNull(ToolInputValidator.Validate(schema, Json("""{"scope":{"a":"x"}}""")));
    }

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
