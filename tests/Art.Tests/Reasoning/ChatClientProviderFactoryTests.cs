using System.Net;
using System.Runtime.CompilerServices;
using Art.Reasoning;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Tests.Reasoning;

public sealed class ChatClientProviderFactoryTests
{
    /// <summary>A hand-written IChatClient: streams fixed updates or throws, records what it got.</summary>
    private sealed class HandWrittenClient(Exception? error = null) : IChatClient
    {
        public List<ChatMessage> LastMessages { get; } = [];

        public ChatOptions? LastOptions { get; private set; }

        public bool Disposed { get; private set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            LastMessages.AddRange(messages);
            LastOptions = options;
            await Task.Yield();
            if (error is not null)
            {
                throw error;
            }

            yield return new ChatResponseUpdate(ChatRole.Assistant, [new TextReasoningContent("hmm")]);
            yield return new ChatResponseUpdate(ChatRole.Assistant, "Hello ");
            yield return new ChatResponseUpdate(ChatRole.Assistant, "world");
            yield return new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 3, OutputTokenCount = 2 })], FinishReason = ChatFinishReason.Stop };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("hand", null, "hand-model-1") : null;

        public void Dispose() => Disposed = true;
    }

    private static ProviderAdapterContext Context(string id, string? model = null) => new()
    {
        Config = new ProviderInstanceConfig { Id = id, Provider = ChatClientProviderFactory.ProviderName, Model = model },
        LoggerFactory = NullLoggerFactory.Instance,
    };

    [Fact]
    public async Task Create_RegisteredClient_StreamsThroughTheSharedMapping()
    {
        var client = new HandWrittenClient();
        var factory = new ChatClientProviderFactory().Add("mine", client);

        await using var adapter = factory.Create(Context("mine"));
        var events = new List<StreamEvent>();
        await foreach (var e in adapter.StreamAsync(ArtPrompt.FromSystemAndUser("sys", "hi"), new CallOptions { ThreadId = "t" }, TestContext.Current.CancellationToken))
        {
            events.Add(e);
        }

        Assert.Equal("chat-client", adapter.ProviderName);
        Assert.Equal("hmm", Assert.IsType<ThoughtDelta>(events[0]).Text);
        Assert.Equal("Hello world", string.Concat(events.OfType<ContentDelta>().Select(c => c.Text)));
        Assert.Equal(3, Assert.Single(events.OfType<UsageReported>()).Usage.InputTokens);
        var done = Assert.IsType<Completed>(events[^1]);
        Assert.Equal("mine", done.InstanceId);
        Assert.Equal("hand-model-1", done.ModelId);
        Assert.Equal("hand-model-1", client.LastOptions!.ModelId);
        Assert.Equal(2, client.LastMessages.Count);
    }

    [Fact]
    public async Task ListModels_FromMetadataAndConfig()
    {
        var factory = new ChatClientProviderFactory().Add("mine", new HandWrittenClient());
        await using var adapter = factory.Create(Context("mine", model: "configured"));

        var models = await adapter.ListModelsAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["configured", "hand-model-1"], models.Select(m => m.Name));
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, ProviderErrorKind.RateLimited)]
    [InlineData(HttpStatusCode.Unauthorized, ProviderErrorKind.Auth)]
    [InlineData(HttpStatusCode.NotFound, ProviderErrorKind.ModelNotFound)]
    [InlineData(HttpStatusCode.BadGateway, ProviderErrorKind.Transient)]
    [InlineData(HttpStatusCode.BadRequest, ProviderErrorKind.BadRequest)]
    public async Task Errors_AreClassifiedFromHttpStatus(HttpStatusCode status, ProviderErrorKind kind)
    {
        var factory = new ChatClientProviderFactory().Add("mine", new HandWrittenClient(new HttpRequestException("boom", null, status)));
        await using var adapter = factory.Create(Context("mine"));

        var error = await Assert.ThrowsAsync<ProviderException>(async () =>
        {
            await foreach (var _ in adapter.StreamAsync(ArtPrompt.FromUser("hi"), new CallOptions { ThreadId = "t" }, TestContext.Current.CancellationToken))
            {
            }
        });

        Assert.Equal(kind, error.Kind);
        Assert.Equal("mine", error.InstanceId);
    }

    [Fact]
    public async Task CallerOwnedClient_IsNotDisposed_FactoryClientIs()
    {
        var owned = new HandWrittenClient();
        var created = new HandWrittenClient();
        var factory = new ChatClientProviderFactory().Add("caller", owned).Add("factory", _ => created);

        await factory.Create(Context("caller")).DisposeAsync();
        await factory.Create(Context("factory")).DisposeAsync();

        Assert.False(owned.Disposed);
        Assert.True(created.Disposed);
    }

    [Fact]
    public void Create_UnknownInstance_ThrowsConfigurationErrorNamingIt()
    {
        var factory = new ChatClientProviderFactory().Add("mine", new HandWrittenClient());

        var error = Assert.Throws<ArtConfigurationException>(() => factory.Create(Context("other")));

        Assert.Contains("'other'", error.Message);
        Assert.Contains("mine", error.Message);
        Assert.Throws<ArgumentException>(() => factory.Add("mine", new HandWrittenClient()));
    }
}
