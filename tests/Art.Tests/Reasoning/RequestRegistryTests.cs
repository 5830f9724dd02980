using Art.Reasoning;

namespace Art.Tests.Reasoning;

public sealed class RequestRegistryTests
{
    [Fact]
    public void TryAbort_RegisteredId_CancelsTokenAndReportsAbort()
    {
        var registry = new RequestRegistry();
        using var registration = registry.Register("r1", TestContext.Current.CancellationToken);

        Assert.True(registry.TryAbort("r1"));
        Assert.True(registration.Token.IsCancellationRequested);
        Assert.True(registration.IsAborted);
    }

    [Fact]
    public void TryAbort_UnknownOrFinishedId_ReturnsFalse()
    {
        var registry = new RequestRegistry();
        var registration = registry.Register("r1", TestContext.Current.CancellationToken);
        registration.Dispose();

        Assert.False(registry.TryAbort("r1"));
        Assert.False(registry.TryAbort("other"));
        Assert.Equal(0, registry.Count);
        registration.Dispose();
    }

    [Fact]
    public void Register_DuplicateActiveId_ThrowsAndKeepsTheFirst()
    {
        var registry = new RequestRegistry();
        using var first = registry.Register("r1", TestContext.Current.CancellationToken);

        Assert.Throws<ArgumentException>(() => registry.Register("r1", TestContext.Current.CancellationToken));
        Assert.True(registry.IsActive("r1"));
        Assert.True(registry.TryAbort("r1"));
        Assert.True(first.Token.IsCancellationRequested);
    }

    [Fact]
    public void Register_AfterDispose_SameIdCanBeReused()
    {
        var registry = new RequestRegistry();
        registry.Register("r1", TestContext.Current.CancellationToken).Dispose();

        using var second = registry.Register("r1", TestContext.Current.CancellationToken);

        Assert.Equal(1, registry.Count);
        Assert.False(second.Token.IsCancellationRequested);
    }

    [Fact]
    public void Register_CallerTokenCancelled_CancelsRegistrationWithoutAbort()
    {
        var registry = new RequestRegistry();
        using var cts = new CancellationTokenSource();
        using var registration = registry.Register("r1", cts.Token);

        cts.Cancel();

        Assert.True(registration.Token.IsCancellationRequested);
        Assert.False(registration.IsAborted);
    }

    [Fact]
    public void AbortAll_TwoActiveOneFinished_CancelsTheActiveOnes()
    {
        var registry = new RequestRegistry();
        using var a = registry.Register("a", TestContext.Current.CancellationToken);
        using var b = registry.Register("b", TestContext.Current.CancellationToken);
        var finished = registry.Register("c", TestContext.Current.CancellationToken);
        finished.Dispose();

        Assert.Equal(2, registry.AbortAll());
        Assert.True(a.Token.IsCancellationRequested);
        Assert.True(b.IsAborted);
    }
}
