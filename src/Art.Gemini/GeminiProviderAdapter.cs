using System.Net;
using Art.Models;
using Art.Reasoning;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Art.Gemini;

/// <summary>
/// ART's Gemini adapter: the shared <see cref="ChatClientProviderAdapter"/> over <see cref="GeminiChatClient"/>,
/// with Gemini's thinking options (<c>thinkingConfig.includeThoughts</c>/<c>thinkingBudget</c>/<c>thinkingLevel</c>),
/// its google.rpc errors classified (400 API_KEY_INVALID is an auth failure, not a bad request; 429 carries
/// <c>RetryInfo</c>; a per-day quota is exhausted for the day rather than rate limited), content refusals turned into
/// errors rather than truncated successes, and only the models that can generate content listed.
/// </summary>
public sealed class GeminiProviderAdapter : ChatClientProviderAdapter
{
    /// <summary>Used when neither the call nor the instance names a model.</summary>
    public const string FallbackModel = "gemini-2.5-flash";

    private readonly GeminiChatClient _client;

    public GeminiProviderAdapter(ProviderInstanceConfig config, GeminiChatClient chatClient, ILogger logger)
        : base(config, chatClient, logger)
    {
        _client = chatClient;
    }

    /// <inheritdoc />
    public override string ProviderName => "gemini";

    /// <inheritdoc />
    protected override string? DefaultModel => FallbackModel;

    /// <summary>Models that answer <c>generateContent</c> (embedding and other models are left out), with context = <c>inputTokenLimit</c>.</summary>
    public override async Task<IReadOnlyList<ProviderModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var models = await _client.ListModelsAsync(cancellationToken).ConfigureAwait(false);
            return models.Where(m => m.Details is null || !m.Details.TryGetValue("supportedGenerationMethods", out var methods) || methods.Length == 0
                    || methods.Split(',').Contains("generateContent", StringComparer.Ordinal))
                .ToArray();
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or ArtException))
        {
            throw ProviderErrors.FromTransportFailure(ex, ProviderName, InstanceId, Config.BaseUrl) ?? ClassifyError(ex);
        }
    }

    /// <inheritdoc />
    protected override void ConfigureChatOptions(ChatOptions chatOptions, CallOptions options, ModelParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(chatOptions);
        ArgumentNullException.ThrowIfNull(parameters);
        var extra = chatOptions.AdditionalProperties ??= [];
        if (parameters.Think is { } think && !extra.ContainsKey(GeminiRequestBuilder.IncludeThoughtsKey))
        {
            // Think asks to see the thinking: Gemini returns thought summaries only with includeThoughts.
            extra[GeminiRequestBuilder.IncludeThoughtsKey] = think;
        }

        if (parameters.ThinkingBudgetTokens is { } budget && !extra.ContainsKey(GeminiRequestBuilder.ThinkingBudgetKey))
        {
            extra[GeminiRequestBuilder.ThinkingBudgetKey] = budget;
        }
        else if (parameters.ReasoningEffort is { } effort && !extra.ContainsKey(GeminiRequestBuilder.ThinkingLevelKey)
            && chatOptions.ModelId?.StartsWith("gemini-3", StringComparison.Ordinal) == true)
        {
            // Gemini 3 takes a level instead of a budget (sending both is a 400).
            extra[GeminiRequestBuilder.ThinkingLevelKey] = effort.ToUpperInvariant() switch
            {
                "MINIMAL" or "NONE" => "minimal",
                "LOW" => "low",
                "MEDIUM" => "medium",
                _ => "high",
            };
        }

        // The base maps Think/ReasoningEffort to MEAI ReasoningOptions; the keys above say it the Gemini way.
        chatOptions.Reasoning = null;
    }

    /// <summary>An answer Gemini stopped for safety (or recitation, blocklist, ...) is a refusal, not a short success.</summary>
    protected override void CompleteStream(ChatStreamState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.FinishReason == ChatFinishReason.ContentFilter)
        {
            throw new ProviderException(ProviderErrorKind.ContentFilter, $"Gemini ('{InstanceId}') stopped the answer for content reasons (finishReason {Reason(state)}).", ProviderName, InstanceId, providerErrorCode: Reason(state));
        }
    }

    /// <inheritdoc />
    protected override ProviderException ClassifyError(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is not GeminiApiException gemini)
        {
            return new ProviderException(ProviderErrorKind.Transient, ProviderErrors.Redact($"Gemini ('{InstanceId}') failed: {exception.Message}", Config.ApiKey), ProviderName, InstanceId, innerException: exception);
        }

        if (gemini.IsContentFilter)
        {
            return new ProviderException(ProviderErrorKind.ContentFilter, ProviderErrors.Redact($"Gemini ('{InstanceId}') refused the content: {gemini.Message}", Config.ApiKey), ProviderName, InstanceId, gemini.StatusCode, providerErrorCode: gemini.Reason, innerException: gemini);
        }

        if (gemini.IsIncompleteStream)
        {
            return new ProviderException(ProviderErrorKind.Transient, ProviderErrors.Redact($"Gemini ('{InstanceId}'): {gemini.Message}", Config.ApiKey), ProviderName, InstanceId, providerErrorCode: "incomplete_stream", innerException: gemini);
        }

        var status = (int)(gemini.StatusCode ?? HttpStatusCode.InternalServerError);
        var code = gemini.Reason ?? gemini.Status;
        var kind = Kind(gemini, status);
        return ProviderErrors.FromHttpStatus(ProviderName, InstanceId, status, gemini.Message, gemini.RetryDelay, code, Config.ApiKey, kind, gemini);
    }

    private static ProviderErrorKind Kind(GeminiApiException error, int status)
    {
        if (error.Reason is "API_KEY_INVALID" or "API_KEY_SERVICE_BLOCKED" or "API_KEY_HTTP_REFERRER_BLOCKED"
            || error.Message.StartsWith("API key not valid", StringComparison.OrdinalIgnoreCase)
            || error.Message.StartsWith("API key expired", StringComparison.OrdinalIgnoreCase))
        {
            return ProviderErrorKind.Auth;
        }

        if (status == 429 && error.RetryDelay is null && error.QuotaIds.Any(q => q.Contains("PerDay", StringComparison.Ordinal)))
        {
            // A daily quota does not come back in seconds: fall back at once instead of retrying here.
            return ProviderErrorKind.QuotaExceeded;
        }

        return status switch
        {
            400 when ProviderErrors.LooksLikeContextLength(error.Message) => ProviderErrorKind.ContextLengthExceeded,
            400 => ProviderErrorKind.BadRequest,
            401 or 403 => ProviderErrorKind.Auth,
            404 => ProviderErrorKind.ModelNotFound,
            429 => ProviderErrorKind.RateLimited,
            >= 500 => ProviderErrorKind.Transient,
            _ => ProviderErrors.KindFromStatus(status, error.Message),
        };
    }

    private static string Reason(ChatStreamState state) => state.Items.TryGetValue("gemini.finishReason", out var r) && r is string s ? s : "SAFETY";

    /// <inheritdoc />
    protected override void ProcessUpdate(ChatResponseUpdate update, ChatStreamState state)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(state);
        if (update.AdditionalProperties?.TryGetValue("gemini.finishReason", out var finish) == true)
        {
            state.Items["gemini.finishReason"] = finish;
        }

        base.ProcessUpdate(update, state);
    }
}
