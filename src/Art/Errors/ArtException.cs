namespace Art;

/// <summary>Base of every error ART raises on purpose, so callers can catch ART's failures apart from bugs.</summary>
public class ArtException : Exception
{
    public ArtException(string message)
        : base(message)
    {
    }

    public ArtException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Invalid configuration: the message names the offending entry and what to change.</summary>
public sealed class ArtConfigurationException : ArtException
{
    public ArtConfigurationException(string message, string? entry = null, Exception? innerException = null)
        : base(message, innerException) => Entry = entry;

    /// <summary>The configuration entry at fault (an instance id, a key path), when there is one.</summary>
    public string? Entry { get; }
}

/// <summary>A provider instance id that is not configured.</summary>
public sealed class UnknownInstanceException : ArtException
{
    public UnknownInstanceException(string instanceId, IEnumerable<string> knownInstanceIds)
        : base($"Unknown provider instance '{instanceId}'. Configured instances: {FormatKnown(knownInstanceIds)}.")
    {
        InstanceId = instanceId;
    }

    public string InstanceId { get; }

    private static string FormatKnown(IEnumerable<string> known)
    {
        var list = string.Join(", ", known);
        return list.Length == 0 ? "(none)" : list;
    }
}

/// <summary>A thread that has no stored configuration: create it with <c>StateManager.SetThreadConfigAsync</c> first.</summary>
public sealed class ThreadNotFoundException : ArtException
{
    public ThreadNotFoundException(string threadId)
        : base($"Thread '{threadId}' has no configuration. Create it with SetThreadConfigAsync (or let the host apply its defaults).")
    {
        ThreadId = threadId;
    }

    public string ThreadId { get; }
}

/// <summary>A storage operation failed (I/O, corrupt document, constraint).</summary>
public sealed class StorageException : ArtException
{
    public StorageException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
