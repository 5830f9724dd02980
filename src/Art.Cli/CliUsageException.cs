namespace Art.Cli;

/// <summary>A usage error found after parsing (a missing file, an unknown capability): exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
