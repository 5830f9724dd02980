using System.Net;
using Art.Reasoning;
using Art.Testing.Servers;
using static Art.Providers.Tests.Ollama.OllamaTestKit;

namespace Art.Providers.Tests.Ollama;

public sealed class OllamaErrorTests
{
    [Theory]
    [InlineData(404, "model 'ghost' not found", ProviderErrorKind.ModelNotFound)]
    [InlineData(400, "registry.ollama.ai/library/gemma2:2b does not support tools", ProviderErrorKind.BadRequest)]
    [InlineData(400, "\"gemma3:4b\" does not support thinking", ProviderErrorKind.BadRequest)]
    [InlineData(503, OllamaTestServer.ServerBusyMessage, ProviderErrorKind.Transient)]
    [InlineData(500, "llama runner process has terminated: exit status 2", ProviderErrorKind.Transient)]
    [InlineData(401, "unauthorized", ProviderErrorKind.Auth)]
    [InlineData(429, "too many requests", ProviderErrorKind.RateLimited)]
    public async Task StreamAsync_ErrorStatus_ClassifiedWithServerMessage(int status, string message, ProviderErrorKind kind)
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.EnqueueError(status, message);

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), Ct)));

        Assert.Equal(kind, ex.Kind);
        Assert.Equal((HttpStatusCode)status, ex.StatusCode);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Equal("ollama", ex.Provider);
        Assert.Equal("ollama-local", ex.InstanceId);
    }

    [Theory]
    [InlineData(ScriptedErrorKind.ModelNotFound, ProviderErrorKind.ModelNotFound, 404)]
    [InlineData(ScriptedErrorKind.ServiceUnavailable, ProviderErrorKind.Transient, 503)]
    [InlineData(ScriptedErrorKind.ServerError, ProviderErrorKind.Transient, 500)]
    [InlineData(ScriptedErrorKind.BadRequest, ProviderErrorKind.BadRequest, 400)]
    public async Task StreamAsync_ScriptedError_Classified(ScriptedErrorKind scripted, ProviderErrorKind expected, int status)
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.EnqueueError(new ScriptedError(scripted, "boom"));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options("gemma3:1b"), Ct)));

        Assert.Equal(expected, ex.Kind);
        Assert.Equal((HttpStatusCode)status, ex.StatusCode);
    }

    [Fact]
    public async Task StreamAsync_CloudKeyEchoedInErrorBody_RedactedFromMessage()
    {
        const string key = "ollama-cloud-key-0123456789";
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = new Art.Ollama.OllamaProviderAdapter(new ProviderAdapterContext
        {
            Config = new ProviderInstanceConfig { Id = "ollama-cloud", Provider = "ollama", BaseUrl = server.InstanceBaseUrl, Model = "gpt-oss:120b", ApiKey = key },
            LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });
        server.EnqueueError(401, "invalid key " + key);

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), Ct)));

        Assert.Equal(ProviderErrorKind.Auth, ex.Kind);
        Assert.DoesNotContain(key, ex.Message, StringComparison.Ordinal);
        Assert.Contains("invalid key ***", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamAsync_400ModelNotFound_ModelNotFoundNotBadRequest()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.EnqueueError(400, "model 'ghost' not found, try pulling it first");

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), Ct)));

        Assert.Equal(ProviderErrorKind.ModelNotFound, ex.Kind);
        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
    }

    [Fact]
    public async Task StreamAsync_RequestIdAlreadyRunning_BadRequestAndFirstStillAbortable()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.EnqueueRaw(new RawResponse(200, "application/x-ndjson", ["""{"model":"m","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"first"},"done":false}""" + "\n"])
        {
            Faults = new FaultPlan { HoldOpenAfterLastChunk = TimeSpan.FromMinutes(1) },
        });
        await using var first = adapter.StreamAsync(ArtPrompt.FromUser("long"), Options(requestId: "req-7"), Ct).GetAsyncEnumerator(Ct);
        Assert.True(await first.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("again"), Options(requestId: "req-7"), Ct)));

        Assert.Equal(ProviderErrorKind.BadRequest, ex.Kind);
        Assert.Contains("req-7", ex.Message, StringComparison.Ordinal);
        Assert.True(await adapter.AbortRequestAsync("req-7"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.MoveNextAsync().AsTask());
    }

    [Fact]
    public async Task StreamAsync_RateLimitedWithRetryAfter_Honoured()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.EnqueueError(new ScriptedError(ScriptedErrorKind.RateLimited, "slow down") { RetryAfterSeconds = 7 });

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), Ct)));

        Assert.Equal(ProviderErrorKind.RateLimited, ex.Kind);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
    }

    [Fact]
    public async Task StreamAsync_ErrorLineMidStream_ContentThenExceptionNeverSuccess()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.Enqueue(ScriptedTurn.Text("par", "tial", "never") with
        {
            MidStreamError = new ScriptedError(ScriptedErrorKind.ServerError, "an error was encountered while running the model"),
            ErrorAfterParts = 2,
        });

        var received = new List<StreamEvent>();
        var ex = await Assert.ThrowsAsync<ProviderException>(async () =>
        {
            await foreach (var e in adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), Ct))
            {
                received.Add(e);
            }
        });

        Assert.Equal("partial", string.Concat(received.OfType<ContentDelta>().Select(c => c.Text)));
        Assert.DoesNotContain(received, e => e is Completed);
        Assert.Contains("an error was encountered while running the model", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
    }

    [Fact]
    public async Task StreamAsync_ConnectionCutMidStream_TransientNeverSuccess()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.Enqueue(ScriptedTurn.Text("a", "b", "c") with { Faults = new FaultPlan { CutAfterChunks = 2 } });

        var received = new List<StreamEvent>();
        var ex = await Assert.ThrowsAsync<ProviderException>(async () =>
        {
            await foreach (var e in adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), Ct))
            {
                received.Add(e);
            }
        });

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.DoesNotContain(received, e => e is Completed);
    }

    [Fact]
    public async Task StreamAsync_StreamEndsWithoutDone_TransientNotTruncatedSuccess()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.EnqueueRaw(new RawResponse(200, "application/x-ndjson", ["""{"model":"m","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"half"},"done":false}""" + "\n"]));

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), Ct)));

        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
        Assert.Contains("done", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StreamAsync_MalformedLine_ProviderExceptionAfterGoodLines()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);
        server.EnqueueRaw(new RawResponse(200, "application/x-ndjson",
        [
            """{"model":"m","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"ok"},"done":false}""" + "\n" + "{\"model\":\"m\",\"mess<html>oops\n",
            """{"model":"m","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}""" + "\n",
        ]));

        var received = new List<StreamEvent>();
        var ex = await Assert.ThrowsAsync<ProviderException>(async () =>
        {
            await foreach (var e in adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), Ct))
            {
                received.Add(e);
            }
        });

        Assert.Equal("ok", string.Concat(received.OfType<ContentDelta>().Select(c => c.Text)));
        Assert.Contains("malformed", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ProviderErrorKind.Transient, ex.Kind);
    }

    [Fact]
    public async Task StreamAsync_Unscripted_ServerSays500NoScriptedResponse()
    {
        await using var server = await OllamaTestServer.StartAsync();
        await using var adapter = Adapter(server.InstanceBaseUrl);

        var ex = await Assert.ThrowsAsync<ProviderException>(() => CollectAsync(adapter.StreamAsync(ArtPrompt.FromUser("x"), Options(), Ct)));

        Assert.Contains("no scripted response", ex.Message, StringComparison.Ordinal);
    }
}
