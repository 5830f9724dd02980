using Art.Models;
using Microsoft.Extensions.Time.Testing;

namespace Art.Tests.Models;

public sealed class InstanceHealthTrackerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private InstanceHealthTracker Create() => new(_time, new CircuitBreakerOptions { FailureThreshold = 3, Cooldown = TimeSpan.FromSeconds(30), ProbeTimeout = TimeSpan.FromSeconds(60) });

    [Fact]
    public void Report_FailuresBelowThreshold_StayClosed_SuccessResetsCount()
    {
        var health = Create();
        health.Report("a", AttemptOutcome.TransientFailure, ProviderErrorKind.Transient);
        health.Report("a", AttemptOutcome.TransientFailure, ProviderErrorKind.Transient);
        health.Report("a", AttemptOutcome.Success);
        health.Report("a", AttemptOutcome.TransientFailure, ProviderErrorKind.RateLimited);
        health.Report("a", AttemptOutcome.TransientFailure, ProviderErrorKind.Transient);

        Assert.Equal(CircuitState.Closed, health.GetState("a"));
        Assert.True(health.IsAvailable("a"));
    }

    [Fact]
    public void Report_ThresholdReached_OpensUntilCooldown_ThenOneProbe()
    {
        var health = Create();
        for (var i = 0; i < 3; i++)
        {
            health.Report("a", AttemptOutcome.TransientFailure, ProviderErrorKind.Transient);
        }

        Assert.Equal(CircuitState.Open, health.GetState("a"));
        Assert.False(health.IsAvailable("a"));
        Assert.False(health.TryAcquire("a"));
        Assert.Equal(_time.GetUtcNow().AddSeconds(30), health.OpenUntil("a"));

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(health.IsAvailable("a"));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(CircuitState.HalfOpen, health.GetState("a"));
        Assert.True(health.IsAvailable("a"));
        Assert.True(health.TryAcquire("a"));
        Assert.False(health.TryAcquire("a"));
        Assert.False(health.IsAvailable("a"));

        health.Report("a", AttemptOutcome.Success);
        Assert.Equal(CircuitState.Closed, health.GetState("a"));
        Assert.True(health.TryAcquire("a"));
        Assert.True(health.TryAcquire("a"));
    }

    [Fact]
    public void Report_ProbeFails_ReopensForAnotherCooldown()
    {
        var health = Create();
        health.Report("a", AttemptOutcome.HardFailure, ProviderErrorKind.Auth);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(health.TryAcquire("a"));

        health.Report("a", AttemptOutcome.TransientFailure, ProviderErrorKind.Transient);
        Assert.Equal(CircuitState.Open, health.GetState("a"));
        Assert.Equal(_time.GetUtcNow().AddSeconds(30), health.OpenUntil("a"));
    }

    [Theory]
    [InlineData(ProviderErrorKind.Auth)]
    [InlineData(ProviderErrorKind.ModelNotFound)]
    [InlineData(ProviderErrorKind.QuotaExceeded)]
    public void Report_UnhealableError_OpensAtOnce(ProviderErrorKind kind)
    {
        var health = Create();
        health.Report("a", AttemptOutcome.HardFailure, kind);
        Assert.Equal(CircuitState.Open, health.GetState("a"));
        Assert.True(health.IsAvailable("b"));
    }

    [Theory]
    [InlineData(ProviderErrorKind.BadRequest)]
    [InlineData(ProviderErrorKind.ContentFilter)]
    [InlineData(ProviderErrorKind.ContextLengthExceeded)]
    [InlineData(ProviderErrorKind.Cancelled)]
    public void Report_RequestFaults_DoNotCountAgainstInstance(ProviderErrorKind kind)
    {
        var health = Create();
        for (var i = 0; i < 10; i++)
        {
            health.Report("a", AttemptOutcome.HardFailure, kind);
        }

        Assert.Equal(CircuitState.Closed, health.GetState("a"));
    }

    [Fact]
    public void TryAcquire_ProbeNeverReported_AnotherProbeAllowedAfterProbeTimeout()
    {
        var health = Create();
        health.Report("a", AttemptOutcome.HardFailure, ProviderErrorKind.Auth);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(health.TryAcquire("a"));
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.False(health.TryAcquire("a"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(health.TryAcquire("a"));
    }
}
