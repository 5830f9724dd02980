using System.Text.Json;
using Art.Reasoning;

namespace Art.Tests.Reasoning;

public sealed class ModelParametersTests
{
    [Theory]
    [InlineData("""{"max_tokens": 77}""")]
    [InlineData("""{"maxOutputTokens": 77}""")]
    [InlineData("""{"num_predict": 77}""")]
    [InlineData("""{"max_completion_tokens": "77"}""")]
    public void Read_MaxTokensAliases_NormaliseToMaxOutputTokens(string json)
    {
        var p = JsonSerializer.Deserialize<ModelParameters>(json, ArtJson.Options)!;
        Assert.Equal(77, p.MaxOutputTokens);
        Assert.Null(p.Extra);
    }

    [Fact]
    public void Read_StopAsStringOrArray_BothBecomeList()
    {
        var one = JsonSerializer.Deserialize<ModelParameters>("""{"stop": "END"}""", ArtJson.Options)!;
        var many = JsonSerializer.Deserialize<ModelParameters>("""{"stop_sequences": ["a", "b"]}""", ArtJson.Options)!;
        Assert.Equal(["END"], one.StopSequences!);
        Assert.Equal(["a", "b"], many.StopSequences!);
    }

    [Fact]
    public void Read_UnknownKey_KeptInExtraAndRoundTrips()
    {
        var p = JsonSerializer.Deserialize<ModelParameters>("""{"top_p": 0.5, "repeat_penalty": 1.1}""", ArtJson.Options)!;
        Assert.Equal(0.5, p.TopP);
        Assert.Equal(1.1, p.Extra!["repeat_penalty"].GetDouble());

        var again = JsonSerializer.Deserialize<ModelParameters>(JsonSerializer.Serialize(p, ArtJson.Options), ArtJson.Options)!;
        Assert.Equal(0.5, again.TopP);
        Assert.Equal(1.1, again.Extra!["repeat_penalty"].GetDouble());
    }

    [Fact]
    public void Read_InvalidValue_ThrowsNamingTheParameter()
    {
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ModelParameters>("""{"temperature": "hot"}""", ArtJson.Options));
        Assert.Contains("temperature", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_LaterLayersWinFieldByField()
    {
        var instance = new ModelParameters { Temperature = 0.1, MaxOutputTokens = 100, TopK = 5 };
        var thread = new ModelParameters { Temperature = 0.5 };
        var call = new ModelParameters { MaxOutputTokens = 10 };

        var merged = ModelParameters.Merge(instance, thread, null, call);

        Assert.Equal(0.5, merged.Temperature);
        Assert.Equal(10, merged.MaxOutputTokens);
        Assert.Equal(5, merged.TopK);
    }

    [Fact]
    public void FromDictionary_ParsesNumbersBoolsAndAliases()
    {
        var p = ModelParameters.FromDictionary([new("max_tokens", "42"), new("think", "true"), new("keep_alive", "5m")]);
        Assert.Equal(42, p.MaxOutputTokens);
        Assert.True(p.Think);
        Assert.Equal("5m", p.KeepAlive);
    }
}
