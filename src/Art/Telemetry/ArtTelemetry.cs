using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Art.Reasoning;

namespace Art.Telemetry;

/// <summary>Telemetry switches.</summary>
public sealed record ArtTelemetryOptions
{
    /// <summary>
    /// Whether prompt and answer text may be put on spans (<c>gen_ai.input.messages</c>, <c>gen_ai.output.messages</c>).
    /// Off by default: prompts carry user data. Keys are never recorded, whatever this says.
    /// </summary>
    public bool EnableSensitiveData { get; init; }

    /// <summary>
    /// Whether metrics carry the thread id (<c>art.thread.id</c> on <c>art.cost</c>). Off by default: thread ids are
    /// unbounded, and a metric tag per thread explodes the number of time series. Spans always carry it
    /// (<c>gen_ai.conversation.id</c>), because traces are per request anyway.
    /// </summary>
    public bool IncludeThreadIdInMetrics { get; init; }
}

/// <summary>
/// ART's one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named <c>Art</c>, and the helpers the engine and
/// the agent call. Spans and metrics follow the OpenTelemetry GenAI semantic conventions (the same names MEAI's
/// <c>OpenTelemetryChatClient</c> uses), so dashboards built for MEAI work for ART; ART adds routing, fallback and cost.
/// </summary>
/// <remarks>
/// Subscribe with <c>AddSource("Art")</c> / <c>AddMeter("Art")</c>. Nothing here records prompt text unless
/// <see cref="ArtTelemetryOptions.EnableSensitiveData"/> is set, and nothing ever records an API key.
/// </remarks>
public sealed class ArtTelemetry
{
    /// <summary>Name of the activity source and of the meter.</summary>
    public const string Name = "Art";

    public static readonly ActivitySource ActivitySource = new(Name, typeof(ArtTelemetry).Assembly.GetName().Version?.ToString());

    public static readonly Meter Meter = new(Name, typeof(ArtTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    internal static readonly Histogram<double> OperationDuration = Meter.CreateHistogram(
        "gen_ai.client.operation.duration", "s", "Duration of GenAI client operations.", tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    internal static readonly Histogram<long> TokenUsage = Meter.CreateHistogram(
        "gen_ai.client.token.usage", "{token}", "Number of input and output tokens used.", tags: null,
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });

    internal static readonly Histogram<double> TimeToFirstChunk = Meter.CreateHistogram(
        "gen_ai.client.time_to_first_chunk", "s", "Time from the request to the first streamed chunk.", tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    internal static readonly Counter<long> RouteDecisions = Meter.CreateCounter<long>(
        "art.route.decisions", "{decision}", "Routing decisions, by the step of the routing order that decided.");

    internal static readonly Counter<long> Fallbacks = Meter.CreateCounter<long>(
        "art.fallbacks", "{fallback}", "Fallbacks from one instance to another, by reason.");

    internal static readonly Histogram<double> Cost = Meter.CreateHistogram<double>(
        "art.cost", "USD", "Cost of successful reasoning calls in USD (unknown prices are not recorded).");

    public ArtTelemetry(ArtTelemetryOptions? options = null, TimeProvider? timeProvider = null)
    {
        Options = options ?? new ArtTelemetryOptions();
        Time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Defaults: no sensitive data, no thread ids in metrics.</summary>
    public static ArtTelemetry Default { get; } = new();

    public ArtTelemetryOptions Options { get; }

    internal TimeProvider Time { get; }

    /// <summary>
    /// Starts one reasoning call (one attempt against one instance): a <c>chat {model}</c> client span and the duration
    /// metric recorded when the scope is disposed.
    /// </summary>
    public ChatCallScope StartChat(string providerName, string? requestModel, string? instanceId = null, string? threadId = null, string? requestId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(providerName);
        var activity = ActivitySource.StartActivity(requestModel is null ? "chat" : "chat " + requestModel, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(SemConv.OperationName, "chat");
            activity.SetTag(SemConv.ProviderName, providerName);
            activity.SetTag(SemConv.RequestModel, requestModel);
            activity.SetTag(SemConv.ConversationId, threadId);
            activity.SetTag(SemConv.ArtInstanceId, instanceId);
            activity.SetTag(SemConv.ArtRequestId, requestId);
        }

        return new ChatCallScope(this, activity, providerName, requestModel, instanceId);
    }

    /// <summary>Starts one agent turn: an <c>invoke_agent {name}</c> span.</summary>
    public AgentTurnScope StartAgentTurn(string agentName, string threadId, string traceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agentName);
        var activity = ActivitySource.StartActivity("invoke_agent " + agentName, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(SemConv.OperationName, "invoke_agent");
            activity.SetTag(SemConv.AgentName, agentName);
            activity.SetTag(SemConv.ConversationId, threadId);
            activity.SetTag(SemConv.ArtTraceId, traceId);
        }

        return new AgentTurnScope(this, activity);
    }

    /// <summary>Counts a routing decision under the step that decided (e.g. <c>thread</c>, <c>preferred</c>, <c>default</c>, <c>cheapest</c>).</summary>
    public void RecordRouteDecision(string step, string instanceId, string? modelId = null, string? threadId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(step);
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        RouteDecisions.Add(1, WithThread(new TagList
        {
            { SemConv.ArtRouteStep, step },
            { SemConv.ArtInstanceId, instanceId },
            { SemConv.RequestModel, modelId },
        }, threadId));
        Activity.Current?.AddEvent(new ActivityEvent("art.route.decision", tags: new ActivityTagsCollection
        {
            [SemConv.ArtRouteStep] = step,
            [SemConv.ArtInstanceId] = instanceId,
            [SemConv.RequestModel] = modelId,
        }));
    }

    /// <summary>Counts a fallback from one instance to the next, with the error kind that caused it.</summary>
    public void RecordFallback(string fromInstanceId, string? toInstanceId, ProviderErrorKind? reason, string? threadId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fromInstanceId);
        var reasonText = reason is null ? "other" : JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.Value.ToString());
        Fallbacks.Add(1, WithThread(new TagList
        {
            { "art.fallback.from", fromInstanceId },
            { "art.fallback.to", toInstanceId },
            { SemConv.ErrorType, reasonText },
        }, threadId));
        Activity.Current?.AddEvent(new ActivityEvent("art.fallback", tags: new ActivityTagsCollection
        {
            ["art.fallback.from"] = fromInstanceId,
            ["art.fallback.to"] = toInstanceId,
            [SemConv.ErrorType] = reasonText,
        }));
    }

    /// <summary>Records the USD cost of a settled call (the thread id only when <see cref="ArtTelemetryOptions.IncludeThreadIdInMetrics"/>).</summary>
    public void RecordCost(decimal cost, string providerName, string? instanceId, string? modelId, string? threadId = null)
    {
        Cost.Record((double)cost, WithThread(new TagList
        {
            { SemConv.ProviderName, providerName },
            { SemConv.ArtInstanceId, instanceId },
            { SemConv.ResponseModel, modelId },
        }, threadId));
    }

    private TagList WithThread(TagList tags, string? threadId)
    {
        if (Options.IncludeThreadIdInMetrics && threadId is not null)
        {
            tags.Add(SemConv.ArtThreadId, threadId);
        }

        return tags;
    }

    /// <summary>
    /// The routing step named by a <c>RouteDecision.Why</c> text (<c>call</c>, <c>thread</c>, <c>preferred</c>,
    /// <c>default</c>, <c>cheapest</c>): a bounded value for the <c>art.route.decisions</c> counter.
    /// </summary>
    public static string RouteStepOf(string? why)
    {
        if (string.IsNullOrEmpty(why))
        {
            return "unknown";
        }

        if (why.StartsWith("call ", StringComparison.Ordinal))
        {
            return "call";
        }

        if (why.StartsWith("thread ", StringComparison.Ordinal))
        {
            return "thread";
        }

        if (why.StartsWith("preferred ", StringComparison.Ordinal))
        {
            return "preferred";
        }

        return why.StartsWith("default ", StringComparison.Ordinal) ? "default" : "cheapest";
    }

    /// <summary>The <c>error.type</c> of an exception: the provider error kind when classified, else the exception type.</summary>
    public static string ErrorType(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            OperationCanceledException => "cancelled",
            ProviderException provider => JsonNamingPolicy.SnakeCaseLower.ConvertName(provider.Kind.ToString()),
            _ => exception.GetType().FullName ?? "_OTHER",
        };
    }

    /// <summary>Prompt messages as the semconv JSON shape (role + text parts); only used with sensitive data enabled.</summary>
    internal static string MessagesJson(ArtPrompt prompt) => JsonSerializer.Serialize(
        prompt.Messages.Select(m => new
        {
            role = m.Role.ToString().ToLowerInvariant(),
            parts = new[] { new { type = "text", content = m.Text ?? string.Empty } },
        }));
}

/// <summary>Attribute names used by ART's telemetry.</summary>
public static class SemConv
{
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string ResponseFinishReasons = "gen_ai.response.finish_reasons";
    public const string InputTokens = "gen_ai.usage.input_tokens";
    public const string OutputTokens = "gen_ai.usage.output_tokens";
    public const string TokenType = "gen_ai.token.type";
    public const string ConversationId = "gen_ai.conversation.id";
    public const string AgentName = "gen_ai.agent.name";
    public const string InputMessages = "gen_ai.input.messages";
    public const string OutputMessages = "gen_ai.output.messages";
    public const string ErrorType = "error.type";
    public const string ArtInstanceId = "art.instance.id";
    public const string ArtRequestId = "art.request.id";
    public const string ArtTraceId = "art.trace.id";
    public const string ArtThreadId = "art.thread.id";
    public const string ArtRouteStep = "art.route.step";
    public const string ArtCost = "art.cost";
    public const string ArtAgentStatus = "art.agent.status";
}
