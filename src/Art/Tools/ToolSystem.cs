using System.Text.Json;
using Art.Context;
using Art.Observation;
using Art.Reasoning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Tools;

/// <summary>Options of tool execution.</summary>
public sealed record ToolSystemOptions
{
    /// <summary>Time a tool may run before its call fails with a timeout error.</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Per-tool timeouts (by name), overriding the default.</summary>
    public IReadOnlyDictionary<string, TimeSpan>? Timeouts { get; init; }
}

/// <summary>
/// Runs tool calls for a thread, in order: enabled check, registry lookup, schema validation, execution with a
/// timeout. Every failure becomes an error <see cref="ToolResult"/> (the agent explains it); every call is observed
/// as TOOL_EXECUTION. Only cancellation by the caller throws.
/// </summary>
public sealed class ToolSystem
{
    private readonly ToolRegistry _registry;
    private readonly IStateManager _stateManager;
    private readonly IObservationManager _observations;
    private readonly ToolSystemOptions _options;
    private readonly ILogger _logger;

    public ToolSystem(ToolRegistry registry, IStateManager stateManager, IObservationManager observations, ToolSystemOptions? options = null, ILogger<ToolSystem>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(stateManager);
        ArgumentNullException.ThrowIfNull(observations);
        _registry = registry;
        _stateManager = stateManager;
        _observations = observations;
        _options = options ?? new ToolSystemOptions();
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public async Task<IReadOnlyList<ToolResult>> ExecuteAsync(IReadOnlyList<ToolCall> calls, string threadId, string? traceId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        var results = new List<ToolResult>(calls.Count);
        foreach (var call in calls)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await ExecuteOneAsync(call, threadId, traceId, cancellationToken).ConfigureAwait(false);
            results.Add(result);
            await _observations.RecordAsync(
                NewObservation.Create(ObservationType.ToolExecution, result, threadId, traceId) with
                {
                    Title = $"{call.Name} {(result.Status == ToolResultStatus.Success ? "succeeded" : "failed")}",
                },
                cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    private async Task<ToolResult> ExecuteOneAsync(ToolCall call, string threadId, string? traceId, CancellationToken cancellationToken)
    {
        var executor = _registry.GetExecutor(call.Name);
        if (executor is null)
        {
            return ToolResult.Failure(call.Id, call.Name, $"Tool '{call.Name}' is not registered.");
        }

        if (!await _stateManager.IsToolEnabledAsync(threadId, call.Name, cancellationToken).ConfigureAwait(false))
        {
            return ToolResult.Failure(call.Id, call.Name, $"Tool '{call.Name}' is not enabled for thread '{threadId}'.");
        }

        if (call.Arguments.ValueKind != JsonValueKind.Object)
        {
            return ToolResult.Failure(call.Id, call.Name, $"Invalid arguments for tool '{call.Name}': expected a JSON object.");
        }

        if (ToolInputValidator.Validate(executor.Schema, call.Arguments) is { } invalid)
        {
            return ToolResult.Failure(call.Id, call.Name, invalid);
        }

        var timeout = _options.Timeouts?.TryGetValue(call.Name, out var specific) == true ? specific : _options.DefaultTimeout;
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        try
        {
            var result = await executor.ExecuteAsync(call.Arguments, new ToolExecutionContext(threadId, call.Id) { TraceId = traceId }, timeoutCts.Token)
                .WaitAsync(timeoutCts.Token).ConfigureAwait(false);
            return result with { CallId = call.Id, ToolName = call.Name };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ToolResult.Failure(call.Id, call.Name, $"Tool '{call.Name}' timed out after {timeout.TotalSeconds:0.###} s.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "Tool {Tool} failed on thread {ThreadId}", call.Name, threadId);
            return ToolResult.Failure(call.Id, call.Name, $"Tool '{call.Name}' failed: {ex.Message}");
        }
    }
}
