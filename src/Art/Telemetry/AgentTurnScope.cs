using System.Diagnostics;
using Art.Reasoning;

namespace Art.Telemetry;

/// <summary>One agent turn in flight: the <c>invoke_agent</c> span.</summary>
public sealed class AgentTurnScope : IDisposable
{
    private readonly ArtTelemetry _telemetry;

    internal AgentTurnScope(ArtTelemetry telemetry, Activity? activity)
    {
        _telemetry = telemetry;
        Activity = activity;
    }

    public Activity? Activity { get; }

    /// <summary>Puts the user's query on the span, only when sensitive data is enabled.</summary>
    public void SetInput(string query)
    {
        if (_telemetry.Options.EnableSensitiveData && Activity is { IsAllDataRequested: true })
        {
            Activity.SetTag(SemConv.InputMessages, System.Text.Json.JsonSerializer.Serialize(new[]
            {
                new { role = "user", parts = new[] { new { type = "text", content = query } } },
            }));
        }
    }

    /// <summary>Records the outcome: status, summed usage and cost, the models that answered, and the answer when allowed.</summary>
    public void SetResult(string status, TokenUsage usage, decimal? cost, IReadOnlyList<string> modelIds, string? error, string? answer)
    {
        ArgumentNullException.ThrowIfNull(usage);
        if (Activity is null)
        {
            return;
        }

        Activity.SetTag(SemConv.ArtAgentStatus, status);
        Activity.SetTag(SemConv.InputTokens, usage.InputTokens);
        Activity.SetTag(SemConv.OutputTokens, usage.OutputTokens);
        if (cost is { } c)
        {
            Activity.SetTag(SemConv.ArtCost, (double)c);
        }

        if (modelIds.Count > 0)
        {
            Activity.SetTag(SemConv.ResponseModel, modelIds[^1]);
        }

        if (error is not null)
        {
            Activity.SetTag(SemConv.ErrorType, "agent_" + status);
            Activity.SetStatus(ActivityStatusCode.Error, _telemetry.Options.EnableSensitiveData ? error : status);
        }

        if (_telemetry.Options.EnableSensitiveData && answer is not null)
        {
            Activity.SetTag(SemConv.OutputMessages, System.Text.Json.JsonSerializer.Serialize(new[]
            {
                new { role = "assistant", parts = new[] { new { type = "text", content = answer } } },
            }));
        }
    }

    /// <summary>Marks the turn cancelled or failed by an exception.</summary>
    public void Fail(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Activity?.SetTag(SemConv.ErrorType, ArtTelemetry.ErrorType(exception));
        Activity?.SetStatus(ActivityStatusCode.Error, ArtTelemetry.ErrorType(exception));
    }

    public void Dispose() => Activity?.Dispose();
}
