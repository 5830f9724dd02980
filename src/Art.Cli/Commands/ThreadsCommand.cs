using System.CommandLine;
using System.Globalization;
using Art.Context;
using Spectre.Console;

namespace Art.Cli.Commands;

/// <summary><c>art threads list|show</c>: the threads in storage and their messages.</summary>
internal static class ThreadsCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("threads", "Conversation threads");
        command.Subcommands.Add(List(context));
        command.Subcommands.Add(Show(context));
        return command;
    }

    private static Command List(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output (see docs/cli.md)" };
        var command = new Command("list", "Threads with their instance, model and message count") { json };
        command.SetAction((parse, _) => CliApp.WithSessionAsync(
            context,
            async session =>
            {
                var ids = await session.Art.StateManager.ListThreadIdsAsync(context.Cancellation).ConfigureAwait(false);
                var rows = new List<ThreadSummary>(ids.Count);
                foreach (var id in ids)
                {
                    var config = await session.Art.StateManager.GetThreadConfigAsync(id, context.Cancellation).ConfigureAwait(false);
                    var messages = await session.Art.ConversationManager.GetMessagesAsync(id, null, context.Cancellation).ConfigureAwait(false);
                    rows.Add(new ThreadSummary
                    {
                        ThreadId = id,
                        InstanceId = config?.Reasoning.InstanceId,
                        Model = config?.Reasoning.Model,
                        Messages = messages.Count,
                        LastMessageAt = messages.Count > 0 ? messages[^1].Timestamp : null,
                    });
                }

                if (parse.GetValue(json))
                {
                    CliJson.Write(context.Out, rows);
                    return ExitCodes.Success;
                }

                var table = new CliTable("THREAD", "INSTANCE", "MODEL", "MESSAGES", "LAST");
                foreach (var r in rows)
                {
                    table.AddRow(
                        r.ThreadId,
                        r.InstanceId ?? "-",
                        r.Model ?? "(instance default)",
                        r.Messages.ToString(CultureInfo.InvariantCulture),
                        r.LastMessageAt?.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-");
                }

                table.Write(context);
                return ExitCodes.Success;
            },
            withProviders: false,
            unlockSecrets: false));
        return command;
    }

    private static Command Show(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output (see docs/cli.md)" };
        var id = new Argument<string>("ID") { Description = "Thread id" };
        var command = new Command("show", "A thread's configuration and messages") { json, id };
        command.SetAction((parse, _) => CliApp.WithSessionAsync(
            context,
            async session =>
            {
                var threadId = parse.GetValue(id)!;
                var config = await session.Art.StateManager.GetThreadConfigAsync(threadId, context.Cancellation).ConfigureAwait(false)
                    ?? throw new CliFailureException($"there is no thread '{threadId}' — `art threads list` shows the threads");
                var messages = await session.Art.ConversationManager.GetMessagesAsync(threadId, null, context.Cancellation).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    CliJson.Write(context.Out, new ThreadDetails { ThreadId = threadId, Config = config, Messages = messages });
                    return ExitCodes.Success;
                }

                var console = Format.Console(context);
                console.MarkupLine($"[bold]thread[/] {Markup.Escape(threadId)}  [grey]instance {Markup.Escape(config.Reasoning.InstanceId ?? "-")}, model {Markup.Escape(config.Reasoning.Model ?? "(instance default)")}, {messages.Count} message(s)[/]");
                foreach (var m in messages)
                {
                    var role = m.Role.ToString().ToLowerInvariant();
                    console.MarkupLine($"[bold]{role}[/] [grey]{m.Timestamp.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}[/]");
                    console.WriteLine(m.Content);
                }

                return ExitCodes.Success;
            },
            withProviders: false,
            unlockSecrets: false));
        return command;
    }
}

/// <summary>One row of <c>art threads list --json</c>.</summary>
internal sealed record ThreadSummary
{
    public required string ThreadId { get; init; }

    public string? InstanceId { get; init; }

    public string? Model { get; init; }

    public int Messages { get; init; }

    public DateTimeOffset? LastMessageAt { get; init; }
}

/// <summary><c>art threads show ID --json</c>.</summary>
internal sealed record ThreadDetails
{
    public required string ThreadId { get; init; }

    public required ThreadConfig Config { get; init; }

    public required IReadOnlyList<ConversationMessage> Messages { get; init; }
}
