namespace Art.Reasoning;

/// <summary>One registered request; dispose it when the request ends (unregisters the id exactly once).</summary>
public sealed class RequestRegistration : IDisposable
{
    private readonly RequestRegistry _owner;
    private readonly CancellationTokenSource _source;
    private readonly Lock _gate = new();
    private bool _disposed;
    private bool _aborted;

    internal RequestRegistration(RequestRegistry owner, string requestId, CancellationToken cancellationToken)
    {
        _owner = owner;
        RequestId = requestId;
        _source = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
            : new CancellationTokenSource();
        Token = _source.Token;
    }

    public string RequestId { get; }

    /// <summary>Cancelled when the request is aborted by id or its caller's token is cancelled.</summary>
    public CancellationToken Token { get; }

    /// <summary>Whether the request was aborted by id (as opposed to the caller's own token).</summary>
    public bool IsAborted
    {
        get
        {
            lock (_gate)
            {
                return _aborted;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _owner.Unregister(this);
        _source.Dispose();
    }

    internal bool Abort()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            _aborted = true;
        }

        // Cancel outside the lock: callbacks registered on the token run synchronously here.
        try
        {
            _source.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the check and the cancel: the request had just finished.
            return false;
        }
    }

    internal void DisposeSource() => _source.Dispose();
}
