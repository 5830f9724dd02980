using System.Collections.Concurrent;

namespace Art.Reasoning;

/// <summary>
/// Maps request ids of in-flight calls to cancellation sources so a call can be aborted by id from anywhere
/// (a UI's stop button, another thread, an HTTP endpoint). The engine uses one; adapters implementing
/// <see cref="IRequestAbort"/> can reuse the same type for their own HTTP requests, so no adapter needs a temporary
/// client per request (the upstream Ollama workaround).
/// </summary>
/// <remarks>
/// Thread-safe. A registration is removed when its handle is disposed; aborting an id that is unknown or already
/// finished returns false. Only one active registration per id exists at a time, because an id that named two calls
/// could not say which one to stop.
/// </remarks>
public sealed class RequestRegistry
{
    private readonly ConcurrentDictionary<string, RequestRegistration> _active = new(StringComparer.Ordinal);

    /// <summary>Number of requests registered now.</summary>
    public int Count => _active.Count;

    /// <summary>
    /// Registers <paramref name="requestId"/>. The returned handle's <see cref="RequestRegistration.Token"/> is cancelled
    /// by <see cref="TryAbort"/> or by <paramref name="cancellationToken"/>; disposing the handle unregisters the id.
    /// </summary>
    /// <exception cref="ArgumentException">Another call with the same id is still registered.</exception>
    public RequestRegistration Register(string requestId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        var registration = new RequestRegistration(this, requestId, cancellationToken);
        if (!_active.TryAdd(requestId, registration))
        {
            registration.DisposeSource();
            throw new ArgumentException($"A request with id '{requestId}' is already running; request ids must be unique among running calls.", nameof(requestId));
        }

        return registration;
    }

    /// <summary>Cancels the request registered under <paramref name="requestId"/>; false when no such request is running.</summary>
    public bool TryAbort(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        return _active.TryGetValue(requestId, out var registration) && registration.Abort();
    }

    /// <summary>Cancels every registered request (an owner shutting down); returns how many were cancelled.</summary>
    public int AbortAll()
    {
        var aborted = 0;
        foreach (var registration in _active.Values)
        {
            if (registration.Abort())
            {
                aborted++;
            }
        }

        return aborted;
    }

    /// <summary>Whether a request with this id is registered now.</summary>
    public bool IsActive(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        return _active.ContainsKey(requestId);
    }

    internal void Unregister(RequestRegistration registration) =>
        _active.TryRemove(new KeyValuePair<string, RequestRegistration>(registration.RequestId, registration));
}
