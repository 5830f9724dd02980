using System.Net;
using Art.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Art.Reasoning;

/// <summary>
/// The adapter of a <c>chat-client</c> instance: the shared <see cref="ChatClientProviderAdapter"/> mapping over a
/// caller's <see cref="IChatClient"/>, with the model and the model list taken from <see cref="ChatClientMetadata"/>
/// and errors classified from what generic clients throw (<see cref="HttpRequestException.StatusCode"/>, timeouts).
/// SDK-specific exceptions (e.g. System.ClientModel's) are not known to the core; wrap such a client to rethrow
/// <see cref="HttpRequestException"/> with the status, or throw <see cref="ProviderException"/> directly.
/// </summary>
public sealed class GenericChatClientAdapter : ChatClientProviderAdapter
{
    private readonly ChatClientMetadata? _metadata;

    public GenericChatClientAdapter(ProviderInstanceConfig config, IChatClient chatClient, ILogger logger)
        : base(config, chatClient, logger)
    {
        _metadata = chatClient.GetService<ChatClientMetadata>();
    }

    protected override string? DefaultModel => _metadata?.DefaultModelId;

    /// <summary>The client's default model (or the instance's), since a generic client cannot enumerate models.</summary>
    public override Task<IReadOnlyList<ProviderModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        var names = new[] { Config.Model, _metadata?.DefaultModelId }
            .Where(n => !string.IsNullOrWhiteSpace(n))
            .Distinct(StringComparer.Ordinal)
            .Select(n => new ProviderModelInfo { Name = n! })
            .ToList();
        return Task.FromResult<IReadOnlyList<ProviderModelInfo>>(names);
    }

    protected override ProviderException ClassifyError(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpRequestException { StatusCode: { } status } http:
                    return ProviderErrors.FromHttpStatus(ProviderName, InstanceId, (int)status, http.Message, apiKey: Config.ApiKey, innerException: exception);
                case TimeoutException:
                    return new ProviderException(ProviderErrorKind.Transient, $"{ProviderName} ('{InstanceId}') timed out.", ProviderName, InstanceId, innerException: exception);
                case NotSupportedException or ArgumentException:
                    return new ProviderException(ProviderErrorKind.BadRequest, ProviderErrors.Redact($"{ProviderName} ('{InstanceId}') rejected the request: {e.Message}", Config.ApiKey), ProviderName, InstanceId, innerException: exception);
            }
        }

        // Unknown failures of an arbitrary client: treated as transient so routing may retry or fall back.
        return new ProviderException(ProviderErrorKind.Transient, ProviderErrors.Redact($"{ProviderName} ('{InstanceId}') failed: {exception.Message}", Config.ApiKey), ProviderName, InstanceId, (HttpStatusCode?)null, innerException: exception);
    }
}
