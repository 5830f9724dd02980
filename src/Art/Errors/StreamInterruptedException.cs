namespace Art;

/// <summary>
/// A stream broke after content had reached the caller. ART never falls back at that point and never returns the
/// truncated text as a success; the partial text is attached so a UI can show what arrived.
/// </summary>
public sealed class StreamInterruptedException : ArtException
{
    public StreamInterruptedException(string instanceId, string modelId, string partialContent, Exception innerException)
        : base($"The stream from '{instanceId}' ({modelId}) broke after {partialContent.Length} characters of answer: {innerException.Message}", innerException)
    {
        InstanceId = instanceId;
        ModelId = modelId;
        PartialContent = partialContent;
    }

    public string InstanceId { get; }

    public string ModelId { get; }

    public string PartialContent { get; }

    /// <summary>The classified cause when the provider's error was classified.</summary>
    public ProviderErrorKind? Kind => (InnerException as ProviderException)?.Kind;
}
