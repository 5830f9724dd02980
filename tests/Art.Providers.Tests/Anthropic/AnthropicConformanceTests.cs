using Art.Anthropic;
using Art.Providers.Tests.Conformance;
using Art.Reasoning;
using Art.Testing.Servers;

namespace Art.Providers.Tests.Anthropic;

/// <summary>The shared provider behaviour, over real HTTP against <see cref="AnthropicTestServer"/>.</summary>
public sealed class AnthropicConformanceTests : ProviderConformanceTests
{
    protected override string ProviderName => "anthropic";

    protected override string Model => "claude-sonnet-4-5";

    protected override async Task<IProviderTestServer> StartServerAsync() => await AnthropicTestServer.StartAsync();

    protected override IProviderFactory CreateFactory() => new AnthropicProviderFactory();
}
