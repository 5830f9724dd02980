namespace Art.Cli;

/// <summary>A runtime failure with a ready one-line reason: exit code 1.</summary>
internal sealed class CliFailureException(string message, Exception? innerException = null) : Exception(message, innerException);
