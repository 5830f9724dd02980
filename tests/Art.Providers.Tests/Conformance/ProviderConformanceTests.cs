using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Art.Costs;
using Art.Models;
using Art.Reasoning;
using Art.Testing.Servers;
using Art.Tools;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Providers.Tests.Conformance;

/// <summary>
/// The behaviour every provider adapter must show, over real HTTP against its loopback protocol server.
/// A new provider gets the whole suite by writing one subclass.
/// </summary>
public abstract class ProviderConformanceTests : IAsyncLifetime
{
    protected const string ApiKey = "test-key-5b1c9e0f7a2d";
    private IProviderTestServer? _server;
    private IProviderAdapter? _adapter;

    /// <summary>The provider type name under test (<c>ollama</c>, <c>openai</c>, ...).</summary>
    protected abstract string ProviderName { get; }

    /// <summary>Starts the provider's loopback server.</summary>
    protected abstract Task<IProviderTestServer> StartServerAsync();

    /// <summary>The provider's factory.</summary>
    protected abstract IProviderFactory CreateFactory();

    /// <summary>A model id the server accepts.</summary>
    protected virtual string Model => "test-model";

    /// <summary>Pricing used for the usage → cost check.</summary>
    protected virtual ModelPricing Pricing => new() { InputPerMillion = 2m, OutputPerMillion = 8m };

    /// <summary>Parameters that make the provider return thoughts (e.g. Think = true).</summary>
    protected virtual ModelParameters ThinkingParameters => new() { Think = true, ThinkingBudgetTokens = 1024, MaxOutputTokens = 2048 };

    /// <summary>The kind a scripted error must surface as; override where a provider documents otherwise.</summary>
    protected virtual ProviderErrorKind ExpectedKind(ScriptedErrorKind kind) => kind switch
    {
        ScriptedErrorKind.InvalidApiKey or ScriptedErrorKind.PermissionDenied => ProviderErrorKind.Auth,
        ScriptedErrorKind.InsufficientBalance => ProviderErrorKind.QuotaExceeded,
        ScriptedErrorKind.ModelNotFound => ProviderErrorKind.ModelNotFound,
        ScriptedErrorKind.RateLimited => ProviderErrorKind.RateLimited,
        ScriptedErrorKind.ServerError or ScriptedErrorKind.Overloaded or ScriptedErrorKind.ServiceUnavailable => ProviderErrorKind.Transient,
        ScriptedErrorKind.ContextLengthExceeded => ProviderErrorKind.ContextLengthExceeded,
        ScriptedErrorKind.ContentFilter => ProviderErrorKind.ContentFilter,
        _ => ProviderErrorKind.BadRequest,
    };

    /// <summary>The scripted error kinds this provider's API can produce.</summary>
    public virtual IEnumerable<ScriptedErrorKind> SupportedErrors => Enum.GetValues<ScriptedErrorKind>();

    protected IProviderTestServer Server => _server ?? throw new InvalidOperationException("Server not started.");

    protected IProviderAdapter Adapter => _adapter ?? throw new InvalidOperationException("Adapter not created.");

    protected virtual ProviderInstanceConfig CreateConfig(string baseUrl) => new()
    {
        Id = "conformance-" + ProviderName,
        Provider = ProviderName,
        BaseUrl = baseUrl,
        ApiKey = ApiKey,
        Model = Model,
    };

    public async ValueTask InitializeAsync()
    {
        _server = await StartServerAsync();
        _adapter = CreateAdapter(CreateConfig(_server.InstanceBaseUrl));
    }

    public async ValueTask DisposeAsync()
    {
        if (_adapter is not null)
        {
            await _adapter.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected IProviderAdapter CreateAdapter(ProviderInstanceConfig config) =>
        CreateFactory().Create(new ProviderAdapterContext { Config = config, LoggerFactory = NullLoggerFactory.Instance });

    protected static CallOptions Options(string? requestId = null) => new() { ThreadId = "conformance", RequestId = requestId };

    protected async Task<List<StreamEvent>> CollectAsync(ArtPrompt prompt, CallOptions options, CancellationToken cancellationToken = default)
    {
        var events = new List<StreamEvent>();
        await foreach (var e in Adapter.StreamAsync(prompt, options, cancellationToken))
        {
            events.Add(e);
        }

        return events;
    }

    protected static string ContentOf(IEnumerable<StreamEvent> events) =>
        string.Concat(events.OfType<ContentDelta>().Select(c => c.Text));

    protected static string ThoughtsOf(IEnumerable<StreamEvent> events) =>
        string.Concat(events.OfType<ThoughtDelta>().Select(c => c.Text));

    [Fact]
    public virtual async Task Stream_Text_ReturnsExactContentAndCompletes()
    {
        Server.Enqueue(ScriptedTurn.Text("Hel", "lo, ", "wor", "ld!"));

        var events = await CollectAsync(ArtPrompt.FromSystemAndUser("Be brief.", "Say hello"), Options());

        Assert.Equal("Hello, world!", ContentOf(events));
        var completed = Assert.IsType<Completed>(events[^1]);
        Assert.Equal(Adapter.InstanceId, completed.InstanceId);
        Assert.Equal(Model, completed.ModelId);
        Assert.Equal(FinishReason.Stop, completed.Reason);
        Assert.Contains("Say hello", Server.Requests[^1].Body, StringComparison.Ordinal);
        Assert.Contains("Be brief.", Server.Requests[^1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public virtual async Task Stream_Thoughts_ArriveAsThoughtsNeverAsContent()
    {
        Server.Enqueue(new ScriptedTurn
        {
            Parts = [new ScriptedThought("Let me think. ", "sig-1"), new ScriptedThought("Two plus two."), new ScriptedContent("4")],
        });

        var events = await CollectAsync(ArtPrompt.FromUser("2+2?"), Options() with { Parameters = ThinkingParameters });

        Assert.Equal("Let me think. Two plus two.", ThoughtsOf(events));
        Assert.Equal("4", ContentOf(events));
        var firstContent = events.FindIndex(e => e is ContentDelta);
        var lastThought = events.FindLastIndex(e => e is ThoughtDelta t && t.Text.Length > 0);
        Assert.True(lastThought < firstContent, "thoughts come before the answer");
    }

    [Fact]
    public virtual async Task Stream_ToolCall_ComesBackParsed()
    {
        Server.Enqueue(new ScriptedTurn
        {
            Parts = [ScriptedToolCall.Create("get_weather", """{"city":"Paris","days":2}""", "call_1")],
            FinishReason = "tool_calls",
        });
        var tool = new ToolSchema
        {
            Name = "get_weather",
            Description = "Weather forecast for a city",
            InputSchema = JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}""").RootElement,
        };

        var events = await CollectAsync(ArtPrompt.FromUser("Weather in Paris?"), Options() with { Tools = [tool] });

        var call = Assert.Single(events.OfType<ToolCallRequested>()).Call;
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Paris", call.Arguments.GetProperty("city").GetString());
        Assert.Equal(2, call.Arguments.GetProperty("days").GetInt32());
        Assert.False(string.IsNullOrEmpty(call.Id));
        Assert.Equal(FinishReason.ToolCalls, Assert.IsType<Completed>(events[^1]).Reason);
        Assert.Contains("get_weather", Server.Requests[^1].Body, StringComparison.Ordinal);
        Assert.Contains("Weather forecast for a city", Server.Requests[^1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public virtual async Task Stream_ToolResultTurn_IsSentBack()
    {
        Server.Enqueue(ScriptedTurn.Text("It is sunny."));
        var args = JsonDocument.Parse("""{"city":"Paris"}""").RootElement;
        var prompt = new ArtPrompt(
        [
            ArtMessage.User("Weather in Paris?"),
            ArtMessage.Assistant(null, [new ToolCall("call_7", "get_weather", args)]),
            ArtMessage.ToolResult("call_7", "get_weather", """{"forecast":"sunny-and-warm"}"""),
        ]);

        var events = await CollectAsync(prompt, Options());

        Assert.Equal("It is sunny.", ContentOf(events));
        Assert.Contains("sunny-and-warm", Server.Requests[^1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public virtual async Task Stream_Image_IsSentInline()
    {
        Server.Enqueue(ScriptedTurn.Text("A red pixel."));
        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");

        var events = await CollectAsync(new ArtPrompt([ArtMessage.User("What is this?", [ImageInput.FromBytes(png, "image/png")])]), Options());

        Assert.Equal("A red pixel.", ContentOf(events));
        Assert.Contains(Convert.ToBase64String(png), Server.Requests[^1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public virtual async Task Stream_ResponseSchema_IsSentAndContentIsTheJson()
    {
        Server.Enqueue(ScriptedTurn.Text("""{"name":"Ada",""", """ "age":36}"""));
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""").RootElement;

        var events = await CollectAsync(ArtPrompt.FromUser("Who?"), Options() with { ResponseSchema = schema });

        using var doc = JsonDocument.Parse(ContentOf(events));
        Assert.Equal("Ada", doc.RootElement.GetProperty("name").GetString());
        Assert.Equal(36, doc.RootElement.GetProperty("age").GetInt32());
        Assert.Contains("\"age\"", Server.Requests[^1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public virtual async Task Stream_Usage_IsReportedAndPriced()
    {
        Server.Enqueue(ScriptedTurn.Text("ok") with { Usage = new ScriptedUsage(1200, 300) });

        var events = await CollectAsync(ArtPrompt.FromUser("hi"), Options());

        var usage = Assert.Single(events.OfType<UsageReported>()).Usage;
        Assert.Equal(1200, usage.InputTokens);
        Assert.Equal(300, usage.OutputTokens);
        // 1200 * 2 + 300 * 8 = 4800 per million
        Assert.Equal(0.0048m, UsagePricing.Calculate(Pricing with { InputPerMillion = 2m, OutputPerMillion = 8m }, usage));
    }

    public static TheoryData<ScriptedErrorKind> AllErrorKinds => new(Enum.GetValues<ScriptedErrorKind>());

    [Theory]
    [MemberData(nameof(AllErrorKinds))]
    public virtual async Task Stream_ProviderError_IsClassifiedWithoutTheKey(ScriptedErrorKind kind)
    {
        if (!SupportedErrors.Contains(kind))
        {
            return; // Not producible by this provider's API (documented by the subclass's SupportedErrors).
        }

        Server.EnqueueError(new ScriptedError(kind, "scripted failure") { RetryAfterSeconds = kind == ScriptedErrorKind.RateLimited ? 7 : null });

        var ex = await Assert.ThrowsAnyAsync<ProviderException>(() => CollectAsync(ArtPrompt.FromUser("hi"), Options()));

        Assert.Equal(ExpectedKind(kind), ex.Kind);
        Assert.Equal(ProviderName, ex.Provider);
        Assert.DoesNotContain(ApiKey, ex.ToString(), StringComparison.Ordinal);
        if (kind == ScriptedErrorKind.RateLimited)
        {
            Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        }
    }

    [Fact]
    public virtual async Task Stream_MidStreamError_ThrowsAfterPartialContentNeverCompletes()
    {
        Server.Enqueue(ScriptedTurn.Text("partial ", "answer") with
        {
            MidStreamError = new ScriptedError(ScriptedErrorKind.Overloaded, "overloaded mid-stream"),
            ErrorAfterParts = 1,
        });

        var events = new List<StreamEvent>();
        var ex = await Assert.ThrowsAnyAsync<ProviderException>(async () =>
        {
            await foreach (var e in Adapter.StreamAsync(ArtPrompt.FromUser("hi"), Options()))
            {
                events.Add(e);
            }
        });

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.DoesNotContain(events, e => e is Completed);
        Assert.Equal("partial ", ContentOf(events));
    }

    [Fact]
    public virtual async Task Stream_ConnectionCutMidStream_ThrowsTransientNeverCompletes()
    {
        Server.Enqueue(ScriptedTurn.Text("one ", "two ", "three ", "four") with { Faults = new FaultPlan { CutAfterChunks = 2 } });

        var events = new List<StreamEvent>();
        var ex = await Assert.ThrowsAnyAsync<ProviderException>(async () =>
        {
            await foreach (var e in Adapter.StreamAsync(ArtPrompt.FromUser("hi"), Options()))
            {
                events.Add(e);
            }
        });

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.DoesNotContain(events, e => e is Completed);
    }

    [Fact]
    public virtual async Task AbortRequest_DuringStream_EndsPromptlyAndServerSeesDisconnect()
    {
        Server.Enqueue(ScriptedTurn.Text(Enumerable.Range(0, 50).Select(i => $"w{i} ").ToArray()) with
        {
            Faults = new FaultPlan { DelayBetweenChunks = TimeSpan.FromMilliseconds(400) },
        });
        var abort = Assert.IsAssignableFrom<IRequestAbort>(Adapter);
        var received = 0;
        var stopwatch = new Stopwatch();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in Adapter.StreamAsync(ArtPrompt.FromUser("long"), Options("req-abort-1")))
            {
                if (e is ContentDelta && ++received == 1)
                {
                    stopwatch.Start();
                    Assert.True(await abort.AbortRequestAsync("req-abort-1"));
                }
            }
        });

        stopwatch.Stop();
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"abort took {stopwatch.Elapsed}");
        Assert.True(await Server.WaitForClientDisconnectAsync(TimeSpan.FromSeconds(10)), "server saw the client leave");
        Assert.False(await abort.AbortRequestAsync("req-abort-1"), "a finished request cannot be aborted again");
    }

    [Fact]
    public virtual async Task Cancel_ByToken_StopsTheStream()
    {
        Server.Enqueue(ScriptedTurn.Text(Enumerable.Range(0, 50).Select(i => $"w{i} ").ToArray()) with
        {
            Faults = new FaultPlan { DelayBetweenChunks = TimeSpan.FromMilliseconds(400) },
        });
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in Adapter.StreamAsync(ArtPrompt.FromUser("long"), Options(), cts.Token))
            {
                if (e is ContentDelta)
                {
                    await cts.CancelAsync();
                }
            }
        });

        Assert.True(await Server.WaitForClientDisconnectAsync(TimeSpan.FromSeconds(10)), "server saw the client leave");
    }

    [Fact]
    public virtual async Task ListModels_ReturnsTheServersModels()
    {
        Server.SetModels(["model-a", "model-b"]);

        var models = await Adapter.ListModelsAsync();

        Assert.Contains(models, m => m.Name == "model-a");
        Assert.Contains(models, m => m.Name == "model-b");
    }

    [Fact]
    public virtual async Task Stream_UnreachableServer_TransientErrorNamingTheUrl()
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        await using var adapter = CreateAdapter(CreateConfig(url));

        var ex = await Assert.ThrowsAnyAsync<ProviderException>(async () =>
        {
            await foreach (var unused in adapter.StreamAsync(ArtPrompt.FromUser("hi"), Options()))
            {
            }
        });

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, ex.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A loopback port nobody listens on (bound, read, released).</summary>
    protected static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Concatenated text of all recorded request bodies (for subclass request-shape checks).</summary>
    protected string AllRequestBodies() => Server.Requests.Aggregate(new StringBuilder(), (sb, r) => sb.Append(r.Body)).ToString();
}
