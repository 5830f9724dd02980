using System.CommandLine;
using System.Runtime.InteropServices;
using Art.Cli.Commands;

namespace Art.Cli;

/// <summary>
/// The <c>art</c> command: parses, runs one verb, and maps the outcome to the exit codes of <see cref="ExitCodes"/>.
/// Ctrl+C (SIGINT) cancels the running verb's token; the verb stops its request, flushes, and the process exits 130.
/// </summary>
internal static class CliApp
{
    public static readonly Option<string?> ConfigOption = new("--config")
    {
        Description = "Configuration file (default: ./art.json, else $XDG_CONFIG_HOME/art/art.json)",
        HelpName = "FILE",
        Recursive = true,
    };

    public static readonly Option<bool> VerboseOption = new("--verbose")
    {
        Description = "Debug logs and stack traces on stderr (also ART_DEBUG=1)",
        Recursive = true,
    };

    public static async Task<int> RunAsync(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal =>
        {
            // First Ctrl+C: cancel cleanly. A second one while we are still stopping kills the process as usual.
            if (!cancellation.IsCancellationRequested)
            {
                signal.Cancel = true;
                cancellation.Cancel();
            }
        });

        var context = new CliContext(Console.Out, Console.Error, cancellation.Token);
        return await RunAsync(args, context).ConfigureAwait(false);
    }

    public static async Task<int> RunAsync(string[] args, CliContext context)
    {
        var root = BuildRoot(context);
        var parse = root.Parse(args);
        var errors = parse.Errors.Select(e => e.Message).ToList();
        if (errors.Count == 0 && UnknownOption(parse) is { } unknown)
        {
            errors.Add($"Unrecognized option '{unknown}' (put `--` before a message that starts with '-').");
        }

        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                context.Err.WriteLine("art: " + error);
            }

            context.Err.WriteLine("Run 'art --help' (or 'art COMMAND --help') for usage.");
            context.Err.Flush();
            return ExitCodes.Usage;
        }

        context.ConfigPath = parse.GetValue(ConfigOption);
        context.Verbose = parse.GetValue(VerboseOption) || Environment.GetEnvironmentVariable("ART_DEBUG") is "1" or "true";
        var invocation = new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
            Output = context.Out,
            Error = context.Err,
        };

        try
        {
            return await parse.InvokeAsync(invocation, context.Cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            return Cancelled(context);
        }
        catch (Exception ex)
        {
            return CliErrors.Report(ex, context);
        }
    }

    /// <summary>
    /// A variadic argument (MESSAGE) swallows unknown flags such as <c>--bogus</c>; a token that looks like an option
    /// before <c>--</c> is therefore a usage error rather than part of the message.
    /// </summary>
    private static string? UnknownOption(ParseResult parse)
    {
        foreach (var token in parse.Tokens)
        {
            if (token.Type == System.CommandLine.Parsing.TokenType.DoubleDash)
            {
                return null;
            }

            if (token.Type == System.CommandLine.Parsing.TokenType.Argument && token.Value.Length > 1 && token.Value[0] == '-')
            {
                return token.Value;
            }
        }

        return null;
    }

    public static int Cancelled(CliContext context)
    {
        context.Out.Flush();
        context.Err.WriteLine();
        context.Err.WriteLine("art: cancelled");
        context.Err.Flush();
        return ExitCodes.Cancelled;
    }

    private static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("ART for .NET: chat with local and remote models, manage models, instances, usage and keys.");
        root.Options.Add(ConfigOption);
        root.Options.Add(VerboseOption);
        root.Subcommands.Add(ChatCommand.Create(context));
        root.Subcommands.Add(RunCommand.Create(context));
        root.Subcommands.Add(ModelsCommand.Create(context));
        root.Subcommands.Add(InstancesCommand.Create(context));
        root.Subcommands.Add(UsageCommand.Create(context));
        root.Subcommands.Add(ThreadsCommand.Create(context));
        root.Subcommands.Add(KeysCommand.Create(context));
        return root;
    }

    /// <summary>
    /// Runs a verb body with its session and maps exceptions: cancellation → 130, everything else through
    /// <see cref="CliErrors"/> (with the session's instance, so errors can name base URLs).
    /// </summary>
    public static async Task<int> WithSessionAsync(CliContext context, Func<CliSession, Task<int>> body, bool withProviders = true, bool unlockSecrets = true)
    {
        CliSession? session = null;
        try
        {
            session = await CliSession.OpenAsync(context, withProviders, unlockSecrets).ConfigureAwait(false);
            return await body(session).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            return Cancelled(context);
        }
        catch (Exception ex)
        {
            return CliErrors.Report(ex, context, session?.Art);
        }
        finally
        {
            if (session is not null)
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
