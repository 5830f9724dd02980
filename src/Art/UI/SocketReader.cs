using System.Threading.Channels;

namespace Art.UI;

/// <summary>
/// One async reader of a socket: a bounded buffer that drops the oldest event when full and counts the drops.
/// Dispose to unsubscribe.
/// </summary>
public sealed class SocketReader<TEvent> : IDisposable
{
    private readonly Channel<TEvent> _channel;
    private long _dropped;

    internal SocketReader(int capacity)
    {
        _channel = Channel.CreateBounded<TEvent>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = false, SingleWriter = false },
            _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>Events dropped because this reader fell behind by more than its capacity.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    internal IDisposable? Registration { get; set; }

    /// <summary>Buffered and future events until disposed or cancelled.</summary>
    public IAsyncEnumerable<TEvent> ReadAllAsync(CancellationToken cancellationToken = default) => _channel.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Takes one buffered event without waiting.</summary>
    public bool TryRead(out TEvent? e) => _channel.Reader.TryRead(out e);

    public void Dispose() => Registration?.Dispose();

    internal void Write(TEvent e) => _channel.Writer.TryWrite(e);

    internal void Complete() => _channel.Writer.TryComplete();
}
