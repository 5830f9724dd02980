using System.Globalization;
using Art.Models;
using Spectre.Console;

namespace Art.Cli;

/// <summary>Human-readable values for tables and progress lines.</summary>
internal static class Format
{
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    /// <summary>USD amount, or <c>unknown</c> (a missing price is not zero).</summary>
    public static string Money(decimal? amount) => amount is { } a ? "$" + a.ToString("0.######", CultureInfo.InvariantCulture) : "unknown";

    public static string Prices(ModelPricing? pricing) => $"{Money(pricing?.InputPerMillion)} / {Money(pricing?.OutputPerMillion)}";

    public static string Capabilities(IReadOnlyDictionary<ModelCapability, bool> capabilities) =>
        capabilities.Count == 0 ? "unknown" : string.Join(", ", capabilities.Where(c => c.Value).Select(c => Hosting.ArtModelPreferencesOptions.ToSnake(c.Key.ToString())));

    public static string Capabilities(ModelInfo model) => Capabilities(model.Capabilities);

    /// <summary>A Spectre console on the verb's stdout (plain text when it is not a terminal).</summary>
    public static IAnsiConsole Console(CliContext context)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(context.Out),
            Ansi = CliContext.StdoutIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = CliContext.StdoutIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = CliContext.StdoutIsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!CliContext.StdoutIsTerminal)
        {
            // Redirected output has no width; wrapping cells at 80 columns would break grep and friends.
            console.Profile.Width = 200;
        }

        return console;
    }
}
