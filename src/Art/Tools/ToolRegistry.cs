using System.Collections.Concurrent;
using Art.Context;

namespace Art.Tools;

/// <summary>The tools an ART instance knows. Names are unique (a second registration is an error, never a silent overwrite).</summary>
public sealed class ToolRegistry
{
    private readonly ConcurrentDictionary<string, IToolExecutor> _tools = new(StringComparer.Ordinal);
    private readonly IStateManager? _stateManager;

    /// <param name="stateManager">Used to filter tools by a thread's <c>EnabledTools</c>.</param>
    public ToolRegistry(IStateManager? stateManager = null) => _stateManager = stateManager;

    public void Register(IToolExecutor executor)
    {
        ArgumentNullException.ThrowIfNull(executor);
        var schema = executor.Schema ?? throw new ArgumentException("The tool has no schema.", nameof(executor));
        ArgumentException.ThrowIfNullOrWhiteSpace(schema.Name, nameof(executor));
        if (!_tools.TryAdd(schema.Name, executor))
        {
            throw new ArgumentException($"A tool named '{schema.Name}' is already registered.", nameof(executor));
        }
    }

    public bool Unregister(string name) => _tools.TryRemove(name, out _);

    public IToolExecutor? GetExecutor(string name) => _tools.TryGetValue(name, out var executor) ? executor : null;

    /// <summary>All registered tool schemas, by name.</summary>
    public IReadOnlyList<ToolSchema> GetAllTools() => _tools.Values.Select(t => t.Schema).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    /// <summary>The tools enabled for a thread (its <c>EnabledTools</c>); none when the thread does not exist.</summary>
    public async Task<IReadOnlyList<ToolSchema>> GetAvailableToolsAsync(string threadId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(threadId);
        if (_stateManager is null)
        {
            return GetAllTools();
        }

        var config = await _stateManager.GetThreadConfigAsync(threadId, cancellationToken).ConfigureAwait(false);
        if (config is null)
        {
            return [];
        }

        var enabled = new HashSet<string>(config.EnabledTools, StringComparer.Ordinal);
        return GetAllTools().Where(t => enabled.Contains(t.Name)).ToList();
    }
}
