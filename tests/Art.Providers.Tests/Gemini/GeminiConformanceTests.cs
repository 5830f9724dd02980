using Art.Gemini;
using Art.Providers.Tests.Conformance;
using Art.Reasoning;
using Art.Testing.Servers;

namespace Art.Providers.Tests.Gemini;

/// <summary>
/// The shared provider suite against <see cref="GeminiTestServer"/>. Every scripted error kind is producible:
/// InsufficientBalance is rendered the way Gemini says it (429 RESOURCE_EXHAUSTED for a per-day quota, no RetryInfo)
/// and ContentFilter as a blocked prompt (200 with <c>promptFeedback.blockReason</c>).
/// </summary>
public sealed class GeminiConformanceTests : ProviderConformanceTests
{
    protected override string ProviderName => "gemini";

    protected override string Model => "gemini-2.5-flash";

    protected override async Task<IProviderTestServer> StartServerAsync() => await GeminiTestServer.StartAsync();

    protected override IProviderFactory CreateFactory() => new GeminiProviderFactory();
}
