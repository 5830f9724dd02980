using Art.Reasoning;
using Microsoft.Extensions.AI;

namespace Art.Tests.Reasoning;

public sealed class ArtPromptMapperTests
{
    [Fact]
    public void ToChatMessage_FailedToolResult_CarriesExceptionAndMarkerAndKeepsText()
    {
        var message = ArtPromptMapper.ToChatMessage(ArtMessage.ToolResult("call-1", "get_weather", """{"error":"service down"}""", isError: true));

        Assert.Equal(ChatRole.Tool, message.Role);
        var result = Assert.IsType<FunctionResultContent>(Assert.Single(message.Contents));
        Assert.Equal("call-1", result.CallId);
        Assert.Equal("""{"error":"service down"}""", result.Result);
        Assert.NotNull(result.Exception);
        Assert.Contains("service down", result.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(true, result.AdditionalProperties?[ArtPromptMapper.ToolErrorKey]);
        Assert.Equal("get_weather", result.AdditionalProperties?[ArtPromptMapper.ToolNameKey]);
    }

    [Fact]
    public void ToChatMessage_SuccessfulToolResult_NoExceptionNoMarker()
    {
        var message = ArtPromptMapper.ToChatMessage(ArtMessage.ToolResult("call-1", "get_weather", """{"tempC":11}"""));

        var result = Assert.IsType<FunctionResultContent>(Assert.Single(message.Contents));
        Assert.Null(result.Exception);
        Assert.False(result.AdditionalProperties?.ContainsKey(ArtPromptMapper.ToolErrorKey) ?? false);
    }

    [Fact]
    public void ToChatMessage_FailedToolResultWithoutText_ExceptionStillSaysItFailed()
    {
        var message = ArtPromptMapper.ToChatMessage(new ArtMessage { Role = MessageRole.Tool, ToolCallId = "call-1", IsError = true });

        var result = Assert.IsType<FunctionResultContent>(Assert.Single(message.Contents));
        Assert.Equal("The tool failed.", result.Exception?.Message);
    }
}
