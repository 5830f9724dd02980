using System.Text.Json;
using System.Text.Json.Nodes;
using Art.Gemini;

namespace Art.Providers.Tests.Gemini;

public sealed class GeminiSchemaConverterTests
{
    private static JsonObject Convert(string schema) => GeminiSchemaConverter.Convert(JsonDocument.Parse(schema).RootElement);

    [Fact]
    public void Convert_DropsUnsupportedKeywords_UppercasesTypes()
    {
        var result = Convert("""{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,"properties":{"city":{"type":"string","description":"City","format":"uri"}},"required":["city"]}""");
        Assert.Equal("""{"type":"OBJECT","properties":{"city":{"type":"STRING","description":"City"}},"required":["city"]}""", result.ToJsonString());
    }

    [Fact]
    public void Convert_TypeArrayWithNull_BecomesNullable()
    {
        var result = Convert("""{"type":"object","properties":{"age":{"type":["integer","null"]}}}""");
        Assert.Equal("""{"type":"INTEGER","nullable":true}""", result["properties"]!["age"]!.ToJsonString());
    }

    [Fact]
    public void Convert_AnyOfWithNull_BecomesNullableSingleSchema()
    {
        var result = Convert("""{"anyOf":[{"type":"string"},{"type":"null"}],"description":"d"}""");
        Assert.Equal("STRING", result["type"]!.GetValue<string>());
        Assert.True(result["nullable"]!.GetValue<bool>());
        Assert.Equal("d", result["description"]!.GetValue<string>());
    }

    [Fact]
    public void Convert_DefsAndRefs_AreInlined()
    {
        var result = Convert("""{"$defs":{"Pet":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}},"type":"object","properties":{"pets":{"type":"array","items":{"$ref":"#/$defs/Pet"}},"best":{"$ref":"#/$defs/Pet","description":"favourite"}}}""");
        Assert.Null(result["$defs"]);
        Assert.Equal("""{"type":"ARRAY","items":{"type":"OBJECT","properties":{"name":{"type":"STRING"}},"required":["name"]}}""", result["properties"]!["pets"]!.ToJsonString());
        Assert.Equal("favourite", result["properties"]!["best"]!["description"]!.GetValue<string>());
        Assert.DoesNotContain("$ref", result.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_RecursiveRef_IsCutNotInfinite()
    {
        var result = Convert("""{"$defs":{"Node":{"type":"object","properties":{"next":{"$ref":"#/$defs/Node"}}}},"$ref":"#/$defs/Node"}""");
        Assert.DoesNotContain("$ref", result.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("OBJECT", result["type"]!.GetValue<string>());
    }

    [Fact]
    public void Convert_EnumAndConst_BecomeStringEnums()
    {
        Assert.Equal("""{"type":"STRING","format":"enum","enum":["1","2"]}""", Convert("""{"type":"integer","enum":[1,2]}""").ToJsonString());
        Assert.Equal("""{"type":"STRING","format":"enum","enum":["x"]}""", Convert("""{"const":"x"}""").ToJsonString());
    }

    [Fact]
    public void Convert_OneOfMultiple_BecomesAnyOf()
    {
        var result = Convert("""{"oneOf":[{"type":"string"},{"type":"number"}]}""");
        Assert.Equal("""{"anyOf":[{"type":"STRING"},{"type":"NUMBER"}]}""", result.ToJsonString());
    }
}
