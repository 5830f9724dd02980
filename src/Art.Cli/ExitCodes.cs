namespace Art.Cli;

/// <summary>The exit codes of <c>art</c> (documented in docs/cli.md; scripts depend on them).</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Runtime failure: one line on stderr says what to do.</summary>
    public const int Failure = 1;

    /// <summary>Usage error: bad flag, missing argument, invalid configuration.</summary>
    public const int Usage = 2;

    /// <summary>Cancelled by Ctrl+C (SIGINT), as shells report 128 + 2.</summary>
    public const int Cancelled = 130;
}
