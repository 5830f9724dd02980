namespace Art.Hosting;

/// <summary>
/// Builds the container's <see cref="ArtInstance"/> once, on first use, without blocking a thread: the async way to
/// get it from DI. A failed build is not cached, so a fixed configuration can be retried.
/// </summary>
public sealed class ArtInstanceAccessor : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<ArtInstance>> _build;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ArtInstance? _instance;

    public ArtInstanceAccessor(Func<CancellationToken, Task<ArtInstance>> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        _build = build;
    }

    public async Task<ArtInstance> GetAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _instance) is { } ready)
        {
            return ready;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _instance ??= await _build(cancellationToken).ConfigureAwait(false);
            return _instance;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _instance, null) is { } instance)
        {
            await instance.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }
}
