using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.UI;

/// <summary>
/// A typed event channel to UIs. Each socket owns its filter predicate (<see cref="Matches"/>) and applies it on every
/// <see cref="Notify"/> (upstream only applied filters on a notify path nobody called). Delivery rules:
/// <list type="bullet">
/// <item>a subscriber with a thread id receives only events notified for that thread; one without receives all;</item>
/// <item>a null filter receives every event;</item>
/// <item>subscribers are snapshotted (copy-on-write), so callbacks never run under a lock and may (un)subscribe freely;</item>
/// <item>a throwing callback is logged and skipped; the others and the caller carry on;</item>
/// <item>async readers get a bounded channel that drops the <b>oldest</b> event when full (a UI wants the latest state;
/// the producer never waits), and count what they dropped in <see cref="SocketReader{TEvent}.DroppedCount"/>.</item>
/// </list>
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
/// <typeparam name="TFilter">The subscription filter (a set of kinds; null = everything).</typeparam>
public abstract class TypedSocket<TEvent, TFilter>
{
    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private Subscription[] _subscriptions = [];

    protected TypedSocket(ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Current number of callbacks and open readers.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscriptions).Length;

    /// <summary>Calls <paramref name="callback"/> for every matching event until the returned handle is disposed (idempotent).</summary>
    public IDisposable Subscribe(Action<TEvent> callback, TFilter? filter = default, string? threadId = null)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return Add(new Subscription(this, filter, threadId, callback, null));
    }

    /// <summary>
    /// Opens a reader now (events notified from this moment on are buffered, up to <paramref name="capacity"/>).
    /// Use it when the caller needs the drop count or must not miss events before it starts enumerating.
    /// </summary>
    public SocketReader<TEvent> OpenReader(TFilter? filter = default, string? threadId = null, int capacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var reader = new SocketReader<TEvent>(capacity);
        reader.Registration = Add(new Subscription(this, filter, threadId, null, reader));
        return reader;
    }

    /// <summary>
    /// Matching events as an async stream (for SSE endpoints), until <paramref name="cancellationToken"/> is cancelled.
    /// The reader registers when enumeration starts; for an exact drop count use <see cref="OpenReader"/>.
    /// </summary>
    public async IAsyncEnumerable<TEvent> ReadAllAsync(TFilter? filter = default, string? threadId = null, int capacity = 256, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var reader = OpenReader(filter, threadId, capacity);
        await foreach (var e in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return e;
        }
    }

    /// <summary>
    /// Delivers <paramref name="e"/> to every matching subscriber. Never throws for a subscriber's failure and never
    /// waits for a reader.
    /// </summary>
    public void Notify(TEvent e, string? targetThreadId = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        foreach (var s in Volatile.Read(ref _subscriptions))
        {
            if (s.ThreadId is not null && !string.Equals(s.ThreadId, targetThreadId, StringComparison.Ordinal))
            {
                continue;
            }

            bool matches;
            try
            {
                matches = s.Filter is null || Matches(e, s.Filter);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "{Socket} filter failed; event skipped for one subscriber", GetType().Name);
                continue;
            }

            if (!matches)
            {
                continue;
            }

            if (s.Reader is { } reader)
            {
                reader.Write(e);
                continue;
            }

            try
            {
                s.Callback!(e);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "{Socket} subscriber threw; other subscribers still receive the event", GetType().Name);
            }
        }
    }

    /// <summary>Stored events matching the filter (oldest first, at most the most recent <paramref name="limit"/>); empty when the socket has no storage.</summary>
    public virtual Task<IReadOnlyList<TEvent>> GetHistoryAsync(TFilter? filter = default, string? threadId = null, int? limit = null, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<TEvent>>([]);

    /// <summary>Removes every callback and completes every reader.</summary>
    public void ClearAllSubscriptions()
    {
        Subscription[] old;
        lock (_gate)
        {
            old = _subscriptions;
            Volatile.Write(ref _subscriptions, []);
        }

        foreach (var s in old)
        {
            s.Reader?.Complete();
        }
    }

    /// <summary>Whether <paramref name="e"/> passes a subscriber's non-null <paramref name="filter"/>.</summary>
    protected abstract bool Matches(TEvent e, TFilter filter);

    private Subscription Add(Subscription s)
    {
        lock (_gate)
        {
            Volatile.Write(ref _subscriptions, [.. _subscriptions, s]);
        }

        return s;
    }

    private void Remove(Subscription s)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_subscriptions, s);
            if (index < 0)
            {
                return;
            }

            var next = new Subscription[_subscriptions.Length - 1];
            Array.Copy(_subscriptions, 0, next, 0, index);
            Array.Copy(_subscriptions, index + 1, next, index, _subscriptions.Length - index - 1);
            Volatile.Write(ref _subscriptions, next);
        }

        s.Reader?.Complete();
    }

    private sealed class Subscription(TypedSocket<TEvent, TFilter> owner, TFilter? filter, string? threadId, Action<TEvent>? callback, SocketReader<TEvent>? reader) : IDisposable
    {
        private int _disposed;

        public TFilter? Filter { get; } = filter;

        public string? ThreadId { get; } = threadId;

        public Action<TEvent>? Callback { get; } = callback;

        public SocketReader<TEvent>? Reader { get; } = reader;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Remove(this);
            }
        }
    }
}
