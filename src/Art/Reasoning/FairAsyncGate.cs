namespace Art.Reasoning;

/// <summary>
/// A first-in-first-out async semaphore with a timeout. <see cref="SemaphoreSlim"/> does not promise FIFO order, and
/// a local model host serves requests one at a time, so a caller that queued first must be served first. A released
/// slot is handed directly to the oldest waiter (never put back for a newcomer to grab). Timeouts run on the given
/// <see cref="TimeProvider"/> so tests can drive them with a fake clock.
/// </summary>
public sealed class FairAsyncGate
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly TimeProvider _time;
    private int _available;

    public FairAsyncGate(int width, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        Width = width;
        _available = width;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How many holders the gate admits at once.</summary>
    public int Width { get; }

    /// <summary>Free slots now.</summary>
    public int Available
    {
        get
        {
            lock (_lock)
            {
                return _available;
            }
        }
    }

    /// <summary>Callers waiting now.</summary>
    public int QueueLength
    {
        get
        {
            lock (_lock)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>
    /// Waits for a slot in arrival order. True = the slot is held (call <see cref="Release"/> once); false = the
    /// timeout passed first (<see cref="Timeout.InfiniteTimeSpan"/> waits forever, zero does not wait). Cancellation
    /// throws <see cref="OperationCanceledException"/> and removes only this caller from the queue.
    /// </summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "Timeout must be zero or positive, or infinite.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<bool>(cancellationToken);
        }

        Waiter waiter;
        lock (_lock)
        {
            if (_available > 0 && _waiters.Count == 0)
            {
                _available--;
                return Task.FromResult(true);
            }

            if (timeout == TimeSpan.Zero)
            {
                return Task.FromResult(false);
            }

            waiter = new Waiter();
            waiter.Node = _waiters.AddLast(waiter);
        }

        // Registered outside the lock: a callback that runs inline takes the lock itself.
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            waiter.SetTimer(_time.CreateTimer(static s => ((State)s!).Gate.TimeOut(((State)s!).Waiter), new State(this, waiter), timeout, Timeout.InfiniteTimeSpan));
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.SetRegistration(cancellationToken.Register(static s => ((State)s!).Gate.Cancel(((State)s!).Waiter, ((State)s!).Token), new State(this, waiter, cancellationToken)));
        }

        return waiter.Completion.Task;
    }

    /// <summary>Releases one slot: to the oldest waiter when there is one, otherwise back to the pool.</summary>
    public void Release()
    {
        Waiter? next;
        lock (_lock)
        {
            var first = _waiters.First;
            if (first is null)
            {
                if (_available >= Width)
                {
                    throw new InvalidOperationException("FairAsyncGate released more times than it was acquired.");
                }

                _available++;
                return;
            }

            _waiters.RemoveFirst();
            next = first.Value;
            next.Node = null;
        }

        next.Dispose();
        next.Completion.TrySetResult(true);
    }

    private void TimeOut(Waiter waiter)
    {
        if (TryRemove(waiter))
        {
            waiter.Dispose();
            waiter.Completion.TrySetResult(false);
        }
    }

    private void Cancel(Waiter waiter, CancellationToken token)
    {
        if (TryRemove(waiter))
        {
            waiter.Dispose();
            waiter.Completion.TrySetCanceled(token);
        }
    }

    /// <summary>Whoever removes the waiter from the queue decides its outcome; the others find it gone.</summary>
    private bool TryRemove(Waiter waiter)
    {
        lock (_lock)
        {
            if (waiter.Node is null)
            {
                return false;
            }

            _waiters.Remove(waiter.Node);
            waiter.Node = null;
            return true;
        }
    }

    private sealed record State(FairAsyncGate Gate, Waiter Waiter, CancellationToken Token = default);

    /// <summary>A queued caller; its timer and cancellation registration are disposed once, whoever finishes it.</summary>
    private sealed class Waiter : IDisposable
    {
        private readonly Lock _lock = new();
        private ITimer? _timer;
        private CancellationTokenRegistration _registration;
        private bool _disposed;

        public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Its place in the queue; null once it left (served, timed out or cancelled). Guarded by the gate's lock.</summary>
        public LinkedListNode<Waiter>? Node { get; set; }

        public void SetTimer(ITimer timer)
        {
            lock (_lock)
            {
                if (!_disposed)
                {
                    _timer = timer;
                    return;
                }
            }

            timer.Dispose();
        }

        public void SetRegistration(CancellationTokenRegistration registration)
        {
            lock (_lock)
            {
                if (!_disposed)
                {
                    _registration = registration;
                    return;
                }
            }

            registration.Dispose();
        }

        public void Dispose()
        {
            ITimer? timer;
            CancellationTokenRegistration registration;
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                timer = _timer;
                registration = _registration;
                _timer = null;
                _registration = default;
            }

            timer?.Dispose();
            registration.Dispose();
        }
    }
}
