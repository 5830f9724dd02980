using Microsoft.Extensions.Logging;

namespace Art.Cli;

/// <summary>What every verb gets: the global options, the output streams and the Ctrl+C token.</summary>
internal sealed class CliContext
{
    public CliContext(TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        Out = output;
        Err = error;
        Cancellation = cancellation;
    }

    public TextWriter Out { get; }

    public TextWriter Err { get; }

    /// <summary>Cancelled by SIGINT (Ctrl+C).</summary>
    public CancellationToken Cancellation { get; }

    /// <summary><c>--config FILE</c>.</summary>
    public string? ConfigPath { get; set; }

    /// <summary><c>--verbose</c> or <c>ART_DEBUG=1</c>: stack traces and debug logs on stderr.</summary>
    public bool Verbose { get; set; }

    public static bool StdoutIsTerminal => !Console.IsOutputRedirected;

    public static bool StderrIsTerminal => !Console.IsErrorRedirected;

    public ILoggerFactory CreateLoggerFactory() => Verbose
        ? LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace))
        : Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
}
