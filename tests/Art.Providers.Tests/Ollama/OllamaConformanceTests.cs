using Art.Ollama;
using Art.Providers.Tests.Conformance;
using Art.Reasoning;
using Art.Testing.Servers;

namespace Art.Providers.Tests.Ollama;

public sealed class OllamaConformanceTests : ProviderConformanceTests
{
    protected override string ProviderName => "ollama";

    protected override string Model => "llama3.2";

    /// <summary>
    /// Ollama has no content filter and no context-length error (it truncates or shifts the context instead), so those
    /// two kinds cannot come from its API; every other kind is rendered with Ollama's status and <c>{"error":…}</c> body.
    /// </summary>
    public override IEnumerable<ScriptedErrorKind> SupportedErrors =>
        Enum.GetValues<ScriptedErrorKind>().Where(k => k is not (ScriptedErrorKind.ContentFilter or ScriptedErrorKind.ContextLengthExceeded));

    protected override async Task<IProviderTestServer> StartServerAsync() => await OllamaTestServer.StartAsync();

    protected override IProviderFactory CreateFactory() => new OllamaProviderFactory();

    [Fact]
    public async Task Stream_ApiKeyConfigured_SentAsBearerForOllamaCloud()
    {
        Server.Enqueue(ScriptedTurn.Text("hi"));

        await CollectAsync(ArtPrompt.FromUser("x"), Options(), TestContext.Current.CancellationToken);

        Assert.Equal("Bearer " + ApiKey, Server.Requests[^1].Header("Authorization"));
    }

    [Fact]
    public async Task Stream_NoApiKey_NoAuthorizationHeader()
    {
        await using var adapter = CreateAdapter(CreateConfig(Server.InstanceBaseUrl) with { ApiKey = null });
        Server.Enqueue(ScriptedTurn.Text("hi"));

        await foreach (var unused in adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), TestContext.Current.CancellationToken))
        {
        }

        Assert.Null(Server.Requests[^1].Header("Authorization"));
    }
}
