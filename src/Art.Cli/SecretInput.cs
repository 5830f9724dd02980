using System.Text;

namespace Art.Cli;

/// <summary>
/// Reads secrets without echo. The master password comes from <c>ART_MASTER_PASSWORD</c> (scripts) or a prompt on the
/// terminal; an API key comes from stdin (piped, or typed without echo) and never from an argument, so it stays out
/// of shell history and process listings.
/// </summary>
internal static class SecretInput
{
    public const string NewPasswordVariable = "ART_NEW_MASTER_PASSWORD";

    public static string MasterPassword(CliContext context, bool confirmNew)
    {
        var fromEnv = Environment.GetEnvironmentVariable(CliSession.MasterPasswordVariable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }

        if (Console.IsInputRedirected)
        {
            throw new CliUsageException($"no terminal to ask for the master password — set {CliSession.MasterPasswordVariable}");
        }

        var password = Prompt(context, confirmNew ? "New master password: " : "Master password: ");
        if (confirmNew && Prompt(context, "Repeat the master password: ") != password)
        {
            throw new CliUsageException("the passwords do not match");
        }

        return password.Length > 0 ? password : throw new CliUsageException("the master password must not be empty");
    }

    public static string NewMasterPassword(CliContext context)
    {
        var fromEnv = Environment.GetEnvironmentVariable(NewPasswordVariable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }

        if (Console.IsInputRedirected)
        {
            throw new CliUsageException($"no terminal to ask for the new master password — set {NewPasswordVariable}");
        }

        var password = Prompt(context, "New master password: ");
        if (Prompt(context, "Repeat the new master password: ") != password)
        {
            throw new CliUsageException("the passwords do not match");
        }

        return password.Length > 0 ? password : throw new CliUsageException("the master password must not be empty");
    }

    /// <summary>The API key: all of stdin when piped (trimmed), else typed at a prompt without echo.</summary>
    public static async Task<string> ApiKeyAsync(CliContext context, string instanceId)
    {
        string key;
        if (Console.IsInputRedirected)
        {
            key = (await Console.In.ReadToEndAsync(context.Cancellation).ConfigureAwait(false)).Trim();
        }
        else
        {
            key = Prompt(context, $"API key for {instanceId} (input hidden): ").Trim();
        }

        return key.Length > 0 ? key : throw new CliUsageException("no API key on stdin — pipe it in (e.g. `art keys set openai < key.txt`) or type it at the prompt");
    }

    private static string Prompt(CliContext context, string label)
    {
        context.Err.Write(label);
        context.Err.Flush();
        var text = new StringBuilder();
        while (true)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }

                continue;
            }

            if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }

        context.Err.WriteLine();
        return text.ToString();
    }
}
