using System.Diagnostics;
using System.Diagnostics.Metrics;
using Art.Reasoning;

namespace Art.Telemetry;

/// <summary>
/// One reasoning call in flight: its span, time to first chunk, and on dispose the duration and token metrics.
/// Not thread-safe (one call is driven by one consumer).
/// </summary>
public sealed class ChatCallScope : IDisposable
{
    private readonly ArtTelemetry _telemetry;
    private readonly string _provider;
    private readonly string? _requestModel;
    private readonly long _started;
    private string? _responseModel;
    private string? _errorType;
    private bool _sawChunk;
    private bool _disposed;

    internal ChatCallScope(ArtTelemetry telemetry, Activity? activity, string provider, string? requestModel, string? instanceId)
    {
        _telemetry = telemetry;
        Activity = activity;
        _provider = provider;
        _requestModel = requestModel;
        InstanceId = instanceId;
        _started = telemetry.Time.GetTimestamp();
    }

    /// <summary>The span, when someone listens.</summary>
    public Activity? Activity { get; }

    public string? InstanceId { get; }

    /// <summary>Puts the prompt on the span, only when sensitive data is enabled.</summary>
    public void SetInput(ArtPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (_telemetry.Options.EnableSensitiveData && Activity is { IsAllDataRequested: true })
        {
            Activity.SetTag(SemConv.InputMessages, ArtTelemetry.MessagesJson(prompt));
        }
    }

    /// <summary>Call on every streamed event; the first one records <c>gen_ai.client.time_to_first_chunk</c>.</summary>
    public void OnChunk()
    {
        if (_sawChunk)
        {
            return;
        }

        _sawChunk = true;
        TimeToFirstChunk.Record(_telemetry.Time.GetElapsedTime(_started).TotalSeconds, BaseTags());
    }

    /// <summary>Records the response: model, finish reason, usage (span attributes and the token metric), answer text when allowed.</summary>
    public void SetResponse(string? responseModel, FinishReason? finishReason, TokenUsage? usage, string? answerText = null)
    {
        _responseModel = responseModel;
        if (Activity is { IsAllDataRequested: true })
        {
            Activity.SetTag(SemConv.ResponseModel, responseModel);
            if (finishReason is { } reason)
            {
                Activity.SetTag(SemConv.ResponseFinishReasons, new[] { ToSemConv(reason) });
            }

            if (usage is not null)
            {
                Activity.SetTag(SemConv.InputTokens, usage.InputTokens);
                Activity.SetTag(SemConv.OutputTokens, usage.OutputTokens);
            }

            if (_telemetry.Options.EnableSensitiveData && answerText is not null)
            {
                Activity.SetTag(SemConv.OutputMessages, System.Text.Json.JsonSerializer.Serialize(new[]
                {
                    new { role = "assistant", parts = new[] { new { type = "text", content = answerText } } },
                }));
            }
        }

        if (usage is not null)
        {
            var input = BaseTags();
            input.Add(SemConv.TokenType, "input");
            ArtTelemetry.TokenUsage.Record(usage.InputTokens, input);
            var output = BaseTags();
            output.Add(SemConv.TokenType, "output");
            ArtTelemetry.TokenUsage.Record(usage.OutputTokens, output);
        }
    }

    /// <summary>Marks the call failed (<c>error.type</c> on span and duration metric). The message goes on the span status only for ART's own, key-free exceptions.</summary>
    public void Fail(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        _errorType = ArtTelemetry.ErrorType(exception);
        if (Activity is not null)
        {
            Activity.SetTag(SemConv.ErrorType, _errorType);
            Activity.SetStatus(ActivityStatusCode.Error, exception is ArtException ? exception.Message : _errorType);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var tags = BaseTags();
        if (_errorType is not null)
        {
            tags.Add(SemConv.ErrorType, _errorType);
        }

        ArtTelemetry.OperationDuration.Record(_telemetry.Time.GetElapsedTime(_started).TotalSeconds, tags);
        Activity?.Dispose();
    }

    private static Histogram<double> TimeToFirstChunk => ArtTelemetry.TimeToFirstChunk;

    private TagList BaseTags()
    {
        var tags = new TagList
        {
            { SemConv.OperationName, "chat" },
            { SemConv.ProviderName, _provider },
        };
        if (_requestModel is not null)
        {
            tags.Add(SemConv.RequestModel, _requestModel);
        }

        if (_responseModel is not null)
        {
            tags.Add(SemConv.ResponseModel, _responseModel);
        }

        return tags;
    }

    private static string ToSemConv(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        FinishReason.ToolCalls => "tool_calls",
        FinishReason.ContentFilter => "content_filter",
        _ => "other",
    };
}
