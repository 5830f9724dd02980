namespace Art.Reasoning;

/// <summary>
/// Base of the response-body guards adapters put between an SDK and the wire (NDJSON, SSE): a read-only,
/// non-seekable wrapper that owns the stream it reads from. Subclasses implement only the async read.
/// </summary>
public abstract class ForwardOnlyReadStream : Stream
{
    private const string NotSupportedMessage = "This stream is read-only and forward-only.";

    protected ForwardOnlyReadStream(Stream inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
    }

    /// <summary>The wrapped stream (disposed with this one).</summary>
    protected Stream Inner { get; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException(NotSupportedMessage);

    public override long Position
    {
        get => throw new NotSupportedException(NotSupportedMessage);
        set => throw new NotSupportedException(NotSupportedMessage);
    }

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException(NotSupportedMessage);

    public override void SetLength(long value) => throw new NotSupportedException(NotSupportedMessage);

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException(NotSupportedMessage);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
