using Art.Reasoning;
using Microsoft.Extensions.Time.Testing;

namespace Art.Tests.Reasoning;

public sealed class FairAsyncGateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Release_WithWaiter_HandsSlotToWaiterNotToNewcomer()
    {
        var gate = new FairAsyncGate(1);
        Assert.True(await gate.WaitAsync(Timeout.InfiniteTimeSpan, Ct));
        var queued = gate.WaitAsync(Timeout.InfiniteTimeSpan, Ct);
        Assert.Equal(1, gate.QueueLength);

        gate.Release();

        Assert.False(await gate.WaitAsync(TimeSpan.Zero, Ct));
        Assert.True(await queued.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.Equal(0, gate.Available);
        gate.Release();
        Assert.Equal(1, gate.Available);
        Assert.Throws<InvalidOperationException>(gate.Release);
    }

    [Fact]
    public async Task WaitAsync_Timeout_RemovesWaiterAndLaterWaiterStillServed()
    {
        var time = new FakeTimeProvider();
        var gate = new FairAsyncGate(1, time);
        Assert.True(await gate.WaitAsync(TimeSpan.FromSeconds(1), Ct));
        var timesOut = gate.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        var patient = gate.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(await timesOut.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.Equal(1, gate.QueueLength);

        gate.Release();
        Assert.True(await patient.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        time.Advance(TimeSpan.FromSeconds(120));
        Assert.Equal(0, gate.Available);
        Assert.Equal(0, gate.QueueLength);
    }

    [Fact]
    public void Constructor_WidthBelowOne_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FairAsyncGate(0));
}
