using System.CommandLine;
using System.Text;
using System.Text.Json;
using Art.Hosting;
using Art.Reasoning;

namespace Art.Cli.Commands;

/// <summary>
/// <c>art chat</c>: one turn on a thread. The answer streams to stdout as it arrives; thinking goes to stderr (dimmed)
/// with <c>--show-thoughts</c> and is dropped otherwise, so stdout carries the answer alone. With <c>--schema</c> the
/// answer is collected and stdout gets the JSON document only.
/// </summary>
internal static class ChatCommand
{
    public const string DefaultThread = "default";

    public static Command Create(CliContext context)
    {
        var thread = new Option<string>("--thread") { Description = "Thread id; its history is kept and sent with each turn", HelpName = "ID", DefaultValueFactory = _ => DefaultThread };
        var instance = new Option<string?>("--instance") { Description = "Instance for this turn only (the thread's fallbacks still apply)", HelpName = "ID" };
        var model = new Option<string?>("--model") { Description = "Model for this turn only", HelpName = "NAME" };
        var images = new Option<string[]>("--image") { Description = "Image file to send (repeatable)", HelpName = "FILE", AllowMultipleArgumentsPerToken = false };
        var schema = new Option<string?>("--schema") { Description = "JSON schema file: the answer printed is the JSON document alone", HelpName = "FILE" };
        var showThoughts = new Option<bool>("--show-thoughts") { Description = "Print the model's thinking to stderr (dimmed)" };
        var message = new Argument<string[]>("MESSAGE") { Description = "What to say (several words are joined with spaces)", Arity = ArgumentArity.OneOrMore };

        var command = new Command("chat", "Chat with a model; the answer streams to stdout");
        command.Options.Add(thread);
        command.Options.Add(instance);
        command.Options.Add(model);
        command.Options.Add(images);
        command.Options.Add(schema);
        command.Options.Add(showThoughts);
        command.Arguments.Add(message);
        command.SetAction((parse, _) => RunAsync(
            context,
            parse.GetValue(thread) ?? DefaultThread,
            parse.GetValue(instance),
            parse.GetValue(model),
            parse.GetValue(images) ?? [],
            parse.GetValue(schema),
            parse.GetValue(showThoughts),
            string.Join(' ', parse.GetValue(message) ?? [])));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string threadId, string? instanceId, string? model, string[] imageFiles, string? schemaFile, bool showThoughts, string message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            throw new CliUsageException("MESSAGE is empty");
        }

        var images = new List<ImageInput>();
        foreach (var file in imageFiles)
        {
            if (!File.Exists(file))
            {
                throw new CliUsageException($"image file '{file}' does not exist");
            }

            images.Add(await ImageInput.FromFileAsync(file, context.Cancellation).ConfigureAwait(false));
        }

        JsonElement? schema = null;
        if (schemaFile is not null)
        {
            if (!File.Exists(schemaFile))
            {
                throw new CliUsageException($"schema file '{schemaFile}' does not exist");
            }

            try
            {
                using var document = JsonDocument.Parse(await File.ReadAllTextAsync(schemaFile, context.Cancellation).ConfigureAwait(false));
                schema = document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new CliUsageException($"schema file '{schemaFile}' is not valid JSON: {ex.Message}");
            }
        }

        return await CliApp.WithSessionAsync(context, async session =>
        {
            var turn = new ChatTurnOptions
            {
                InstanceId = instanceId,
                Model = model,
                Images = images.Count > 0 ? images : null,
                ResponseSchema = schema,
            };

            var dim = showThoughts && CliContext.StderrIsTerminal && Environment.GetEnvironmentVariable("NO_COLOR") is null;
            var answer = new StringBuilder();
            var inThought = false;
            var endsWithNewline = true;
            try
            {
                await foreach (var item in session.Art.StreamChatAsync(threadId, message, turn, context.Cancellation).ConfigureAwait(false))
                {
                    switch (item)
                    {
                        case ThoughtDelta thought when showThoughts && thought.Text.Length > 0:
                            if (!inThought && dim)
                            {
                                context.Err.Write("\u001b[2m");
                            }

                            inThought = true;
                            context.Err.Write(thought.Text);
                            context.Err.Flush();
                            break;
                        case ContentDelta delta:
                            if (inThought)
                            {
                                EndThought(context, dim);
                                inThought = false;
                            }

                            answer.Append(delta.Text);
                            if (schema is null && delta.Text.Length > 0)
                            {
                                context.Out.Write(delta.Text);
                                context.Out.Flush();
                                endsWithNewline = delta.Text.EndsWith('\n');
                            }

                            break;
                    }
                }
            }
            finally
            {
                if (inThought)
                {
                    EndThought(context, dim);
                }

                if (schema is null && !endsWithNewline)
                {
                    context.Out.WriteLine();
                }

                context.Out.Flush();
            }

            if (schema is not null)
            {
                context.Out.WriteLine(ExtractJson(answer.ToString()));
                context.Out.Flush();
            }

            return ExitCodes.Success;
        }).ConfigureAwait(false);
    }

    private static void EndThought(CliContext context, bool dim)
    {
        context.Err.Write(dim ? "\u001b[0m\n" : "\n");
        context.Err.Flush();
    }

    /// <summary>The JSON document of a structured answer; models sometimes wrap it in a code fence or a sentence.</summary>
    internal static string ExtractJson(string answer)
    {
        var text = answer.Trim();
        if (TryParse(text, out var json))
        {
            return json;
        }

        var start = text.IndexOfAny(['{', '[']);
        var end = text.LastIndexOfAny(['}', ']']);
        if (start >= 0 && end > start && TryParse(text[start..(end + 1)], out json))
        {
            return json;
        }

        throw new CliFailureException("the model's answer is not valid JSON for the schema — try again or choose a model with JSON output (`art models catalog --capability json_output`)");
    }

    private static bool TryParse(string text, out string json)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            json = document.RootElement.GetRawText();
            return true;
        }
        catch (JsonException)
        {
            json = string.Empty;
            return false;
        }
    }
}
