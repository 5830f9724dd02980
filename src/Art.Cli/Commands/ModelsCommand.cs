using System.CommandLine;
using System.Globalization;
using Art.Hosting;
using Art.Models;
using Art.Reasoning;
using Spectre.Console;

namespace Art.Cli.Commands;

/// <summary><c>art models list|show|pull|rm|catalog|import-prices</c>.</summary>
internal static class ModelsCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("models", "Models of an instance (list, show, pull, rm) and the model catalog (catalog, import-prices)");
        command.Subcommands.Add(List(context));
        command.Subcommands.Add(Show(context));
        command.Subcommands.Add(Pull(context));
        command.Subcommands.Add(Remove(context));
        command.Subcommands.Add(Catalog(context));
        command.Subcommands.Add(ImportPrices(context));
        return command;
    }

    private static Option<string?> InstanceOption() => new("--instance") { Description = "Instance (default: the defaults' instance, else the first configured)", HelpName = "ID" };

    private static Option<bool> JsonOption() => new("--json") { Description = "Machine-readable output (see docs/cli.md)" };

    private static Command List(CliContext context)
    {
        var instance = InstanceOption();
        var json = JsonOption();
        var command = new Command("list", "Models the instance has (its own list)") { instance, json };
        command.SetAction((parse, _) => CliApp.WithSessionAsync(context, async session =>
        {
            var (id, adapter) = ResolveAdapter(session, parse.GetValue(instance));
            var models = await adapter.ListModelsAsync(context.Cancellation).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                CliJson.Write(context.Out, new { instanceId = id, provider = adapter.ProviderName, models });
                return ExitCodes.Success;
            }

            var table = new CliTable("NAME", "SIZE", "MODIFIED", "CONTEXT");
            foreach (var m in models)
            {
                table.AddRow(
                    m.Name,
                    m.SizeBytes is { } size ? Format.Bytes(size) : "-",
                    m.ModifiedAt?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-",
                    m.ContextWindow?.ToString(CultureInfo.InvariantCulture) ?? "-");
            }

            table.Write(context);
            context.Out.WriteLine($"{models.Count} model(s) on {id}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Show(CliContext context)
    {
        var instance = InstanceOption();
        var json = JsonOption();
        var name = new Argument<string>("NAME") { Description = "Model name" };
        var command = new Command("show", "Details of one model: capabilities, context window, prices") { instance, json, name };
        command.SetAction((parse, _) => CliApp.WithSessionAsync(context, async session =>
        {
            var (id, adapter) = ResolveAdapter(session, parse.GetValue(instance));
            var modelName = parse.GetValue(name)!;
            ProviderModelDetails? details = null;
            ProviderModelInfo? listed = null;
            if (adapter is IModelManagement management)
            {
                details = await management.ShowModelAsync(modelName, context.Cancellation).ConfigureAwait(false);
            }
            else
            {
                var models = await adapter.ListModelsAsync(context.Cancellation).ConfigureAwait(false);
                listed = models.FirstOrDefault(m => string.Equals(m.Name, modelName, StringComparison.OrdinalIgnoreCase));
            }

            var config = session.Art.ProviderInstanceManager.GetConfig(id);
            var registry = session.Art.ModelRegistry.GetModelInfo(config.Provider, modelName);
            var pricing = session.Art.ModelRegistry.ResolvePricing(config, modelName);
            if (details is null && listed is null && registry is null)
            {
                throw new CliFailureException($"instance '{id}' has no model '{modelName}' — see `art models list --instance {id}`");
            }

            if (parse.GetValue(json))
            {
                CliJson.Write(context.Out, new { instanceId = id, provider = config.Provider, name = modelName, details, listed, registry, pricing });
                return ExitCodes.Success;
            }

            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow("[bold]model[/]", Markup.Escape(modelName));
            grid.AddRow("[bold]instance[/]", Markup.Escape($"{id} ({config.Provider})"));
            var context2 = details?.ContextWindow ?? listed?.ContextWindow ?? registry?.ContextWindow;
            grid.AddRow("[bold]context[/]", context2?.ToString(CultureInfo.InvariantCulture) ?? "unknown");
            if (details is not null)
            {
                grid.AddRow("[bold]capabilities[/]", Markup.Escape(details.RawCapabilities.Count > 0 ? string.Join(", ", details.RawCapabilities) : Format.Capabilities(details.Capabilities)));
                if (details.Family is not null)
                {
                    grid.AddRow("[bold]family[/]", Markup.Escape(details.Family));
                }

                if (details.ParameterSize is not null)
                {
                    grid.AddRow("[bold]parameters[/]", Markup.Escape(details.ParameterSize));
                }

                if (details.QuantizationLevel is not null)
                {
                    grid.AddRow("[bold]quantization[/]", Markup.Escape(details.QuantizationLevel));
                }
            }
            else if (registry is not null)
            {
                grid.AddRow("[bold]capabilities[/]", Markup.Escape(Format.Capabilities(registry)));
            }

            grid.AddRow("[bold]price in/out per 1M[/]", Markup.Escape(session.Art.ProviderInstanceManager.IsLocal(id) ? "free (local)" : Format.Prices(pricing)));
            Format.Console(context).Write(grid);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Pull(CliContext context)
    {
        var instance = InstanceOption();
        var name = new Argument<string>("NAME") { Description = "Model to download (e.g. llama3.2:3b)" };
        var command = new Command("pull", "Download a model to a local instance, with progress") { instance, name };
        command.SetAction((parse, _) => CliApp.WithSessionAsync(context, async session =>
        {
            var (id, adapter) = ResolveAdapter(session, parse.GetValue(instance));
            var management = adapter as IModelManagement
                ?? throw new CliFailureException($"instance '{id}' ({adapter.ProviderName}) does not manage local models — pull works with Ollama instances");
            var modelName = parse.GetValue(name)!;
            await PullProgressView.RunAsync(context, modelName, id, management).ConfigureAwait(false);
            await session.Art.EnsureModelKnownAsync(id, modelName, context.Cancellation).ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Remove(CliContext context)
    {
        var instance = InstanceOption();
        var name = new Argument<string>("NAME") { Description = "Model to delete" };
        var command = new Command("rm", "Delete a model from a local instance") { instance, name };
        command.SetAction((parse, _) => CliApp.WithSessionAsync(context, async session =>
        {
            var (id, adapter) = ResolveAdapter(session, parse.GetValue(instance));
            var management = adapter as IModelManagement
                ?? throw new CliFailureException($"instance '{id}' ({adapter.ProviderName}) does not manage local models — rm works with Ollama instances");
            var modelName = parse.GetValue(name)!;
            await management.DeleteModelAsync(modelName, context.Cancellation).ConfigureAwait(false);
            context.Out.WriteLine($"deleted {modelName} from {id}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Catalog(CliContext context)
    {
        var provider = new Option<string?>("--provider") { Description = "Only this provider type (openai, anthropic, gemini, ...)", HelpName = "P" };
        var capability = new Option<string?>("--capability") { Description = "Only models that have it (vision, tool_use, reasoning, json_output, ...)", HelpName = "C" };
        var json = JsonOption();
        var command = new Command("catalog", "The model registry: capabilities, context windows and prices") { provider, capability, json };
        command.SetAction((parse, _) => CliApp.WithSessionAsync(
            context,
            async session =>
            {
                ModelCapability? wanted = null;
                if (parse.GetValue(capability) is { } text)
                {
                    wanted = ArtModelPreferencesOptions.TryParseCapability(text, out var c)
                        ? c
                        : throw new CliUsageException($"unknown capability '{text}' (known: {string.Join(", ", Enum.GetNames<ModelCapability>().Select(ArtModelPreferencesOptions.ToSnake))})");
                }

                var providerName = parse.GetValue(provider)?.Trim().ToLowerInvariant();
                var all = await session.Art.ModelRegistry.GetAllModelsForUIAsync(context.Cancellation).ConfigureAwait(false);
                var models = all
                    .Where(m => providerName is null || string.Equals(m.Provider, providerName, StringComparison.OrdinalIgnoreCase))
                    .Where(m => wanted is null || m.Capabilities.Contains(wanted.Value))
                    .ToList();
                if (parse.GetValue(json))
                {
                    CliJson.Write(context.Out, models);
                    return ExitCodes.Success;
                }

                var table = new CliTable("MODEL", "CONTEXT", "IN $/1M", "OUT $/1M", "CAPABILITIES");
                foreach (var m in models)
                {
                    table.AddRow(
                        $"{m.Provider}/{m.ModelId}",
                        m.ContextWindow?.ToString(CultureInfo.InvariantCulture) ?? "unknown",
                        Format.Money(m.Pricing?.InputPerMillion),
                        Format.Money(m.Pricing?.OutputPerMillion),
                        string.Join(", ", m.Capabilities.Select(c => ArtModelPreferencesOptions.ToSnake(c.ToString()))));
                }

                table.Write(context);
                context.Out.WriteLine($"{models.Count} model(s)");
                return ExitCodes.Success;
            },
            withProviders: false,
            unlockSecrets: false));
        return command;
    }

    private static Command ImportPrices(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "A LiteLLM-format price map (model_prices_and_context_window.json)" };
        var command = new Command("import-prices", "Import prices and context windows into the registry") { file };
        command.SetAction((parse, _) =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new CliUsageException($"price file '{path}' does not exist");
            }

            return CliApp.WithSessionAsync(
                context,
                async session =>
                {
                    var stream = File.OpenRead(path);
                    await using (stream.ConfigureAwait(false))
                    {
                        int count;
                        try
                        {
                            count = await session.Art.ModelRegistry.ImportPriceMapAsync(stream, context.Cancellation).ConfigureAwait(false);
                        }
                        catch (System.Text.Json.JsonException ex)
                        {
                            throw new CliFailureException($"'{path}' is not a LiteLLM price map: {ex.Message}");
                        }

                        context.Out.WriteLine($"imported {count} model price(s) from {path}");
                    }

                    return ExitCodes.Success;
                },
                withProviders: false,
                unlockSecrets: false);
        });
        return command;
    }

    internal static (string Id, IProviderAdapter Adapter) ResolveAdapter(CliSession session, string? instanceId)
    {
        var id = instanceId
            ?? session.Art.DefaultThreadConfig.Reasoning.InstanceId
            ?? (session.Art.ProviderInstanceManager.Instances is { Count: > 0 } all ? all[0].Id : null)
            ?? throw new CliUsageException("no provider instance is configured — add one under providers in art.json");
        return (id, session.Art.ProviderInstanceManager.GetAdapter(id));
    }
}
