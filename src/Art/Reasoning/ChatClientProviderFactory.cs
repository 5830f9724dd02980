using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Art.Reasoning;

/// <summary>
/// Makes any Microsoft.Extensions.AI <see cref="IChatClient"/> an ART provider instance (provider name
/// <c>chat-client</c>): register the client under the instance id in code, then configure an instance
/// <c>{ Id = "my-instance", Provider = "chat-client", Model = ... }</c>. The instance then takes part in routing,
/// fallback, budgets and abort like any built-in provider.
/// </summary>
/// <remarks>
/// Clients are registered per instance id, either as an object (owned by the caller: ART never disposes it) or as a
/// factory delegate (the client it creates is owned and disposed by ART with the adapter).
/// </remarks>
public sealed class ChatClientProviderFactory : IProviderFactory
{
    /// <summary>The provider type name of instances served by this factory.</summary>
    public const string ProviderName = "chat-client";

    /// <summary>Base URL given to instances that set none (see <see cref="DefaultBaseUrl"/>).</summary>
    public const string PlaceholderBaseUrl = "http://chat-client.invalid/";

    private readonly ConcurrentDictionary<string, Func<ProviderAdapterContext, IChatClient>> _clients = new(StringComparer.Ordinal);

    public IReadOnlyList<string> ProviderNames { get; } = [ProviderName];

    /// <summary>Instance ids that have a client.</summary>
    public IReadOnlyCollection<string> InstanceIds => [.. _clients.Keys];

    /// <summary>Registers a client for an instance. The caller keeps ownership (ART does not dispose it).</summary>
    public ChatClientProviderFactory Add(string instanceId, IChatClient client)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        ArgumentNullException.ThrowIfNull(client);
        return Add(instanceId, _ => new NonDisposingChatClient(client));
    }

    /// <summary>Registers a factory for an instance's client; ART owns (and disposes) what it returns.</summary>
    public ChatClientProviderFactory Add(string instanceId, Func<ProviderAdapterContext, IChatClient> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        ArgumentNullException.ThrowIfNull(factory);
        if (!_clients.TryAdd(instanceId, factory))
        {
            throw new ArgumentException($"A chat client is already registered for instance '{instanceId}'.", nameof(instanceId));
        }

        return this;
    }

    public bool IsLocalByDefault(string providerName) => false;

    public string? ApiKeyEnvironmentVariable(string providerName) => null;

    public bool RequiresApiKey(string providerName) => false;

    /// <summary>
    /// A placeholder (<c>http://chat-client.invalid/</c>, a reserved name that never resolves), because instances need a
    /// base URL and an in-code client has none ART could know. Set <c>BaseUrl</c> on the instance to the client's real
    /// endpoint for clearer "not reachable" messages and loopback (local) detection.
    /// </summary>
    public string? DefaultBaseUrl(string providerName) => PlaceholderBaseUrl;

    public IProviderAdapter Create(ProviderAdapterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_clients.TryGetValue(context.Config.Id, out var factory))
        {
            var known = _clients.IsEmpty ? "none" : string.Join(", ", _clients.Keys.Order(StringComparer.Ordinal));
            throw new ArtConfigurationException(
                $"Instance '{context.Config.Id}' uses provider '{ProviderName}' but no IChatClient is registered for it (registered: {known}). Call ChatClientProviderFactory.Add(\"{context.Config.Id}\", client).",
                context.Config.Id);
        }

        var client = factory(context) ?? throw new ArtConfigurationException($"The chat client factory of instance '{context.Config.Id}' returned null.", context.Config.Id);
        return new GenericChatClientAdapter(context.Config, client, context.LoggerFactory.CreateLogger<GenericChatClientAdapter>());
    }

    /// <summary>Shields a caller-owned client from the adapter's dispose.</summary>
    private sealed class NonDisposingChatClient(IChatClient inner) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            inner.GetResponseAsync(messages, options, cancellationToken);

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            inner.GetStreamingResponseAsync(messages, options, cancellationToken);

        public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

        public void Dispose()
        {
            // The caller owns the client.
        }
    }
}
