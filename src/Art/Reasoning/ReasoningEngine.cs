using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Observation;
using Art.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Reasoning;

/// <summary>
/// Routed, budgeted, observed LLM calls (ARCHITECTURE §3): load the thread, decide the capabilities, route, then for
/// each target reserve budget, take an instance lease and stream from the adapter, retrying and falling back on
/// classified errors <em>before the first answer content only</em>, and settle the cost on every path.
/// </summary>
/// <remarks>
/// <para><b>Retry and fallback rules</b> (per failed attempt, before the first <see cref="ContentDelta"/> or
/// <see cref="ToolCallRequested"/> was yielded):</para>
/// <list type="bullet">
/// <item><see cref="ProviderErrorKind.Transient"/> / <see cref="ProviderErrorKind.RateLimited"/> (and the engine's own
/// first-token, idle and attempt timeouts, which count as transient): retry the same target up to
/// <see cref="ReasoningEngineOptions.MaxRetriesPerInstance"/> times, waiting the provider's Retry-After when it gave one,
/// else a jittered exponential backoff; a Retry-After longer than <see cref="ReasoningEngineOptions.RetryAfterCap"/> is
/// not waited for: the engine falls back at once. Retries exhausted: fall back. Reported as
/// <see cref="AttemptOutcome.TransientFailure"/>.</item>
/// <item><see cref="ProviderErrorKind.Auth"/>, <see cref="ProviderErrorKind.QuotaExceeded"/>,
/// <see cref="ProviderErrorKind.ModelNotFound"/>: fall back at once; reported as <see cref="AttemptOutcome.HardFailure"/>.</item>
/// <item><see cref="ProviderErrorKind.ContextLengthExceeded"/>: fall back only to targets whose context window is
/// larger than the failed one's (its registry window, else the prompt estimate + max output); when a remaining
/// fallback's window is unknown the router is asked again with <see cref="RoutingRequest.MinContextWindow"/>. Not
/// counted against the instance (it is healthy).</item>
/// <item><see cref="ProviderErrorKind.ContentFilter"/>, <see cref="ProviderErrorKind.BadRequest"/>: no fallback; the
/// provider's exception is rethrown unchanged.</item>
/// <item>Cancellation (caller token, <see cref="AbortAsync"/>, <see cref="ProviderErrorKind.Cancelled"/>): stop at
/// once and throw <see cref="OperationCanceledException"/> (or the provider's Cancelled error).</item>
/// <item>Exceptions an adapter did not classify (not a <see cref="ProviderException"/>): <see cref="HttpRequestException"/>,
/// <see cref="IOException"/> and <see cref="TimeoutException"/> count as transient; anything else is a bug and is
/// rethrown without retry or fallback.</item>
/// <item>Before a target is called, a <see cref="BudgetExceededException"/> for the primary is thrown at once (nothing
/// was sent); for a fallback the target is skipped. A lease that cannot be had (<see cref="LocalInstanceBusyException"/>,
/// <see cref="ApiQueueTimeoutException"/>) skips the target. Skipped targets are not attempts.</item>
/// <item>Half-open probes: the router hands a recovering instance's single probe to a decision's primary. When that
/// target ends without a counted outcome (request-side error, budget or lease skip, cancellation, early disposal) the
/// engine reports it with that kind (or <see cref="ProviderErrorKind.Cancelled"/>), which the breaker does not count
/// but which gives the probe back, so the instance is not left unavailable until the probe timeout.</item>
/// <item>When every target failed the <em>last provider error</em> is rethrown unchanged (so callers can still react
/// to its kind, e.g. a 429), after MODEL_FALLBACK_FAILED listing every attempt.</item>
/// </list>
/// <para><b>After the first content or tool-call event</b> any failure (exception, timeout, a stream that ends without
/// <see cref="Completed"/>) raises <see cref="StreamInterruptedException"/> with the partial answer; never a fallback,
/// never a truncated success. Cancellation stays an <see cref="OperationCanceledException"/>.</para>
/// <para><b>Thoughts</b> pass straight through before the answer starts. When an attempt that already yielded
/// thoughts fails and another attempt follows, the engine yields <see cref="AttemptRestarted"/> so consumers discard
/// them (<see cref="CallAsync"/> does).</para>
/// <para><b>Observations</b>: MODEL_ROUTE_DECISION once per call; MODEL_FALLBACK_ATTEMPT once for every failed attempt
/// that is followed by another attempt (a retry or a fallback), recorded before the backoff; then, for every call that
/// made more than one attempt, exactly one MODEL_FALLBACK_SUCCESS (content says whether a fallback, not the primary,
/// answered) or MODEL_FALLBACK_FAILED; MODEL_FALLBACK_FAILED is also recorded when the targets ran out after a single
/// attempt. Cancelled calls record neither. Each observation becomes one ModelEvent. Nothing is recorded per chunk.
/// A MODEL_FALLBACK_ATTEMPT names the <em>next</em> target in its InstanceId/ModelId (what the UI shows as "trying
/// X") and the failed attempt in <c>content.failed</c>. <see cref="ReasoningEngineOptions.MaxFallbacks"/> counts the
/// targets taken from the fallback list, skipped ones included.</para>
/// <para><b>Costs</b>: each attempt reserves its own estimate (chars/4 + images + max output); on success it is settled
/// with the summed <see cref="UsageReported"/> events (and the provider's cost); on failure, cancellation or early
/// disposal it is settled when usage arrived, else released. Leases are released exactly once per attempt. Nothing
/// is reserved, leased or sent until the stream is enumerated.</para>
/// <para>Polly.Core is not used: its pipelines wrap a callback that returns one result, whereas here the retry decision
/// depends on whether the caller has already <em>received</em> part of the stream, which happens between the
/// pipeline's callback and its result. An explicit loop states the rule directly.</para>
/// </remarks>
public sealed partial class ReasoningEngine : IReasoningEngine
{
    private readonly IStateManager _stateManager;
    private readonly IModelRouter _router;
    private readonly IModelRegistry _registry;
    private readonly ICostTracker _costTracker;
    private readonly IProviderInstanceManager _instances;
    private readonly IObservationManager _observations;
    private readonly ReasoningEngineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<ArtPrompt, CallOptions, bool, IReadOnlyList<ModelCapability>> _analyzer;
    private readonly Random _jitter;
    private readonly Lock _jitterGate = new();
    private readonly RequestRegistry _requests = new();
    private readonly ArtTelemetry _telemetry; // telemetry (agent branch)

    public ReasoningEngine(
        IStateManager stateManager,
        IModelRouter router,
        IModelRegistry registry,
        ICostTracker costTracker,
        IProviderInstanceManager instances,
        IObservationManager observations,
        ReasoningEngineOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger<ReasoningEngine>? logger = null,
        Func<ArtPrompt, CallOptions, bool, IReadOnlyList<ModelCapability>>? capabilityAnalyzer = null,
        Random? jitter = null,
        ArtTelemetry? telemetry = null)
    {
        ArgumentNullException.ThrowIfNull(stateManager);
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(costTracker);
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(observations);
        _options = options ?? new ReasoningEngineOptions();
        _options.Validate();
        _stateManager = stateManager;
        _router = router;
        _registry = registry;
        _costTracker = costTracker;
        _instances = instances;
        _observations = observations;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _analyzer = capabilityAnalyzer ?? DefaultCapabilities;
        _jitter = jitter ?? Random.Shared;
        _telemetry = telemetry ?? ArtTelemetry.Default;
    }

    /// <summary>Calls running now (by request id).</summary>
    public int ActiveRequests => _requests.Count;

    /// <summary>
    /// The built-in capability analysis used when no analyzer is plugged in: Text, plus Vision when the call or the
    /// prompt carries images, ToolUse when tools are offered, JsonOutput when a response schema is given. Query-text
    /// analysis (the QueryAnalyzer, used when <paramref name="autoDetect"/> is true) is a separate component.
    /// </summary>
    public static IReadOnlyList<ModelCapability> DefaultCapabilities(ArtPrompt prompt, CallOptions options, bool autoDetect)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        var result = new List<ModelCapability>(4) { ModelCapability.Text };
        var hasImages = options.Images is { Count: > 0 };
        if (!hasImages)
        {
            foreach (var message in prompt.Messages)
            {
                if (message.Images.Count > 0)
                {
                    hasImages = true;
                    break;
                }
            }
        }

        if (hasImages)
        {
            result.Add(ModelCapability.Vision);
        }

        if (options.Tools is { Count: > 0 })
        {
            result.Add(ModelCapability.ToolUse);
        }

        if (options.ResponseSchema is not null)
        {
            result.Add(ModelCapability.JsonOutput);
        }

        return result;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<StreamEvent> StreamAsync(ArtPrompt prompt, CallOptions options, CancellationToken cancellationToken = default)
    {
        Validate(prompt, options);
        return StreamCoreAsync(prompt, options, null, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ReasoningResponse> CallAsync(ArtPrompt prompt, CallOptions options, CancellationToken cancellationToken = default)
    {
        Validate(prompt, options);
        var state = new CallState();
        var content = new StringBuilder();
        var thoughts = new StringBuilder();
        var blockText = new StringBuilder();
        var blocks = new List<ThoughtBlock>();
        List<ToolCall>? toolCalls = null;
        var usage = TokenUsage.Zero;
        Completed? completed = null;

        await foreach (var streamEvent in StreamCoreAsync(prompt, options, state, cancellationToken).ConfigureAwait(false))
        {
            switch (streamEvent)
            {
                case ContentDelta delta:
                    content.Append(delta.Text);
                    options.OnChunk?.Invoke(new StreamChunk(delta.Text, false));
                    break;
                case ThoughtDelta thought:
                    thoughts.Append(thought.Text);
                    if (thought.RedactedData is not null)
                    {
                        FlushBlock(blockText, blocks, null);
                        blocks.Add(new ThoughtBlock(thought.Text) { RedactedData = thought.RedactedData, Signature = thought.Signature });
                    }
                    else
                    {
                        blockText.Append(thought.Text);
                        if (thought.Signature is not null)
                        {
                            FlushBlock(blockText, blocks, thought.Signature, force: true);
                        }
                    }

                    if (thought.Text.Length > 0)
                    {
                        options.OnThought?.Invoke(thought.Text);
                    }

                    break;
                case ToolCallRequested call:
                    (toolCalls ??= []).Add(call.Call);
                    break;
                case UsageReported reported:
                    usage = usage.Add(reported.Usage);
                    break;
                case AttemptRestarted:
                    // The thoughts so far came from an attempt that failed before answering: they are void.
                    thoughts.Clear();
                    blockText.Clear();
                    blocks.Clear();
                    break;
                case Completed done:
                    completed = done;
                    break;
            }
        }

        if (completed is null)
        {
            // StreamCoreAsync ends with Completed or throws; reaching here is an engine bug.
            throw new InvalidOperationException("The reasoning stream ended without a Completed event.");
        }

        FlushBlock(blockText, blocks, null);
        options.OnChunk?.Invoke(new StreamChunk(string.Empty, true));
        var text = content.ToString();
        return new ReasoningResponse
        {
            Content = text,
            Thoughts = thoughts.ToString(),
            ThoughtBlocks = blocks,
            ToolCalls = toolCalls ?? (IReadOnlyList<ToolCall>)[],
            Usage = usage,
            Cost = state.Cost,
            InstanceId = completed.InstanceId,
            ModelId = completed.ModelId,
            FinishReason = completed.Reason,
            Json = options.ResponseSchema is null ? null : ParseJson(text, completed),
            RequestId = state.RequestId,
            Attempts = state.Attempts,
        };
    }

    /// <inheritdoc />
    public Task<bool> AbortAsync(string requestId)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        return Task.FromResult(_requests.TryAbort(requestId));
    }

    private static void Validate(ArtPrompt prompt, CallOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ThreadId, nameof(options));
    }

    private static void FlushBlock(StringBuilder text, List<ThoughtBlock> blocks, string? signature, bool force = false)
    {
        if (text.Length == 0 && !force)
        {
            return;
        }

        blocks.Add(new ThoughtBlock(text.ToString()) { Signature = signature });
        text.Clear();
    }

    /// <summary>Parses a schema call's answer; a single Markdown code fence around it is tolerated (models add them).</summary>
    private static JsonElement ParseJson(string content, Completed completed)
    {
        var span = content.AsSpan().Trim();
        if (span.StartsWith("```", StringComparison.Ordinal))
        {
            var firstLineEnd = span.IndexOf('\n');
            var closing = span.LastIndexOf("```", StringComparison.Ordinal);
            if (firstLineEnd > 0 && closing > firstLineEnd)
            {
                span = span[(firstLineEnd + 1)..closing].Trim();
            }
        }

        try
        {
            using var document = JsonDocument.Parse(span.ToString());
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new ArtException(
                $"The answer of '{completed.InstanceId}' ({completed.ModelId}) is not valid JSON although a response schema was given: {ex.Message}",
                ex);
        }
    }

    private int EstimatePromptTokens(ArtPrompt prompt, CallOptions options)
    {
        long chars = prompt.CharacterCount;
        var images = options.Images?.Count ?? 0;
        foreach (var message in prompt.Messages)
        {
            images += message.Images.Count;
        }

        if (options.Tools is { } tools)
        {
            foreach (var tool in tools)
            {
                chars += tool.Name.Length + tool.Description.Length + tool.InputSchema.GetRawText().Length;
            }
        }

        if (options.ResponseSchema is { } schema)
        {
            chars += schema.GetRawText().Length;
        }

        var tokens = ((chars + 3) / 4) + ((long)images * _options.EstimatedTokensPerImage);
        return (int)Math.Min(tokens, int.MaxValue);
    }

    private async IAsyncEnumerable<StreamEvent> StreamCoreAsync(
        ArtPrompt prompt,
        CallOptions options,
        CallState? state,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var requestId = string.IsNullOrEmpty(options.RequestId) ? Guid.NewGuid().ToString("N") : options.RequestId;
        using var registration = _requests.Register(requestId, cancellationToken);
        var token = registration.Token;
        if (state is not null)
        {
            state.RequestId = requestId;
        }

        var context = await _stateManager.LoadThreadContextAsync(options.ThreadId, token).ConfigureAwait(false);
        var reasoning = context.Config.Reasoning;
        var capabilities = options.RequiredCapabilities ?? _analyzer(prompt, options, reasoning.AutoDetectCapabilities);
        var estimatedPromptTokens = EstimatePromptTokens(prompt, options);
        var callLayers = ModelParameters.Merge(reasoning.Parameters, options.Parameters);
        var routingRequest = new RoutingRequest
        {
            ThreadId = options.ThreadId,
            Reasoning = reasoning,
            RequiredCapabilities = capabilities,
            InstanceId = options.InstanceId,
            ModelId = options.Model,
            EstimatedPromptTokens = estimatedPromptTokens,
            MaxOutputTokens = callLayers.MaxOutputTokens,
            AllowFallback = options.AllowFallback,
        };
        RouteDecision decision;
        try
        {
            decision = await _router.SelectAsync(routingRequest, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RoutingException or UnknownInstanceException)
        {
            // A call that cannot be routed never reaches a provider, so no other observation would tell a UI why it failed.
            await RecordAsync(
                ObservationType.ModelRouteDecision,
                new RouteFailedContent(requestId, true, ex.Message, (ex as RoutingException)?.Rejected ?? [], capabilities, estimatedPromptTokens),
                options,
                null).ConfigureAwait(false);
            throw;
        }

        await RecordAsync(
            ObservationType.ModelRouteDecision,
            new RouteDecisionContent(requestId, decision.Primary, decision.Fallbacks, decision.Why, decision.Rejected, capabilities, estimatedPromptTokens),
            options,
            decision.Primary).ConfigureAwait(false);
        _telemetry.RecordRouteDecision(ArtTelemetry.RouteStepOf(decision.Why), decision.Primary.InstanceId, decision.Primary.ModelId, options.ThreadId); // telemetry

        var plan = new TargetPlan(decision, options.AllowFallback, _options.MaxFallbacks);

        // The router hands a half-open circuit's single probe to a decision's primary. Every instance here gets an
        // outcome or its probe back (a neutral report) before the call ends, else it would stay unavailable until
        // the probe timeout after a request error, a budget skip, an abort or an early disposal.
        var probes = new List<string>(1) { decision.Primary.InstanceId };
        var history = new List<AttemptSummary>();
        var partial = new StringBuilder();
        var committed = false;
        var attemptCount = 0;
        var retriesOnTarget = 0;
        Exception? lastProviderError = null;
        Exception? lastSkipError = null;
        Attempt? attempt = null;
        ChatCallScope? chatScope = null; // telemetry: one GenAI span per attempt
        var attemptUsage = TokenUsage.Zero; // telemetry
        var target = decision.Primary;
        plan.MarkTried(target);

        try
        {
            while (true)
            {
                // 1. Budget, lease: a target that cannot be started is skipped (not an attempt); see the remarks.
                attempt = null;
                Exception? startFailure = null;
                try
                {
                    attempt = await StartAttemptAsync(target, prompt, options, reasoning, requestId, estimatedPromptTokens, token).ConfigureAwait(false);
                }
                catch (BudgetExceededException ex) when (attemptCount > 0 || !ReferenceEquals(target, decision.Primary))
                {
                    startFailure = ex;
                }
                catch (Exception ex) when (ex is LocalInstanceBusyException or ApiQueueTimeoutException)
                {
                    startFailure = ex;
                }

                if (startFailure is not null)
                {
                    LogTargetSkipped(_logger, target.InstanceId, target.ModelId, startFailure.GetType().Name);
                    lastSkipError = startFailure;
                    history.Add(new AttemptSummary(attemptCount, target.InstanceId, target.ModelId, "skipped", null, startFailure.Message));
                    GiveBackProbe(probes, target.InstanceId, ProviderErrorKind.Cancelled);
                    var skipNext = plan.NextFallback();
                    if (skipNext is null)
                    {
                        var final = lastProviderError ?? startFailure;
                        await RecordFailedAsync(requestId, attemptCount, final, history, options).ConfigureAwait(false);
                        ExceptionDispatchInfo.Capture(final).Throw();
                    }

                    target = skipNext!;
                    retriesOnTarget = 0;
                    continue;
                }

                attemptCount++;
                chatScope = _telemetry.StartChat(attempt!.ProviderName, target.ModelId, target.InstanceId, options.ThreadId, requestId); // telemetry
                attemptUsage = TokenUsage.Zero; // telemetry
                if (state is not null)
                {
                    state.Attempts = attemptCount;
                }

                // 2. Pump the adapter's events through to the caller. The per-event path allocates nothing of its own.
                var yieldedThisAttempt = false;
                Exception? failure = null;
                var finish = FinishReason.Stop;
                while (true)
                {
                    var hasNext = false;
                    try
                    {
                        attempt!.Arm();
                        hasNext = await attempt.MoveNextAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        failure = ex;
                    }
                    finally
                    {
                        attempt!.Disarm();
                    }

                    if (failure is not null)
                    {
                        break;
                    }

                    if (!hasNext)
                    {
                        failure = new ProviderException(
                            ProviderErrorKind.Transient,
                            "The provider's stream ended without a completion.",
                            attempt.ProviderName,
                            target.InstanceId);
                        break;
                    }

                    var streamEvent = attempt.Events.Current;
                    switch (streamEvent)
                    {
                        case Completed done:
                            finish = done.Reason;
                            break;
                        case ContentDelta delta:
                            committed = true;
                            partial.Append(delta.Text);
                            break;
                        case ToolCallRequested:
                            committed = true;
                            break;
                        case UsageReported reported:
                            attempt.AddUsage(reported);
                            attemptUsage = attemptUsage.Add(reported.Usage); // telemetry
                            break;
                        case AttemptRestarted:
                            // Only the engine speaks about attempts; an adapter yielding this is ignored.
                            continue;
                    }

                    if (streamEvent is Completed)
                    {
                        break;
                    }

                    yieldedThisAttempt = true;
                    chatScope?.OnChunk(); // telemetry
                    yield return streamEvent;
                }

                // 3. Success: settle, report, name who answered.
                if (failure is null)
                {
                    var current = attempt!;
                    attempt = null;
                    var cost = await current.FinishAsync(success: true).ConfigureAwait(false);
                    state?.AddCost(cost);
                    chatScope?.SetResponse(target.ModelId, finish, attemptUsage); // telemetry
                    if (cost?.Cost is { } settledCost)
                    {
                        _telemetry.RecordCost(settledCost, current.ProviderName, target.InstanceId, target.ModelId, options.ThreadId); // telemetry
                    }

                    chatScope?.Dispose(); // telemetry
                    chatScope = null;
                    _router.ReportOutcome(target.InstanceId, AttemptOutcome.Success);
                    probes.Remove(target.InstanceId);
                    if (attemptCount > 1)
                    {
                        history.Add(new AttemptSummary(attemptCount, target.InstanceId, target.ModelId, "success", null, null));
                        await RecordAsync(
                            ObservationType.ModelFallbackSuccess,
                            new FallbackSuccessContent(requestId, target.InstanceId, target.ModelId, !ReferenceEquals(target, decision.Primary), attemptCount, history),
                            options,
                            target).ConfigureAwait(false);
                    }

                    yield return new Completed(finish, target.InstanceId, target.ModelId);
                    yield break;
                }

                // 4. Failure of this attempt.
                var failed = attempt!;
                attempt = null;
                var timedOut = failed.TimeoutError(token);
                var cancelled = token.IsCancellationRequested;
                var cost2 = await failed.FinishAsync(success: false).ConfigureAwait(false);
                state?.AddCost(cost2);
                if (cancelled)
                {
                    chatScope?.Fail(new OperationCanceledException(token)); // telemetry
                    chatScope?.Dispose();
                    chatScope = null;

                    // Caller's token or AbortAsync: stop, whatever the adapter threw while unwinding.
                    if (failure is OperationCanceledException)
                    {
                        ExceptionDispatchInfo.Capture(failure).Throw();
                    }

                    throw new OperationCanceledException("The reasoning call was cancelled.", failure, token);
                }

                var error = timedOut ?? Classify(failure, failed.ProviderName, target.InstanceId);
                var kind = (error as ProviderException)?.Kind;
                chatScope?.Fail(error); // telemetry
                chatScope?.Dispose();
                chatScope = null;
                ReportFailure(target.InstanceId, kind, probes);
                history.Add(new AttemptSummary(attemptCount, target.InstanceId, target.ModelId, "failed", kind, error.Message));

                if (committed)
                {
                    LogInterrupted(_logger, target.InstanceId, target.ModelId, partial.Length);
                    var interrupted = new StreamInterruptedException(target.InstanceId, target.ModelId, partial.ToString(), error);
                    if (attemptCount > 1)
                    {
                        await RecordFailedAsync(requestId, attemptCount, interrupted, history, options).ConfigureAwait(false);
                    }

                    throw interrupted;
                }

                RouteTarget? next = null;
                TimeSpan delay = TimeSpan.Zero;
                var action = "fallback";
                switch (kind)
                {
                    case ProviderErrorKind.Transient or ProviderErrorKind.RateLimited:
                        if (RetryDelay((ProviderException)error, retriesOnTarget) is { } wait)
                        {
                            next = target;
                            delay = wait;
                            action = "retry";
                        }
                        else
                        {
                            next = plan.NextFallback();
                        }

                        break;
                    case ProviderErrorKind.Auth or ProviderErrorKind.QuotaExceeded or ProviderErrorKind.ModelNotFound:
                        next = plan.NextFallback();
                        break;
                    case ProviderErrorKind.ContextLengthExceeded:
                        var minWindow = target.Model?.ContextWindow
                            ?? (estimatedPromptTokens + (callLayers.MaxOutputTokens ?? _options.DefaultMaxOutputTokens));
                        if (plan.DropWindowsAtMost(minWindow))
                        {
                            // Some fallbacks have no known window: let the router pick ones that surely fit.
                            var again = await ReRouteAsync(routingRequest with { MinContextWindow = minWindow }, token).ConfigureAwait(false);
                            plan.Replace(again, minWindow);
                            if (again is not null)
                            {
                                probes.Add(again.Primary.InstanceId);
                            }
                        }

                        next = plan.NextFallback();
                        action = "fallback_larger_context";
                        break;
                    default:
                        // ContentFilter, BadRequest, Cancelled, unclassified: surface as is.
                        if (attemptCount > 1)
                        {
                            await RecordFailedAsync(requestId, attemptCount, error, history, options).ConfigureAwait(false);
                        }

                        ExceptionDispatchInfo.Capture(error).Throw();
                        break;
                }

                lastProviderError = error;
                if (next is null)
                {
                    await RecordFailedAsync(requestId, attemptCount, error, history, options).ConfigureAwait(false);
                    ExceptionDispatchInfo.Capture(error).Throw();
                }

                LogAttemptFailed(_logger, attemptCount, target.InstanceId, target.ModelId, kind, action, next!.InstanceId);
                if (action != "retry")
                {
                    _telemetry.RecordFallback(target.InstanceId, next.InstanceId, kind, options.ThreadId); // telemetry
                }

                await RecordAsync(
                    ObservationType.ModelFallbackAttempt,
                    new FallbackAttemptContent(requestId, history[^1], action, next.InstanceId, next.ModelId, delay.TotalMilliseconds),
                    options,
                    next).ConfigureAwait(false);

                if (yieldedThisAttempt)
                {
                    yield return new AttemptRestarted(attemptCount + 1, next.InstanceId, next.ModelId, kind);
                }

                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _time, token).ConfigureAwait(false);
                }

                retriesOnTarget = ReferenceEquals(next, target) ? retriesOnTarget + 1 : 0;
                target = next;
            }
        }
        finally
        {
            chatScope?.Dispose(); // telemetry

            // Early disposal by the consumer, cancellation while waiting, or an exception: no leaked lease or hold.
            if (attempt is not null)
            {
                var cost = await attempt.FinishAsync(success: false).ConfigureAwait(false);
                state?.AddCost(cost);
            }

            // ... and no probe left taken (cancelled, refused by the budget before sending, disposed early).
            for (var i = probes.Count - 1; i >= 0; i--)
            {
                GiveBackProbe(probes, probes[i], ProviderErrorKind.Cancelled);
            }
        }
    }

    private async ValueTask<RouteDecision?> ReRouteAsync(RoutingRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await _router.SelectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (RoutingException ex)
        {
            LogNoLargerContext(_logger, request.MinContextWindow ?? 0, ex.Message);
            return null;
        }
    }

    private TimeSpan? RetryDelay(ProviderException error, int retriesSoFar)
    {
        if (retriesSoFar >= _options.MaxRetriesPerInstance)
        {
            return null;
        }

        if (error.RetryAfter is { } retryAfter)
        {
            return retryAfter > _options.RetryAfterCap ? null : (retryAfter < TimeSpan.Zero ? TimeSpan.Zero : retryAfter);
        }

        // Exponential backoff, capped, minus a random jitter of up to half ("equal jitter"): spreads retries of
        // concurrent calls without ever retrying immediately.
        var exponential = _options.BaseBackoff.TotalMilliseconds * Math.Pow(2, retriesSoFar);
        var capped = Math.Min(exponential, _options.MaxBackoff.TotalMilliseconds);
        double sample;
        lock (_jitterGate)
        {
            sample = _jitter.NextDouble();
        }

        return TimeSpan.FromMilliseconds(capped * (1 - (sample * 0.5)));
    }

    private void ReportFailure(string instanceId, ProviderErrorKind? kind, List<string> probes)
    {
        switch (kind)
        {
            case ProviderErrorKind.Transient or ProviderErrorKind.RateLimited:
                _router.ReportOutcome(instanceId, AttemptOutcome.TransientFailure, kind);
                probes.Remove(instanceId);
                break;
            case ProviderErrorKind.Auth or ProviderErrorKind.QuotaExceeded or ProviderErrorKind.ModelNotFound:
                _router.ReportOutcome(instanceId, AttemptOutcome.HardFailure, kind);
                probes.Remove(instanceId);
                break;
            default:
                // The request's own fault (content filter, bad request, context length) or an adapter bug: says
                // nothing about the instance, so it is reported only to give back a probe this call holds.
                GiveBackProbe(probes, instanceId, kind ?? ProviderErrorKind.Cancelled);
                break;
        }
    }

    /// <summary>
    /// Gives back a half-open probe this call holds for <paramref name="instanceId"/> with a report the breaker does
    /// not count (a request-side or cancelled kind releases the probe and changes nothing else).
    /// </summary>
    private void GiveBackProbe(List<string> probes, string instanceId, ProviderErrorKind neutralKind)
    {
        if (probes.Remove(instanceId))
        {
            _router.ReportOutcome(instanceId, AttemptOutcome.TransientFailure, neutralKind);
        }
    }

    private static Exception Classify(Exception failure, string provider, string instanceId) => failure switch
    {
        ProviderException => failure,
        HttpRequestException or IOException or TimeoutException => new ProviderException(
            ProviderErrorKind.Transient, failure.Message, provider, instanceId, innerException: failure),

        // An OperationCanceledException we did not cause (e.g. HttpClient's own timeout) is a transient failure.
        OperationCanceledException => new ProviderException(
            ProviderErrorKind.Transient, "The provider request was cancelled by the transport (timeout).", provider, instanceId, innerException: failure),
        _ => failure,
    };

    private async ValueTask<Attempt> StartAttemptAsync(
        RouteTarget target,
        ArtPrompt prompt,
        CallOptions options,
        ThreadReasoningConfig reasoning,
        string requestId,
        int estimatedPromptTokens,
        CancellationToken token)
    {
        var config = _instances.GetConfig(target.InstanceId);
        var adapter = _instances.GetAdapter(target.InstanceId);
        var parameters = ModelParameters.Merge(config.Parameters, reasoning.Parameters, options.Parameters);
        var reservation = await _costTracker.ReserveAsync(
            new CostReservationRequest
            {
                ThreadId = options.ThreadId,
                InstanceId = target.InstanceId,
                ModelId = target.ModelId,
                Preferences = reasoning.CostPreferences,
                Pricing = _registry.ResolvePricing(config, target.ModelId),
                EstimatedInputTokens = estimatedPromptTokens,
                MaxOutputTokens = parameters.MaxOutputTokens ?? _options.DefaultMaxOutputTokens,
                TraceId = options.TraceId,
                RequestId = requestId,
            },
            token).ConfigureAwait(false);

        IInstanceLease lease;
        try
        {
            lease = await _instances.AcquireAsync(target.InstanceId, token).ConfigureAwait(false);
        }
        catch
        {
            await SafeReleaseAsync(reservation).ConfigureAwait(false);
            throw;
        }

        var adapterOptions = options with
        {
            Model = target.ModelId,
            InstanceId = target.InstanceId,
            RequestId = requestId,
            Parameters = parameters,
            OnChunk = null,
            OnThought = null,
        };
        return new Attempt(this, adapter, prompt, adapterOptions, reservation, lease, token);
    }

    private async ValueTask SafeReleaseAsync(CostReservation reservation)
    {
        try
        {
            await _costTracker.ReleaseAsync(reservation, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Cleanup must not mask the error that ended the attempt; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogCleanupFailed(_logger, "release budget reservation", ex);
        }
    }

    private Task RecordFailedAsync(string requestId, int attempts, Exception error, List<AttemptSummary> history, CallOptions options) =>
        RecordAsync(
            ObservationType.ModelFallbackFailed,
            new FallbackFailedContent(requestId, attempts, error.Message, (error as ProviderException)?.Kind ?? (error as StreamInterruptedException)?.Kind, history),
            options,
            null);

    private async Task RecordAsync<T>(ObservationType type, T content, CallOptions options, RouteTarget? target)
    {
        try
        {
            await _observations.RecordAsync(
                NewObservation.Create(type, content, options.ThreadId, options.TraceId, target?.InstanceId, target?.ModelId),
                CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // An observation store failure must not fail the model call; it is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogObservationFailed(_logger, type, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Attempt {Attempt} at {InstanceId}/{ModelId} failed ({Kind}); next: {Action} at {NextInstanceId}")]
    private static partial void LogAttemptFailed(ILogger logger, int attempt, string instanceId, string modelId, ProviderErrorKind? kind, string action, string nextInstanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream from {InstanceId}/{ModelId} broke after {Characters} characters of answer")]
    private static partial void LogInterrupted(ILogger logger, string instanceId, string modelId, int characters);

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipped {InstanceId}/{ModelId} before sending: {Reason}")]
    private static partial void LogTargetSkipped(ILogger logger, string instanceId, string modelId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "No target with a context window above {MinContextWindow}: {Reason}")]
    private static partial void LogNoLargerContext(ILogger logger, int minContextWindow, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording a {Type} observation failed")]
    private static partial void LogObservationFailed(ILogger logger, ObservationType type, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cleanup step '{Step}' failed")]
    private static partial void LogCleanupFailed(ILogger logger, string step, Exception exception);

    /// <summary>What <see cref="CallAsync"/> needs from the stream besides its events.</summary>
    private sealed class CallState
    {
        private bool _anySettled;
        private bool _unknown;
        private decimal _cost;

        public string? RequestId { get; set; }

        public int Attempts { get; set; }

        /// <summary>Sum of the settled costs; null when nothing was settled or any settled price was unknown.</summary>
        public decimal? Cost => _anySettled && !_unknown ? _cost : null;

        public void AddCost(CallCost? cost)
        {
            if (cost is null)
            {
                return;
            }

            _anySettled = true;
            if (cost.Cost is { } value)
            {
                _cost += value;
            }
            else
            {
                _unknown = true;
            }
        }
    }

    /// <summary>The ordered targets of one call: the decision's fallbacks, minus those tried, bounded by MaxFallbacks.</summary>
    private sealed class TargetPlan
    {
        private readonly HashSet<(string, string)> _tried = [];
        private readonly int _maxFallbacks;
        private List<RouteTarget> _remaining;
        private int _fallbacksUsed;

        public TargetPlan(RouteDecision decision, bool allowFallback, int maxFallbacks)
        {
            _remaining = allowFallback ? [.. decision.Fallbacks] : [];
            _maxFallbacks = maxFallbacks;
        }

        public void MarkTried(RouteTarget target) => _tried.Add((target.InstanceId, target.ModelId));

        public RouteTarget? NextFallback()
        {
            while (_remaining.Count > 0 && _fallbacksUsed < _maxFallbacks)
            {
                var next = _remaining[0];
                _remaining.RemoveAt(0);
                if (_tried.Add((next.InstanceId, next.ModelId)))
                {
                    _fallbacksUsed++;
                    return next;
                }
            }

            return null;
        }

        /// <summary>Drops fallbacks whose known window is not larger than <paramref name="window"/>; true when some window is unknown.</summary>
        public bool DropWindowsAtMost(int window)
        {
            var anyUnknown = false;
            _remaining.RemoveAll(t =>
            {
                if (t.Model?.ContextWindow is not { } w)
                {
                    anyUnknown = true;
                    return false;
                }

                return w <= window;
            });
            return anyUnknown;
        }

        /// <summary>Replaces the remaining fallbacks by a new decision's targets that fit (unknown windows trusted to the router).</summary>
        public void Replace(RouteDecision? decision, int window)
        {
            var list = new List<RouteTarget>();
            if (decision is not null)
            {
                Add(decision.Primary);
                foreach (var target in decision.Fallbacks)
                {
                    Add(target);
                }
            }

            _remaining = list;

            void Add(RouteTarget target)
            {
                if (!_tried.Contains((target.InstanceId, target.ModelId)) && (target.Model?.ContextWindow is not { } w || w > window))
                {
                    list.Add(target);
                }
            }
        }
    }

    private enum TimeoutKind
    {
        None,
        FirstToken,
        Idle,
        Attempt,
    }

    /// <summary>
    /// One attempt at one target: its budget hold, lease, timeout source and the adapter's enumerator. Finished exactly
    /// once, on every path (success, failure, cancellation, early disposal).
    /// </summary>
    private sealed class Attempt : IAsyncDisposable
    {
        private readonly ReasoningEngine _engine;
        private readonly CostReservation _reservation;
        private readonly IInstanceLease _lease;
        private readonly CancellationTokenSource? _timeout;
        private readonly CancellationTokenSource _linked;
        private readonly long _started;
        private bool _sawEvent;
        private bool _armed;
        private TimeoutKind _armedKind;
        private TimeoutKind _firedKind;
        private bool _finished;
        private bool _usageArrived;
        private long _input;
        private long _output;
        private long _cached;
        private long _cacheWrite;
        private long _reasoning;
        private decimal? _providerCost;
        private readonly IProviderAdapter _adapter;
        private readonly ArtPrompt _prompt;
        private readonly CallOptions _options;
        private IAsyncEnumerator<StreamEvent>? _events;

        public Attempt(ReasoningEngine engine, IProviderAdapter adapter, ArtPrompt prompt, CallOptions options, CostReservation reservation, IInstanceLease lease, CancellationToken requestToken)
        {
            _engine = engine;
            _reservation = reservation;
            _lease = lease;
            ProviderName = adapter.ProviderName;
            var opts = engine._options;
            if (opts.AttemptTimeout is not null || opts.FirstTokenTimeout is not null || opts.IdleTimeout is not null)
            {
                _timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, engine._time);
                _linked = CancellationTokenSource.CreateLinkedTokenSource(requestToken, _timeout.Token);
            }
            else
            {
                _linked = CancellationTokenSource.CreateLinkedTokenSource(requestToken);
            }

            _adapter = adapter;
            _prompt = prompt;
            _options = options;
            _started = engine._time.GetTimestamp();
        }

        /// <summary>The adapter's enumerator; valid after <see cref="MoveNextAsync"/> returned true.</summary>
        public IAsyncEnumerator<StreamEvent> Events => _events!;

        public string ProviderName { get; }

        /// <summary>
        /// Advances the adapter's stream, opening it on the first call so that an adapter throwing synchronously
        /// fails like any other attempt (inside the engine's catch), never leaking the lease or the hold.
        /// </summary>
        public ValueTask<bool> MoveNextAsync()
        {
            _events ??= _adapter.StreamAsync(_prompt, _options, _linked.Token).GetAsyncEnumerator(_linked.Token);
            return _events.MoveNextAsync();
        }

        public void AddUsage(UsageReported reported)
        {
            _usageArrived = true;
            var usage = reported.Usage;
            _input += usage.InputTokens;
            _output += usage.OutputTokens;
            _cached += usage.CachedInputTokens;
            _cacheWrite += usage.CacheWriteTokens;
            _reasoning += usage.ReasoningTokens;
            if (reported.ProviderCost is { } cost)
            {
                _providerCost = (_providerCost ?? 0m) + cost;
            }
        }

        /// <summary>Starts the timer for the next event: first-token or idle, whichever applies, bounded by the attempt deadline.</summary>
        public void Arm()
        {
            if (_timeout is null)
            {
                return;
            }

            var opts = _engine._options;
            TimeSpan? limit = _sawEvent ? opts.IdleTimeout : opts.FirstTokenTimeout;
            var kind = _sawEvent ? TimeoutKind.Idle : TimeoutKind.FirstToken;
            if (opts.AttemptTimeout is { } total)
            {
                var remaining = total - _engine._time.GetElapsedTime(_started);
                if (limit is null || remaining < limit)
                {
                    limit = remaining;
                    kind = TimeoutKind.Attempt;
                }
            }

            if (limit is not { } value)
            {
                return;
            }

            _armedKind = kind;
            _armed = true;
            _timeout.CancelAfter(value > TimeSpan.Zero ? value : TimeSpan.FromTicks(1));
        }

        /// <summary>Stops the timer: the time the consumer spends on an event is not provider silence.</summary>
        public void Disarm()
        {
            _sawEvent = true;
            if (!_armed || _timeout is null)
            {
                return;
            }

            _armed = false;
            if (_timeout.IsCancellationRequested)
            {
                if (_firedKind == TimeoutKind.None)
                {
                    _firedKind = _armedKind;
                }

                return;
            }

            _timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        }

        /// <summary>The engine's own timeout as a transient provider error, when one fired (and the caller did not cancel).</summary>
        public ProviderException? TimeoutError(CancellationToken requestToken)
        {
            if (_timeout is null || !_timeout.IsCancellationRequested || requestToken.IsCancellationRequested)
            {
                return null;
            }

            var opts = _engine._options;
            var what = _firedKind switch
            {
                TimeoutKind.FirstToken => $"no first event within {opts.FirstTokenTimeout!.Value.TotalSeconds:0.###} s",
                TimeoutKind.Idle => $"no event for {opts.IdleTimeout!.Value.TotalSeconds:0.###} s",
                _ => $"the attempt took longer than {opts.AttemptTimeout?.TotalSeconds:0.###} s",
            };
            return new ProviderException(ProviderErrorKind.Transient, $"Timed out: {what}.", ProviderName, _lease.InstanceId, providerErrorCode: "art_timeout");
        }

        public async ValueTask DisposeAsync() => await FinishAsync(success: false).ConfigureAwait(false);

        /// <summary>Ends the attempt: stops the adapter, releases the lease, then settles (success or usage) or releases the hold.</summary>
        public async ValueTask<CallCost?> FinishAsync(bool success)
        {
            if (_finished)
            {
                return null;
            }

            _finished = true;
            try
            {
                await _linked.CancelAsync().ConfigureAwait(false);
                if (_events is not null)
                {
                    await _events.DisposeAsync().ConfigureAwait(false);
                }
            }
#pragma warning disable CA1031 // A failing adapter dispose must not leak the lease or the reservation.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogCleanupFailed(_engine._logger, "dispose provider stream", ex);
            }

            try
            {
                _lease.Dispose();
            }
#pragma warning disable CA1031
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogCleanupFailed(_engine._logger, "release instance lease", ex);
            }

            _linked.Dispose();
            _timeout?.Dispose();

            if (!success && !_usageArrived)
            {
                await _engine.SafeReleaseAsync(_reservation).ConfigureAwait(false);
                return null;
            }

            var usage = new TokenUsage
            {
                InputTokens = _input,
                OutputTokens = _output,
                CachedInputTokens = _cached,
                CacheWriteTokens = _cacheWrite,
                ReasoningTokens = _reasoning,
            };
            if (success)
            {
                // The ledger is part of the contract of a successful call: a failing settle fails the call.
                return await _engine._costTracker.SettleAsync(_reservation, usage, _providerCost, CancellationToken.None).ConfigureAwait(false);
            }

            try
            {
                return await _engine._costTracker.SettleAsync(_reservation, usage, _providerCost, CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The attempt already failed; its error is the one to surface.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogCleanupFailed(_engine._logger, "settle partial usage", ex);
                return null;
            }
        }
    }
}
