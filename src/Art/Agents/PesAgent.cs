using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Art.Context;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Telemetry;
using Art.Tools;
using Art.UI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Agents;

/// <summary>Settings of the <see cref="PesAgent"/>.</summary>
public sealed record PesAgentOptions
{
    /// <summary>Name on the <c>invoke_agent</c> span.</summary>
    public string AgentName { get; init; } = "pes";

    /// <summary>Rounds of tool calls a turn may make (planning's calls count as the first); further requests are ignored.</summary>
    public int MaxToolIterations { get; init; } = 5;
}

/// <summary>
/// The Plan–Execute–Synthesize agent: persist the user's message, plan (native tool calls when the routed model has
/// tool use, else a JSON plan in text), run tools, synthesise the answer while streaming it, persist it.
/// </summary>
/// <remarks>
/// <para><b>Planning.</b> With tools enabled for the thread the planning call requires <c>[Reasoning, ToolUse]</c> and
/// offers the tools natively. When no model satisfies that (<see cref="RoutingException"/>), it degrades to a JSON plan
/// in text with <c>[Reasoning]</c>, then <c>[Text]</c>; the plan is read by <see cref="OutputParser"/>. A native answer
/// that carries no tool calls but a valid JSON plan naming enabled tools is honoured too (models of unknown tool
/// support often answer that way).</para>
/// <para><b>Tool loop.</b> On the native path the synthesis call still offers the tools (providers require tool
/// definitions when the prompt has tool calls); when it asks for more tools they run and synthesis is called again, up
/// to <see cref="PesAgentOptions.MaxToolIterations"/> rounds.</para>
/// <para><b>Failures.</b> Nothing but invalid arguments, an unknown thread and cancellation throws. Planning or
/// synthesis failure: <see cref="AgentStatus.Error"/> with the reason as message content (not persisted, so the next
/// turn's history holds no error text presented as the assistant's words); failed tools with a successful synthesis:
/// <see cref="AgentStatus.Partial"/>. The user message is persisted in every case.</para>
/// <para><b>Streaming.</b> Synthesis chunks and thoughts go to <see cref="AgentOptions.OnChunk"/>/<see cref="AgentOptions.OnThought"/>
/// and to the <see cref="LlmStreamSocket"/> (phase <c>synthesis</c>). Thoughts are observed once per phase (batched).</para>
/// </remarks>
public sealed class PesAgent : IAgentCore
{
    private const string PlanningPhase = "planning";
    private const string SynthesisPhase = "synthesis";

    private readonly IStateManager _state;
    private readonly IConversationManager _conversations;
    private readonly ToolRegistry _tools;
    private readonly ToolSystem _toolSystem;
    private readonly IReasoningEngine _engine;
    private readonly IObservationManager _observations;
    private readonly PromptManager _prompts;
    private readonly LlmStreamSocket? _llmStream;
    private readonly PesAgentOptions _options;
    private readonly ArtTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public PesAgent(
        IStateManager stateManager,
        IConversationManager conversationManager,
        ToolRegistry toolRegistry,
        ToolSystem toolSystem,
        IReasoningEngine reasoningEngine,
        IObservationManager observationManager,
        PromptManager? promptManager = null,
        LlmStreamSocket? llmStreamSocket = null,
        PesAgentOptions? options = null,
        ArtTelemetry? telemetry = null,
        TimeProvider? timeProvider = null,
        ILogger<PesAgent>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(stateManager);
        ArgumentNullException.ThrowIfNull(conversationManager);
        ArgumentNullException.ThrowIfNull(toolRegistry);
        ArgumentNullException.ThrowIfNull(toolSystem);
        ArgumentNullException.ThrowIfNull(reasoningEngine);
        ArgumentNullException.ThrowIfNull(observationManager);
        _state = stateManager;
        _conversations = conversationManager;
        _tools = toolRegistry;
        _toolSystem = toolSystem;
        _engine = reasoningEngine;
        _observations = observationManager;
        _prompts = promptManager ?? new PromptManager();
        _llmStream = llmStreamSocket;
        _options = options ?? new PesAgentOptions();
        if (_options.MaxToolIterations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxToolIterations, "MaxToolIterations must be at least 1.");
        }

        _telemetry = telemetry ?? ArtTelemetry.Default;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public async Task<AgentFinalResponse> ProcessAsync(AgentProps props, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentException.ThrowIfNullOrWhiteSpace(props.ThreadId, nameof(props));
        if (string.IsNullOrWhiteSpace(props.Query) && props.Images is not { Count: > 0 })
        {
            throw new ArgumentException("The query is empty.", nameof(props));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var turn = new Turn(props, props.TraceId ?? Guid.NewGuid().ToString("N"), _time.GetTimestamp());
        using var scope = _telemetry.StartAgentTurn(_options.AgentName, props.ThreadId, turn.TraceId);
        scope.SetInput(props.Query);
        try
        {
            var response = await RunAsync(turn, cancellationToken).ConfigureAwait(false);
            scope.SetResult(Status(response.Status), response.Metadata.Usage, response.Metadata.Cost, response.Metadata.ModelIds, response.Metadata.Error, response.Message.Content);
            return response;
        }
        catch (Exception ex) when (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            scope.Fail(ex);
            await TryObserveAsync(turn, ObservationType.Error, new { phase = turn.Phase, error = "cancelled" }).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex) when (ex is ArgumentException or ThreadNotFoundException)
        {
            scope.Fail(ex);
            throw;
        }
        catch (Exception ex)
        {
            // Anything else (storage, observation or socket failures outside the stages' own handling) is still a
            // failed turn, not an exception for the caller: the contract is Error with the reason.
            _logger.LogError(ex, "Agent turn failed in phase {Phase} on thread {ThreadId} (trace {TraceId})", turn.Phase, props.ThreadId, turn.TraceId);
            scope.Fail(ex);
            await TryObserveAsync(turn, ObservationType.Error, new { phase = turn.Phase, error = ex.Message, errorType = ArtTelemetry.ErrorType(ex) }).ConfigureAwait(false);
            var failed = Failed(turn, $"The {turn.Phase} stage failed: {ex.Message}");
            scope.SetResult(Status(failed.Status), failed.Metadata.Usage, failed.Metadata.Cost, failed.Metadata.ModelIds, failed.Metadata.Error, null);
            return failed;
        }
    }

    private async Task<AgentFinalResponse> RunAsync(Turn turn, CancellationToken cancellationToken)
    {
        var props = turn.Props;
        var threadId = props.ThreadId;

        // 1. Config (an unknown thread throws ThreadNotFoundException: an invalid argument, not a stage failure).
        var context = await _state.LoadThreadContextAsync(threadId, cancellationToken).ConfigureAwait(false);
        var config = context.Config;

        // 2. Persist the user's message first, so it is in history even when a stage fails.
        var userMessage = new ConversationMessage
        {
            MessageId = Guid.NewGuid().ToString("N"),
            ThreadId = threadId,
            Role = MessageRole.User,
            Content = props.Query ?? string.Empty,
            Timestamp = _time.GetUtcNow(),
            Metadata = Metadata(
                ("traceId", turn.TraceId),
                ("userId", props.UserId),
                ("sessionId", props.SessionId),
                ("images", props.Images?.Count ?? 0)),
        };
        await _conversations.AddMessagesAsync(threadId, [userMessage], cancellationToken).ConfigureAwait(false);

        // 3. History (the thread's limit, without this turn's message) and tools.
        var limit = config.HistoryLimit > 0 ? config.HistoryLimit : (int?)null;
        var loaded = await _conversations.GetMessagesAsync(threadId, new MessageQuery { Limit = limit + 1 }, cancellationToken).ConfigureAwait(false);
        var history = loaded.Where(m => m.MessageId != userMessage.MessageId).ToList();
        if (limit is { } l && history.Count > l)
        {
            history = history.Skip(history.Count - l).ToList();
        }

        var tools = await _tools.GetAvailableToolsAsync(threadId, cancellationToken).ConfigureAwait(false);
        var systemPrompt = _prompts.ResolveSystemPrompt(config.SystemPrompt, props.Options?.SystemPrompt);

        // 4. Planning.
        turn.Phase = PlanningPhase;
        var planning = await PlanAsync(turn, history, tools, systemPrompt, cancellationToken).ConfigureAwait(false);
        if (planning.Error is { } planningError)
        {
            await ObserveAsync(turn, ObservationType.Error, new { phase = PlanningPhase, error = planningError }, cancellationToken).ConfigureAwait(false);
            return Failed(turn, "Planning failed: " + planningError);
        }

        await ObserveAsync(turn, ObservationType.Intent, new { intent = planning.Intent }, cancellationToken).ConfigureAwait(false);
        await ObserveAsync(turn, ObservationType.Plan, new { plan = planning.Plan, rawOutput = planning.RawOutput, native = planning.Native, problem = planning.Problem }, cancellationToken).ConfigureAwait(false);
        await ObserveThoughtsAsync(turn, PlanningPhase, planning.Thoughts, cancellationToken).ConfigureAwait(false);

        // 5. Tools (first round from planning).
        var rounds = new List<ToolRound>();
        if (planning.ToolCalls.Count > 0)
        {
            turn.Phase = "tool_execution";
            rounds.Add(await RunToolsAsync(turn, planning.ToolCalls, planning.Native ? planning.RawOutput : null, planning.ThoughtBlocks, cancellationToken).ConfigureAwait(false));
        }

        // 6. Synthesis (native: may ask for more tools, bounded).
        turn.Phase = SynthesisPhase;
        string answer;
        ReasoningResponse? final = null;
        var synthesisRound = 0;
        while (true)
        {
            synthesisRound++;
            var offerTools = planning.Native && rounds.Count > 0;
            var prompt = _prompts.CreateSynthesisPrompt(new SynthesisPromptRequest
            {
                Query = props.Query ?? string.Empty,
                History = history,
                SystemPrompt = systemPrompt,
                Intent = planning.Intent,
                Plan = planning.Plan,
                ToolRounds = rounds,
                NativeTools = planning.Native,
                Images = props.Images,
            });
            var capabilities = WithVision(offerTools ? [ModelCapability.Text, ModelCapability.ToolUse] : [ModelCapability.Text], props);
            var thoughts = new StringBuilder();
            var requestId = RequestId(turn, synthesisRound == 1 ? SynthesisPhase : SynthesisPhase + "-" + synthesisRound.ToString(CultureInfo.InvariantCulture));
            ReasoningResponse response;
            try
            {
                response = await CallAsync(turn, prompt, capabilities, offerTools ? tools : null, requestId, SynthesisPhase, thoughts, stream: true, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!IsCancellation(ex, cancellationToken))
            {
                _logger.LogWarning(ex, "Synthesis failed on thread {ThreadId} (trace {TraceId})", props.ThreadId, turn.TraceId);
                await ObserveThoughtsAsync(turn, SynthesisPhase, thoughts.ToString(), cancellationToken).ConfigureAwait(false);
                await ObserveAsync(turn, ObservationType.Error, new { phase = SynthesisPhase, error = ex.Message, errorType = ArtTelemetry.ErrorType(ex) }, cancellationToken).ConfigureAwait(false);
                return Failed(turn, "Synthesis failed: " + ex.Message);
            }

            await ObserveThoughtsAsync(turn, SynthesisPhase, response.Thoughts, cancellationToken).ConfigureAwait(false);
            if (response.ToolCalls.Count > 0 && planning.Native && rounds.Count < _options.MaxToolIterations)
            {
                turn.Phase = "tool_execution";
                rounds.Add(await RunToolsAsync(turn, response.ToolCalls, response.Content, response.ThoughtBlocks, cancellationToken).ConfigureAwait(false));
                turn.Phase = SynthesisPhase;
                continue;
            }

            final = response;
            answer = OutputParser.ParseSynthesisOutput(response.Content);
            break;
        }

        await ObserveAsync(turn, ObservationType.Synthesis, new { rawOutput = final.Content, instanceId = final.InstanceId, modelId = final.ModelId }, cancellationToken).ConfigureAwait(false);
        if (answer.Length == 0)
        {
            var reason = final.ToolCalls.Count > 0
                ? $"the model kept asking for tools after {_options.MaxToolIterations} rounds"
                : "the model returned an empty answer";
            await ObserveAsync(turn, ObservationType.Error, new { phase = SynthesisPhase, error = reason }, cancellationToken).ConfigureAwait(false);
            return Failed(turn, "Synthesis failed: " + reason);
        }

        // 7. Finalisation.
        var failedTools = rounds.SelectMany(r => r.Results).Where(r => r.Status == ToolResultStatus.Error).ToList();
        var status = failedTools.Count > 0 ? AgentStatus.Partial : AgentStatus.Success;
        var error = failedTools.Count > 0
            ? "Tool execution errors occurred: " + string.Join("; ", failedTools.Select(f => $"{f.ToolName} ({f.CallId}): {f.Error}"))
            : null;
        var duration = _time.GetElapsedTime(turn.Started);
        var aiMessage = new ConversationMessage
        {
            MessageId = Guid.NewGuid().ToString("N"),
            ThreadId = props.ThreadId,
            Role = MessageRole.Assistant,
            Content = answer,
            Timestamp = _time.GetUtcNow(),
            Metadata = Metadata(
                ("traceId", turn.TraceId),
                ("instanceId", final.InstanceId),
                ("modelId", final.ModelId),
                ("toolCallIds", rounds.SelectMany(r => r.Calls).Select(c => c.Id).ToArray()),
                ("durationMs", (long)duration.TotalMilliseconds),
                ("cost", turn.Cost),
                ("costIsComplete", turn.CostIsComplete),
                ("inputTokens", turn.Usage.InputTokens),
                ("outputTokens", turn.Usage.OutputTokens),
                ("totalTokens", turn.Usage.TotalTokens),
                ("status", Status(status))),
        };
        await _conversations.AddMessagesAsync(props.ThreadId, [aiMessage], cancellationToken).ConfigureAwait(false);
        await ObserveAsync(turn, ObservationType.FinalResponse, new { message = aiMessage, status = Status(status) }, cancellationToken).ConfigureAwait(false);
        return new AgentFinalResponse { Status = status, Message = aiMessage, Metadata = turn.ToMetadata(status, duration, error) };
    }

    private async Task<PlanningOutcome> PlanAsync(Turn turn, List<ConversationMessage> history, IReadOnlyList<ToolSchema> tools, string systemPrompt, CancellationToken cancellationToken)
    {
        var props = turn.Props;

        // Attempts in order: native tools (when there are tools), then a JSON plan with [Reasoning], then with [Text].
        var attempts = new List<(bool Native, ModelCapability[] Capabilities)>();
        if (tools.Count > 0)
        {
            attempts.Add((true, [ModelCapability.Reasoning, ModelCapability.ToolUse]));
        }

        attempts.Add((false, [ModelCapability.Reasoning]));
        attempts.Add((false, [ModelCapability.Text]));

        Exception? last = null;
        for (var i = 0; i < attempts.Count; i++)
        {
            var (native, capabilities) = attempts[i];
            var prompt = _prompts.CreatePlanningPrompt(new PlanningPromptRequest
            {
                Query = props.Query ?? string.Empty,
                History = history,
                SystemPrompt = systemPrompt,
                Tools = tools,
                NativeTools = native,
                Images = props.Images,
            });
            var thoughts = new StringBuilder();
            ReasoningResponse response;
            try
            {
                response = await CallAsync(turn, prompt, WithVision(capabilities, props), native ? tools : null, RequestId(turn, i == 0 ? PlanningPhase : PlanningPhase + "-" + (i + 1).ToString(CultureInfo.InvariantCulture)), PlanningPhase, thoughts, stream: false, cancellationToken).ConfigureAwait(false);
            }
            catch (RoutingException ex) when (i < attempts.Count - 1)
            {
                turn.LlmCalls--; // refused by routing: no model was called
                // Degrade: no model fits these capabilities; try the next, weaker requirement.
                _logger.LogInformation("Planning with [{Capabilities}] cannot be routed on thread {ThreadId}: {Reason}; degrading", string.Join(", ", capabilities), props.ThreadId, ex.Message);
                last = ex;
                continue;
            }
            catch (Exception ex) when (!IsCancellation(ex, cancellationToken))
            {
                _logger.LogWarning(ex, "Planning failed on thread {ThreadId} (trace {TraceId})", props.ThreadId, turn.TraceId);
                return new PlanningOutcome { Error = ex.Message, Thoughts = thoughts.ToString() };
            }

            var raw = response.Content;
            // The response's thoughts, not the streamed ones: the engine drops thoughts of attempts that failed and were retried.
            var thoughtText = JoinThoughts(response.Thoughts, null);
            if (native && response.ToolCalls.Count > 0)
            {
                var visible = OutputParser.StripThinking(raw).Visible.Trim();
                return new PlanningOutcome
                {
                    Native = true,
                    Intent = visible.Length > 0 ? visible : null,
                    Plan = visible.Length > 0 ? visible : "Call " + string.Join(", ", response.ToolCalls.Select(c => c.Name)),
                    RawOutput = raw,
                    ToolCalls = response.ToolCalls,
                    Thoughts = thoughtText,
                    ThoughtBlocks = response.ThoughtBlocks,
                };
            }

            var parsed = OutputParser.ParsePlanningOutput(raw);
            var enabled = tools.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            var calls = parsed.ToolCalls;
            string? problem = parsed.Problem;
            if (native)
            {
                // A native answer without calls: honour a JSON plan only when it names enabled tools.
                if (calls.Count > 0 && !calls.All(c => enabled.Contains(c.Name)))
                {
                    calls = [];
                }

                problem = null;
            }

            var visibleText = OutputParser.StripThinking(raw).Visible.Trim();
            return new PlanningOutcome
            {
                // A JSON plan found on the native path runs as text-described results (the model never saw tool messages).
                Native = native && calls.Count == 0,
                Intent = parsed.Intent ?? (parsed.HasToolCallsSection ? null : NullIfEmpty(visibleText)),
                Plan = parsed.Plan ?? (parsed.HasToolCallsSection ? null : NullIfEmpty(visibleText)),
                RawOutput = raw,
                ToolCalls = calls,
                Problem = calls.Count == 0 && tools.Count > 0 ? problem : null,
                Thoughts = JoinThoughts(thoughtText, parsed.Thoughts),
                ThoughtBlocks = response.ThoughtBlocks,
            };
        }

        return new PlanningOutcome { Error = last?.Message ?? "No model could be routed for planning." };
    }

    private async Task<ToolRound> RunToolsAsync(Turn turn, IReadOnlyList<ToolCall> calls, string? assistantText, IReadOnlyList<ThoughtBlock> thoughts, CancellationToken cancellationToken)
    {
        await ObserveAsync(turn, ObservationType.ToolCall, new { toolCalls = calls }, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<ToolResult> results;
        try
        {
            results = await _toolSystem.ExecuteAsync(calls, turn.Props.ThreadId, turn.TraceId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!IsCancellation(ex, cancellationToken))
        {
            // The tool system turns tool failures into results; an exception here is the system itself failing.
            _logger.LogWarning(ex, "Tool execution failed on thread {ThreadId}", turn.Props.ThreadId);
            await ObserveAsync(turn, ObservationType.Error, new { phase = "tool_execution", error = ex.Message }, cancellationToken).ConfigureAwait(false);
            results = calls.Select(c => ToolResult.Failure(c.Id, c.Name, "Tool execution failed: " + ex.Message)).ToList();
        }

        turn.ToolCalls += results.Count;
        return new ToolRound(NullIfEmpty(OutputParser.StripThinking(assistantText ?? string.Empty).Visible.Trim()), calls, results) { Thoughts = thoughts };
    }

    private async Task<ReasoningResponse> CallAsync(
        Turn turn,
        ArtPrompt prompt,
        IReadOnlyList<ModelCapability> capabilities,
        IReadOnlyList<ToolSchema>? tools,
        string requestId,
        string phase,
        StringBuilder thoughts,
        bool stream,
        CancellationToken cancellationToken)
    {
        var props = turn.Props;
        var agentOptions = props.Options;
        var options = new CallOptions
        {
            ThreadId = props.ThreadId,
            TraceId = turn.TraceId,
            RequestId = requestId,
            UserId = props.UserId,
            SessionId = props.SessionId,
            RequiredCapabilities = capabilities,
            InstanceId = agentOptions?.InstanceId,
            Model = agentOptions?.Model,
            Parameters = agentOptions?.Parameters,
            Tools = tools is { Count: > 0 } ? tools : null,
            OnThought = text =>
            {
                thoughts.Append(text);
                Invoke(agentOptions?.OnThought, new AgentThought(phase, text));
                if (stream)
                {
                    Publish(turn, requestId, phase, new ThoughtDelta(text));
                }
            },
            OnChunk = !stream ? null : chunk =>
            {
                if (!chunk.IsFinal && chunk.Content.Length > 0)
                {
                    Publish(turn, requestId, phase, new ContentDelta(chunk.Content));
                }

                Invoke(agentOptions?.OnChunk, chunk);
            },
        };

        turn.LlmCalls++;
        var response = await _engine.CallAsync(prompt, options, cancellationToken).ConfigureAwait(false);
        turn.Add(response);
        if (stream)
        {
            foreach (var call in response.ToolCalls)
            {
                Publish(turn, requestId, phase, new ToolCallRequested(call), response);
            }

            Publish(turn, requestId, phase, new UsageReported(response.Usage), response);
            Publish(turn, requestId, phase, new Completed(response.FinishReason, response.InstanceId, response.ModelId), response);
        }

        return response;
    }

    private void Publish(Turn turn, string requestId, string phase, StreamEvent e, ReasoningResponse? response = null)
    {
        if (_llmStream is null)
        {
            return;
        }

        try
        {
            _llmStream.Notify(new LlmStreamEvent(turn.Props.ThreadId, turn.TraceId, requestId, e)
            {
                Phase = phase,
                InstanceId = response?.InstanceId,
                ModelId = response?.ModelId,
            });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "LLM stream socket notification failed");
        }
    }

    private void Invoke<T>(Action<T>? callback, T value)
    {
        if (callback is null)
        {
            return;
        }

        try
        {
            callback(value);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A caller's callback must not break the model stream; its failure is the caller's to see in logs.
            _logger.LogWarning(ex, "Agent callback threw");
        }
    }

    private AgentFinalResponse Failed(Turn turn, string reason)
    {
        var duration = _time.GetElapsedTime(turn.Started);
        var message = new ConversationMessage
        {
            MessageId = Guid.NewGuid().ToString("N"),
            ThreadId = turn.Props.ThreadId,
            Role = MessageRole.Assistant,
            Content = reason,
            Timestamp = _time.GetUtcNow(),
            Metadata = Metadata(("traceId", turn.TraceId), ("error", true), ("persisted", false)),
        };
        return new AgentFinalResponse { Status = AgentStatus.Error, Message = message, Metadata = turn.ToMetadata(AgentStatus.Error, duration, reason) };
    }

    private async Task ObserveThoughtsAsync(Turn turn, string phase, string? thoughts, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(thoughts))
        {
            await ObserveAsync(turn, ObservationType.Thoughts, new { phase, thought = thoughts }, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ObserveAsync<T>(Turn turn, ObservationType type, T content, CancellationToken cancellationToken) =>
        await _observations.RecordAsync(NewObservation.Create(type, content, turn.Props.ThreadId, turn.TraceId), cancellationToken).ConfigureAwait(false);

    private async Task TryObserveAsync<T>(Turn turn, ObservationType type, T content)
    {
        try
        {
            await _observations.RecordAsync(NewObservation.Create(type, content, turn.Props.ThreadId, turn.TraceId), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogWarning(ex, "Could not record the cancellation of trace {TraceId}", turn.TraceId);
        }
    }

    private static string RequestId(Turn turn, string suffix) => (turn.Props.Options?.RequestIdPrefix ?? turn.TraceId) + ":" + suffix;

    private static ModelCapability[] WithVision(ModelCapability[] capabilities, AgentProps props) =>
        props.Images is { Count: > 0 } ? [.. capabilities, ModelCapability.Vision] : capabilities;

    private static bool IsCancellation(Exception ex, CancellationToken cancellationToken) =>
        ex is OperationCanceledException && cancellationToken.IsCancellationRequested;

    private static string Status(AgentStatus status) => status switch
    {
        AgentStatus.Success => "success",
        AgentStatus.Partial => "partial",
        _ => "error",
    };

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private static string? JoinThoughts(string? first, string? second) =>
        (NullIfEmpty(first), NullIfEmpty(second)) switch
        {
            (null, null) => null,
            ({ } a, null) => a,
            (null, { } b) => b,
            ({ } a, { } b) => a + "\n" + b,
        };

    private static Dictionary<string, JsonElement> Metadata(params (string Key, object? Value)[] values)
    {
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            if (value is not null)
            {
                result[key] = ArtJson.ToElement(value);
            }
        }

        return result;
    }

    private sealed record PlanningOutcome
    {
        public bool Native { get; init; }

        public string? Intent { get; init; }

        public string? Plan { get; init; }

        public string? RawOutput { get; init; }

        public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];

        public string? Problem { get; init; }

        public string? Thoughts { get; init; }

        public IReadOnlyList<ThoughtBlock> ThoughtBlocks { get; init; } = [];

        public string? Error { get; init; }
    }

    /// <summary>Mutable tallies of one turn (driven by one async flow, so no locking).</summary>
    private sealed class Turn(AgentProps props, string traceId, long started)
    {
        private readonly List<string> _instances = [];
        private readonly List<string> _models = [];
        private decimal _knownCost;
        private bool _anyKnown;

        public AgentProps Props { get; } = props;

        public string TraceId { get; } = traceId;

        public long Started { get; } = started;

        public string Phase { get; set; } = "config";

        public int LlmCalls { get; set; }

        public int ToolCalls { get; set; }

        public TokenUsage Usage { get; private set; } = TokenUsage.Zero;

        public bool CostIsComplete { get; private set; } = true;

        public decimal? Cost => _anyKnown ? _knownCost : null;

        public void Add(ReasoningResponse response)
        {
            Usage = Usage.Add(response.Usage);
            if (response.Cost is { } cost)
            {
                _knownCost += cost;
                _anyKnown = true;
            }
            else
            {
                CostIsComplete = false;
            }

            if (!_instances.Contains(response.InstanceId, StringComparer.Ordinal))
            {
                _instances.Add(response.InstanceId);
            }

            if (!_models.Contains(response.ModelId, StringComparer.Ordinal))
            {
                _models.Add(response.ModelId);
            }
        }

        public ExecutionMetadata ToMetadata(AgentStatus status, TimeSpan duration, string? error) => new()
        {
            ThreadId = Props.ThreadId,
            TraceId = TraceId,
            Status = status,
            Duration = duration,
            LlmCalls = LlmCalls,
            ToolCalls = ToolCalls,
            Usage = Usage,
            Cost = Cost,
            CostIsComplete = CostIsComplete,
            InstanceIds = [.. _instances],
            ModelIds = [.. _models],
            Error = error,
        };
    }
}
