namespace Art;

/// <summary>A local host (one machine, one model at a time) stayed busy past the queue timeout.</summary>
public sealed class LocalInstanceBusyException : ArtException
{
    public LocalInstanceBusyException(string instanceId, string host, TimeSpan waited)
        : base($"Local instance '{instanceId}' on {host} stayed busy for {waited.TotalSeconds:0.###} s (queue timeout). Wait for the running request, raise queueTimeout, or route to another instance.")
    {
        InstanceId = instanceId;
        Host = host;
        Waited = waited;
    }

    public string InstanceId { get; }

    public string Host { get; }

    public TimeSpan Waited { get; }
}

/// <summary>A remote instance with <c>MaxConcurrency</c> had no free slot within the queue timeout.</summary>
public sealed class ApiQueueTimeoutException : ArtException
{
    public ApiQueueTimeoutException(string instanceId, int maxConcurrency, TimeSpan waited)
        : base($"Instance '{instanceId}' had all {maxConcurrency} concurrent slots busy for {waited.TotalSeconds:0.###} s (queue timeout). Raise maxConcurrency or queueTimeout.")
    {
        InstanceId = instanceId;
        MaxConcurrency = maxConcurrency;
        Waited = waited;
    }

    public string InstanceId { get; }

    public int MaxConcurrency { get; }

    public TimeSpan Waited { get; }
}
