using Art.Models;

namespace Art.Reasoning;

/// <summary>
/// A provider instance ART can call. Adapters are per-instance singletons and thread-safe. Errors are thrown as
/// <see cref="ProviderException"/> with a classified <see cref="ProviderErrorKind"/>; cancellation as
/// <see cref="OperationCanceledException"/>.
/// </summary>
public interface IProviderAdapter : IAsyncDisposable
{
    /// <summary>Provider type name (<c>ollama</c>, <c>openai</c>, ...).</summary>
    string ProviderName { get; }

    /// <summary>The configured instance this adapter serves.</summary>
    string InstanceId { get; }

    /// <summary>Streams one call. <see cref="CallOptions.Model"/> is already resolved by the engine; adapters fall back to their default model when null.</summary>
    IAsyncEnumerable<StreamEvent> StreamAsync(ArtPrompt prompt, CallOptions options, CancellationToken cancellationToken = default);

    /// <summary>The provider's own model list.</summary>
    Task<IReadOnlyList<ProviderModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default);
}

/// <summary>Providers that manage local models (Ollama today).</summary>
public interface IModelManagement
{
    /// <summary>Downloads a model, reporting aggregate progress; an error line inside the stream fails the pull.</summary>
    Task PullModelAsync(string model, PullModelOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a model; a missing model is a <see cref="ProviderErrorKind.ModelNotFound"/> error.</summary>
    Task DeleteModelAsync(string model, CancellationToken cancellationToken = default);

    /// <summary>Details of a model: capabilities and context length.</summary>
    Task<ProviderModelDetails> ShowModelAsync(string model, CancellationToken cancellationToken = default);

    /// <summary>Models loaded in memory now.</summary>
    Task<IReadOnlyList<RunningModelInfo>> ListRunningModelsAsync(CancellationToken cancellationToken = default);
}

/// <summary>Providers that can abort an in-flight request by id.</summary>
public interface IRequestAbort
{
    /// <summary>Cancels the request; false when the id is unknown or the request already finished.</summary>
    Task<bool> AbortRequestAsync(string requestId);
}
