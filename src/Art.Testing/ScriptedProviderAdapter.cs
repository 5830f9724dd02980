using System.Net;
using System.Runtime.CompilerServices;
using Art.Models;
using Art.Reasoning;

namespace Art.Testing;

/// <summary>A request a <see cref="ScriptedProviderAdapter"/> received: what the engine actually sent.</summary>
public sealed record ScriptedRequest(ArtPrompt Prompt, CallOptions Options, DateTimeOffset ReceivedAt);

/// <summary>
/// A deterministic provider for tests of code built on ART: it answers each request with the next
/// <see cref="ScriptedResponse"/> of its queue (thoughts, chunks, tool calls, usage, delays, classified failures before or
/// in the middle of the stream, hangs), records every request it received, and supports abort by request id.
/// No network, no randomness; delays run on the given <see cref="TimeProvider"/>.
/// </summary>
/// <example>
/// Registering it with ART (provider name <c>scripted</c>) and scripting a fallback:
/// <code>
/// var scripted = new ScriptedProviderFactory();
/// scripted.For("primary").Enqueue(ScriptedResponse.Failure(ProviderErrorKind.Auth));
/// scripted.For("backup").Enqueue(ScriptedResponse.Text("Hello", " world").Usage(10, 2));
/// // register `scripted` as an IProviderFactory and configure instances "primary" and "backup" with provider "scripted"
/// var response = await engine.CallAsync(ArtPrompt.FromUser("hi"), new CallOptions { ThreadId = "t1" });
/// Assert.Equal("backup", response.InstanceId);
/// Assert.Single(scripted.For("backup").Requests);
/// </code>
/// </example>
public sealed class ScriptedProviderAdapter : IProviderAdapter, IRequestAbort
{
    /// <summary>The provider type name of scripted instances.</summary>
    public const string DefaultProviderName = "scripted";

    private readonly Lock _gate = new();
    private readonly Queue<ScriptedResponse> _queue = new();
    private readonly List<ScriptedRequest> _requests = [];
    private readonly RequestRegistry _registry = new();
    private readonly TimeProvider _time;
    private IReadOnlyList<ProviderModelInfo> _models;
    private int _active;

    public ScriptedProviderAdapter(
        string instanceId,
        TimeProvider? timeProvider = null,
        IReadOnlyList<ProviderModelInfo>? models = null,
        string providerName = DefaultProviderName)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        ArgumentException.ThrowIfNullOrEmpty(providerName);
        InstanceId = instanceId;
        ProviderName = providerName;
        _time = timeProvider ?? TimeProvider.System;
        _models = models ?? [];
    }

    public string ProviderName { get; }

    public string InstanceId { get; }

    /// <summary>What <see cref="ListModelsAsync"/> returns; the first is the default model.</summary>
    public IReadOnlyList<ProviderModelInfo> Models
    {
        get
        {
            lock (_gate)
            {
                return _models;
            }
        }

        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (_gate)
            {
                _models = value;
            }
        }
    }

    /// <summary>Model named in completions when neither the request nor the script names one.</summary>
    public string DefaultModel
    {
        get
        {
            var models = Models;
            return models.Count > 0 ? models[0].Name : "scripted-model";
        }
    }

    /// <summary>Answer used when the queue is empty (e.g. for benchmarks); when null an empty queue is a test error.</summary>
    public ScriptedResponse? DefaultResponse { get; set; }

    /// <summary>Scripted responses not used yet.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Every request received so far, in order (a snapshot).</summary>
    public IReadOnlyList<ScriptedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Streams running now.</summary>
    public int ActiveStreams => Volatile.Read(ref _active);

    /// <summary>Adds responses to the end of the queue.</summary>
    public ScriptedProviderAdapter Enqueue(params ScriptedResponse[] responses)
    {
        ArgumentNullException.ThrowIfNull(responses);
        lock (_gate)
        {
            foreach (var response in responses)
            {
                ArgumentNullException.ThrowIfNull(response);
                _queue.Enqueue(response);
            }
        }

        return this;
    }

    /// <summary>Forgets recorded requests and queued responses.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _queue.Clear();
            _requests.Clear();
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<StreamEvent> StreamAsync(ArtPrompt prompt, CallOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        return RunAsync(prompt, options, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ProviderModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Models);

    /// <inheritdoc />
    public Task<bool> AbortRequestAsync(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        return Task.FromResult(_registry.TryAbort(requestId));
    }

    /// <summary>Nothing to release; the adapter stays usable (tests often reuse it).</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async IAsyncEnumerable<StreamEvent> RunAsync(ArtPrompt prompt, CallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The request counts as sent when the stream is enumerated, as an HTTP request would be.
        ScriptedResponse response;
        lock (_gate)
        {
            _requests.Add(new ScriptedRequest(prompt, options, _time.GetUtcNow()));
            if (!_queue.TryDequeue(out response!))
            {
                response = DefaultResponse ?? throw new InvalidOperationException(
                    $"Scripted instance '{InstanceId}' received request #{_requests.Count} but has no scripted response left. Enqueue one or set DefaultResponse.");
            }
        }

        using var registration = string.IsNullOrEmpty(options.RequestId) ? null : _registry.Register(options.RequestId, cancellationToken);
        var token = registration?.Token ?? cancellationToken;
        Interlocked.Increment(ref _active);
        try
        {
            var sawToolCall = false;
            foreach (var step in response.Steps)
            {
                token.ThrowIfCancellationRequested();
                switch (step)
                {
                    case ScriptedStep.Emit emit:
                        sawToolCall |= emit.Event is ToolCallRequested;
                        yield return emit.Event;
                        break;
                    case ScriptedStep.Wait wait:
                        await Task.Delay(wait.Duration, _time, token).ConfigureAwait(false);
                        break;
                    case ScriptedStep.Failure failure:
                        throw failure.ExceptionFactory?.Invoke() ?? new ProviderException(
                            failure.Kind,
                            failure.Message,
                            ProviderName,
                            InstanceId,
                            StatusFor(failure.Kind),
                            failure.RetryAfter);
                    case ScriptedStep.Hang:
                        await Task.Delay(Timeout.InfiniteTimeSpan, _time, token).ConfigureAwait(false);
                        break;
                    case ScriptedStep.Disconnect:
                        yield break;
                }
            }

            token.ThrowIfCancellationRequested();
            var reason = response.FinishReason ?? (sawToolCall ? FinishReason.ToolCalls : FinishReason.Stop);
            yield return new Completed(reason, InstanceId, response.Model ?? options.Model ?? DefaultModel);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private static HttpStatusCode? StatusFor(ProviderErrorKind kind) => kind switch
    {
        ProviderErrorKind.Transient => HttpStatusCode.ServiceUnavailable,
        ProviderErrorKind.RateLimited => HttpStatusCode.TooManyRequests,
        ProviderErrorKind.Auth => HttpStatusCode.Unauthorized,
        ProviderErrorKind.QuotaExceeded => HttpStatusCode.PaymentRequired,
        ProviderErrorKind.ModelNotFound => HttpStatusCode.NotFound,
        ProviderErrorKind.ContextLengthExceeded or ProviderErrorKind.ContentFilter or ProviderErrorKind.BadRequest => HttpStatusCode.BadRequest,
        _ => null,
    };
}
