using System.CommandLine;

namespace Art.Cli.Commands;

/// <summary>
/// <c>art keys set|rm|list|passwd</c>: provider API keys in the encrypted store (AES-256-GCM under a key derived from
/// the master password). Values are never printed; <c>list</c> shows instance ids only.
/// </summary>
internal static class KeysCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("keys", "API keys in the encrypted key store (threat model: docs/cli.md)");
        command.Subcommands.Add(Set(context));
        command.Subcommands.Add(Remove(context));
        command.Subcommands.Add(List(context));
        command.Subcommands.Add(Passwd(context));
        return command;
    }

    private static Command Set(CliContext context)
    {
        var instance = new Argument<string>("INSTANCE") { Description = "Instance id the key belongs to" };
        var command = new Command("set", "Store an instance's API key, read from stdin (never from an argument)") { instance };
        command.SetAction((parse, _) => CliApp.WithSessionAsync(
            context,
            async session =>
            {
                var id = parse.GetValue(instance)!.Trim();
                var secrets = session.Art.Secrets!;
                var firstUse = !await secrets.IsInitializedAsync(context.Cancellation).ConfigureAwait(false);
                var password = SecretInput.MasterPassword(context, confirmNew: firstUse);
                var key = await SecretInput.ApiKeyAsync(context, id).ConfigureAwait(false);
                await secrets.UnlockWithPasswordAsync(password, context.Cancellation).ConfigureAwait(false);
                await secrets.SaveApiKeyAsync(id, key, context.Cancellation).ConfigureAwait(false);
                secrets.Lock();
                var configured = CliSession.LoadOptions(context).Options.Providers.Any(p => string.Equals(p.Id, id, StringComparison.Ordinal));
                context.Out.WriteLine($"stored the API key of {id}" + (firstUse ? " (key store created)" : string.Empty));
                if (!configured)
                {
                    context.Err.WriteLine($"art: note: no instance '{id}' is configured yet; the key is used once art.json has one");
                }

                return ExitCodes.Success;
            },
            withProviders: false,
            unlockSecrets: false));
        return command;
    }

    private static Command Remove(CliContext context)
    {
        var instance = new Argument<string>("INSTANCE") { Description = "Instance id" };
        var command = new Command("rm", "Delete an instance's stored API key") { instance };
        command.SetAction((parse, _) => CliApp.WithSessionAsync(
            context,
            async session =>
            {
                var id = parse.GetValue(instance)!.Trim();
                var secrets = session.Art.Secrets!;
                var stored = await secrets.ListInstanceIdsAsync(context.Cancellation).ConfigureAwait(false);
                if (!stored.Contains(id, StringComparer.Ordinal))
                {
                    throw new CliFailureException($"no key is stored for '{id}' — `art keys list` shows the stored ones");
                }

                await secrets.DeleteApiKeyAsync(id, context.Cancellation).ConfigureAwait(false);
                context.Out.WriteLine($"deleted the API key of {id}");
                return ExitCodes.Success;
            },
            withProviders: false,
            unlockSecrets: false));
        return command;
    }

    private static Command List(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output (see docs/cli.md)" };
        var command = new Command("list", "Instance ids that have a stored key (values are never shown)") { json };
        command.SetAction((parse, _) => CliApp.WithSessionAsync(
            context,
            async session =>
            {
                var ids = await session.Art.Secrets!.ListInstanceIdsAsync(context.Cancellation).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    CliJson.Write(context.Out, new { instances = ids });
                    return ExitCodes.Success;
                }

                if (ids.Count == 0)
                {
                    context.Out.WriteLine("no keys stored");
                }

                foreach (var id in ids)
                {
                    context.Out.WriteLine(id);
                }

                return ExitCodes.Success;
            },
            withProviders: false,
            unlockSecrets: false));
        return command;
    }

    private static Command Passwd(CliContext context)
    {
        var command = new Command("passwd", $"Change the master password (scripts: {CliSession.MasterPasswordVariable} and {SecretInput.NewPasswordVariable})");
        command.SetAction((parse, _) => CliApp.WithSessionAsync(
            context,
            async session =>
            {
                var secrets = session.Art.Secrets!;
                if (!await secrets.IsInitializedAsync(context.Cancellation).ConfigureAwait(false))
                {
                    throw new CliFailureException("the key store has no master password yet — `art keys set INSTANCE` creates it");
                }

                var current = SecretInput.MasterPassword(context, confirmNew: false);
                var next = SecretInput.NewMasterPassword(context);
                await secrets.ChangePasswordAsync(current, next, context.Cancellation).ConfigureAwait(false);
                context.Out.WriteLine("master password changed; every stored key was re-encrypted");
                return ExitCodes.Success;
            },
            withProviders: false,
            unlockSecrets: false));
        return command;
    }
}
