using System.CommandLine;
using Art.Reasoning;

namespace Art.Cli.Commands;

/// <summary>
/// <c>art instances</c>: every configured instance, local or remote, and whether it answers now (a model list
/// request with a short timeout). Instances are probed one by one so a broken entry does not hide the others; an
/// instance without a key is reported unavailable with the manager's reason (how to give it one).
/// </summary>
internal static class InstancesCommand
{
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output (see docs/cli.md)" };
        var command = new Command("instances", "Configured provider instances and whether they are reachable") { json };
        command.SetAction((parse, _) => CliApp.WithSessionAsync(
            context,
            async session =>
            {
                var configured = CliSession.LoadOptions(context).Options.Validate().Providers;
                var tasks = configured.Select(c => ProbeAsync(c, session, context)).ToList();
                var results = await Task.WhenAll(tasks).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    CliJson.Write(context.Out, results);
                    return ExitCodes.Success;
                }

                var table = new CliTable("ID", "PROVIDER", "WHERE", "URL", "STATUS", "MODELS", "DETAIL");
                foreach (var r in results)
                {
                    var status = r.Status switch
                    {
                        InstanceStatus.Reachable => "reachable",
                        InstanceStatus.NoKey => "no API key",
                        InstanceStatus.Unreachable => "unreachable",
                        _ => "error",
                    };
                    table.AddRow(
                        r.Id,
                        r.Provider,
                        r.IsLocal ? "local" : "remote",
                        r.BaseUrl ?? "-",
                        status,
                        r.Models?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                        r.Error is null ? string.Empty : CliErrors.OneLine(r.Error));
                }

                table.Write(context);
                return ExitCodes.Success;
            },
            withProviders: false));
        return command;
    }

    private static async Task<InstanceReport> ProbeAsync(ProviderInstanceConfig config, CliSession session, CliContext context)
    {
        var manager = new ProviderInstanceManager([config], CliProviders.CreateRegistry(session.Art.ObservationManager), new ProviderInstanceManagerOptions { SecretsRepository = session.Art.Secrets });
        await using (manager.ConfigureAwait(false))
        {
            try
            {
                await manager.InitializeAsync(context.Cancellation).ConfigureAwait(false);
            }
            catch (ArtConfigurationException ex)
            {
                var noKey = ex.Message.Contains("API key", StringComparison.OrdinalIgnoreCase);
                return Report(config, isLocal: config.IsLocal ?? false, noKey ? InstanceStatus.NoKey : InstanceStatus.Error, null, CliErrors.OneLine(ex.Message));
            }

            var resolved = manager.GetConfig(config.Id);
            var isLocal = manager.IsLocal(config.Id);
            if (!manager.IsAvailable(config.Id, out var reason))
            {
                return Report(resolved, isLocal, InstanceStatus.NoKey, null, reason);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.Cancellation);
            timeout.CancelAfter(ProbeTimeout);
            try
            {
                var models = await manager.GetAdapter(config.Id).ListModelsAsync(timeout.Token).ConfigureAwait(false);
                return Report(resolved, isLocal, InstanceStatus.Reachable, models.Count, null);
            }
            catch (OperationCanceledException) when (!context.Cancellation.IsCancellationRequested)
            {
                return Report(resolved, isLocal, InstanceStatus.Unreachable, null, $"no answer within {ProbeTimeout.TotalSeconds:0}s");
            }
            catch (ProviderException ex) when (ex.StatusCode is null)
            {
                return Report(resolved, isLocal, InstanceStatus.Unreachable, null, ex.Message);
            }
            catch (ProviderException ex)
            {
                return Report(resolved, isLocal, ex.Kind == ProviderErrorKind.Auth ? InstanceStatus.NoKey : InstanceStatus.Error, null, ex.Message);
            }
            catch (HttpRequestException ex)
            {
                return Report(resolved, isLocal, InstanceStatus.Unreachable, null, ex.Message);
            }
        }
    }

    private static InstanceReport Report(ProviderInstanceConfig config, bool isLocal, InstanceStatus status, int? models, string? error) => new()
    {
        Id = config.Id,
        Provider = config.Provider,
        BaseUrl = config.BaseUrl,
        IsLocal = isLocal,
        Model = config.Model,
        Status = status,
        Models = models,
        Error = error,
    };
}

/// <summary>Whether an instance answered the probe.</summary>
internal enum InstanceStatus
{
    Reachable,
    Unreachable,
    NoKey,
    Error,
}

/// <summary>One row of <c>art instances --json</c>.</summary>
internal sealed record InstanceReport
{
    public required string Id { get; init; }

    public required string Provider { get; init; }

    public string? BaseUrl { get; init; }

    public bool IsLocal { get; init; }

    public string? Model { get; init; }

    public InstanceStatus Status { get; init; }

    /// <summary>How many models the instance listed (when reachable).</summary>
    public int? Models { get; init; }

    public string? Error { get; init; }
}
