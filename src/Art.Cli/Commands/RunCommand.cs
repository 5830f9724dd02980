using System.CommandLine;
using Art.Agents;

namespace Art.Cli.Commands;

/// <summary>
/// <c>art run</c>: one turn of the PES agent (plan, run the thread's enabled tools — the calculator by default —,
/// synthesise). The answer streams to stdout; thinking goes to stderr with <c>--show-thoughts</c>. An agent that could
/// not answer exits 1 with its reason; an answer despite failed tools exits 0 with a note on stderr.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var thread = new Option<string>("--thread") { Description = "Thread id; its history is kept", HelpName = "ID", DefaultValueFactory = _ => ChatCommand.DefaultThread };
        var showThoughts = new Option<bool>("--show-thoughts") { Description = "Print the model's thinking to stderr (dimmed)" };
        var query = new Argument<string[]>("QUERY") { Description = "The task (several words are joined with spaces)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("run", "Run the agent with the thread's tools (calculator by default); the answer streams to stdout") { thread, showThoughts, query };
        command.SetAction((parse, _) => RunAsync(context, parse.GetValue(thread) ?? ChatCommand.DefaultThread, parse.GetValue(showThoughts), string.Join(' ', parse.GetValue(query) ?? [])));
        return command;
    }

    private static Task<int> RunAsync(CliContext context, string threadId, bool showThoughts, string query)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            throw new CliUsageException("QUERY is empty");
        }

        return CliApp.WithSessionAsync(context, async session =>
        {
            var dim = showThoughts && CliContext.StderrIsTerminal && Environment.GetEnvironmentVariable("NO_COLOR") is null;
            var endsWithNewline = true;
            var thinking = false;
            var options = new AgentOptions
            {
                OnChunk = chunk =>
                {
                    if (chunk.Content.Length == 0)
                    {
                        return;
                    }

                    if (thinking)
                    {
                        context.Err.Write(dim ? "\u001b[0m\n" : "\n");
                        context.Err.Flush();
                        thinking = false;
                    }

                    context.Out.Write(chunk.Content);
                    context.Out.Flush();
                    endsWithNewline = chunk.Content.EndsWith('\n');
                },
                OnThought = thought =>
                {
                    if (!showThoughts || thought.Text.Length == 0)
                    {
                        return;
                    }

                    if (!thinking && dim)
                    {
                        context.Err.Write("\u001b[2m");
                    }

                    thinking = true;
                    context.Err.Write(thought.Text);
                    context.Err.Flush();
                },
            };

            AgentFinalResponse response;
            try
            {
                response = await session.Art.ProcessAsync(new AgentProps { ThreadId = threadId, Query = query, Options = options }, context.Cancellation).ConfigureAwait(false);
            }
            finally
            {
                if (thinking)
                {
                    context.Err.Write(dim ? "\u001b[0m\n" : "\n");
                }

                if (!endsWithNewline)
                {
                    context.Out.WriteLine();
                }

                context.Out.Flush();
                context.Err.Flush();
            }

            switch (response.Status)
            {
                case AgentStatus.Error:
                    throw new CliFailureException("the agent could not answer: " + CliErrors.OneLine(response.Metadata.Error ?? response.Message.Content));
                case AgentStatus.Partial:
                    context.Err.WriteLine("art: note: some tools failed: " + CliErrors.OneLine(response.Metadata.Error ?? "see `art threads show " + threadId + "`"));
                    break;
            }

            return ExitCodes.Success;
        });
    }
}
