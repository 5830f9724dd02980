using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Art.Testing.Servers;

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel, random port) for provider protocol fakes. It records every request,
/// notices client disconnects, and gives subclasses helpers to stream bodies with injected faults.
/// Only loopback is ever bound.
/// </summary>
public abstract class LoopbackServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly SemaphoreSlim _disconnectSignal = new(0);
    private WebApplication? _app;
    private int _disconnects;

    /// <summary>Base address, e.g. <c>http://127.0.0.1:54321</c> (no trailing slash).</summary>
    public Uri BaseUri { get; private set; } = new("http://127.0.0.1:0");

    /// <summary>Every request received, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    /// <summary>The last request received; throws when there was none.</summary>
    public RecordedRequest LastRequest => _requests.LastOrDefault() ?? throw new InvalidOperationException("The server has received no request.");

    /// <summary>How many requests ended because the client went away before the response was complete.</summary>
    public int ClientDisconnects => Volatile.Read(ref _disconnects);

    /// <summary>Starts the server on a free loopback port.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(o => o.AllowSynchronousIO = false);
        _app = builder.Build();
        _app.Run(HandleRequestAsync);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUri = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/'));
    }

    /// <summary>Waits until a client disconnect is observed (one per call); false on timeout.</summary>
    public Task<bool> WaitForClientDisconnectAsync(TimeSpan timeout) => _disconnectSignal.WaitAsync(timeout);

    /// <summary>Handles one recorded request. Write the response to <paramref name="context"/>.</summary>
    protected abstract Task HandleAsync(HttpContext context, RecordedRequest request);

    private async Task HandleRequestAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var recorded = new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.QueryString.Value ?? string.Empty, headers, body);
        _requests.Enqueue(recorded);
        try
        {
            await HandleAsync(context, recorded).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            NoteDisconnect();
        }
        catch (IOException) when (context.RequestAborted.IsCancellationRequested)
        {
            NoteDisconnect();
        }
        catch (ConnectionCutException)
        {
            // A scripted cut: the connection was aborted on purpose.
        }
    }

    private void NoteDisconnect()
    {
        Interlocked.Increment(ref _disconnects);
        _disconnectSignal.Release();
    }

    /// <summary>Sends a complete response (status, content type, body) after the fault plan's header delay.</summary>
    protected static async Task WriteResponseAsync(HttpContext context, int status, string contentType, string body, FaultPlan? faults = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (faults?.DelayBeforeHeaders is { } delay)
        {
            await Task.Delay(delay, context.RequestAborted).ConfigureAwait(false);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        await context.Response.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Streams <paramref name="chunks"/> one write and flush each, honouring the fault plan: delay before headers,
    /// delay between chunks, a connection cut after N chunks. Detects the client leaving.
    /// </summary>
    protected static async Task StreamChunksAsync(HttpContext context, int status, string contentType, IEnumerable<string> chunks, FaultPlan? faults = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.RequestAborted;
        if (faults?.DelayBeforeHeaders is { } delay)
        {
            await Task.Delay(delay, ct).ConfigureAwait(false);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.Headers.CacheControl = "no-cache";
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        await context.Response.StartAsync(ct).ConfigureAwait(false);
        var index = 0;
        foreach (var chunk in chunks)
        {
            if (faults?.CutAfterChunks is { } cut && index >= cut)
            {
                await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                context.Abort();
                throw new ConnectionCutException();
            }

            if (index > 0 && faults?.DelayBetweenChunks is { } between)
            {
                await Task.Delay(between, ct).ConfigureAwait(false);
            }

            await context.Response.WriteAsync(chunk, ct).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            index++;
        }

        if (faults?.HoldOpenAfterLastChunk is { } hold)
        {
            await Task.Delay(hold, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Replays recorded body bytes verbatim, split into the given segments (each flushed).</summary>
    protected static Task ReplayAsync(HttpContext context, RawResponse response, FaultPlan? faults = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        return StreamChunksAsync(context, response.StatusCode, response.ContentType, response.Segments, faults ?? response.Faults, response.Headers);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _disconnectSignal.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class ConnectionCutException : Exception
    {
    }
}

/// <summary>A request as the server received it.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The body parsed as JSON.</summary>
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>Faults a scripted response injects.</summary>
public sealed record FaultPlan
{
    /// <summary>Wait before sending status and headers (a silent provider).</summary>
    public TimeSpan? DelayBeforeHeaders { get; init; }

    /// <summary>Wait between body chunks (a slow or stalled stream).</summary>
    public TimeSpan? DelayBetweenChunks { get; init; }

    /// <summary>Abort the connection after this many chunks (a cut mid-stream).</summary>
    public int? CutAfterChunks { get; init; }

    /// <summary>Keep the response open after the last chunk (a stream that never ends).</summary>
    public TimeSpan? HoldOpenAfterLastChunk { get; init; }
}

/// <summary>A response replayed byte for byte (recorded traffic).</summary>
public sealed record RawResponse(int StatusCode, string ContentType, IReadOnlyList<string> Segments)
{
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public FaultPlan? Faults { get; init; }

    public static RawResponse Json(int status, string body) => new(status, "application/json", [body]);
}
