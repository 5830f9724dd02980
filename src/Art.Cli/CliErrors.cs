using System.Net.Http;
using System.Net.Sockets;
using Art.Hosting;
using Art.Reasoning;

namespace Art.Cli;

/// <summary>
/// Turns an exception into an exit code and <b>one line</b> that says what to do. Stack traces only with
/// <c>--verbose</c> or <c>ART_DEBUG=1</c>.
/// </summary>
internal static class CliErrors
{
    public static int Report(Exception exception, CliContext context, ArtInstance? art = null)
    {
        var (code, line) = Describe(exception, art);
        context.Err.WriteLine("art: " + line);
        if (context.Verbose)
        {
            context.Err.WriteLine(exception.ToString());
        }

        context.Err.Flush();
        return code;
    }

    public static (int Code, string Line) Describe(Exception exception, ArtInstance? art)
    {
        switch (exception)
        {
            case CliUsageException usage:
                return (ExitCodes.Usage, usage.Message);
            case CliFailureException failure:
                return (ExitCodes.Failure, failure.Message);
            case ArtConfigurationException config:
                return (ExitCodes.Usage, OneLine(config.Message) + " (see docs/configuration.md)");
            case UnknownInstanceException unknown:
                return (ExitCodes.Usage, OneLine(unknown.Message));
            case StreamInterruptedException interrupted:
                return (ExitCodes.Failure, $"the answer from {interrupted.InstanceId} broke off mid-stream ({OneLine(interrupted.InnerException?.Message ?? "connection lost")}) — try again");
            case ProviderException provider:
                return (ExitCodes.Failure, DescribeProvider(provider, art));
            case RoutingException routing:
                return (ExitCodes.Failure, OneLine(routing.Message) + " — check the instances with `art instances`");
            case BudgetExceededException budget:
                return (ExitCodes.Failure, OneLine(budget.Message) + " — raise defaults:costPreferences in art.json or start a new --thread");
            case SecretsAuthenticationException:
                return (ExitCodes.Failure, $"wrong master password — check {CliSession.MasterPasswordVariable} or retype it");
            case SecretsLockedException:
                return (ExitCodes.Failure, $"the key store is locked — set {CliSession.MasterPasswordVariable}");
            case ArtException art2:
                return (ExitCodes.Failure, OneLine(art2.Message));
            case HttpRequestException http when IsConnectionFailure(http):
                return (ExitCodes.Failure, "a provider is not reachable: " + OneLine(http.Message) + " — check `art instances`");
            case IOException io:
                return (ExitCodes.Failure, OneLine(io.Message));
            case UnauthorizedAccessException denied:
                return (ExitCodes.Failure, OneLine(denied.Message));
            default:
                return (ExitCodes.Failure, $"unexpected error: {OneLine(exception.Message)} — rerun with --verbose for details");
        }
    }

    private static string DescribeProvider(ProviderException provider, ArtInstance? art)
    {
        var instanceId = provider.InstanceId;
        string? baseUrl = null;
        var providerName = provider.Provider;
        if (instanceId is not null && art is not null && art.ProviderInstanceManager.Instances.Any(i => i.Id == instanceId))
        {
            var config = art.ProviderInstanceManager.GetConfig(instanceId);
            baseUrl = config.BaseUrl;
            providerName = config.Provider;
        }

        var who = instanceId is null ? providerName : $"instance '{instanceId}' ({providerName})";
        if (IsUnreachable(provider))
        {
            var where = baseUrl is null ? string.Empty : " at " + baseUrl;
            return string.Equals(providerName, "ollama", StringComparison.OrdinalIgnoreCase)
                ? $"Ollama is not reachable{where} — start it with `ollama serve` or set providers in art.json"
                : $"{who} is not reachable{where} — check the network and its baseUrl in art.json";
        }

        return provider.Kind switch
        {
            ProviderErrorKind.Auth => $"{who} rejected the API key — store one with `art keys set {instanceId ?? providerName}` or set it in the environment",
            ProviderErrorKind.ModelNotFound => $"{who}: {OneLine(provider.Message)} — list models with `art models list --instance {instanceId ?? providerName}` (Ollama: `art models pull NAME`)",
            ProviderErrorKind.RateLimited => $"{who} is rate limiting requests — wait and try again",
            ProviderErrorKind.ContextLengthExceeded => $"{who}: the conversation is too long for the model — start a new --thread",
            _ => $"{who}: {OneLine(provider.Message)}",
        };
    }

    private static bool IsUnreachable(ProviderException provider)
    {
        if (provider.StatusCode is not null)
        {
            return false;
        }

        for (Exception? e = provider; e is not null; e = e.InnerException)
        {
            if (e is SocketException or HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
            {
                return true;
            }
        }

        return provider.Message.Contains("refused", StringComparison.OrdinalIgnoreCase)
            || provider.Message.Contains("not reachable", StringComparison.OrdinalIgnoreCase)
            || provider.Message.Contains("could not connect", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsConnectionFailure(HttpRequestException http) =>
        http.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError || http.InnerException is SocketException;

    /// <summary>First line of a message, trimmed: the contract is one line on stderr.</summary>
    public static string OneLine(string message)
    {
        var lines = message.ReplaceLineEndings("\n")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.StartsWith("- ", StringComparison.Ordinal) ? l[2..] : l)
            .ToArray();
        if (lines.Length <= 1)
        {
            return lines.Length == 0 ? string.Empty : lines[0];
        }

        var head = lines[0].EndsWith(':') ? lines[0] + " " : lines[0] + "; ";
        return head + string.Join("; ", lines[1..]);
    }
}
