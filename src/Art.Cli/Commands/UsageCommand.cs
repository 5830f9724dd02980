using System.CommandLine;
using System.Globalization;
using Art.Costs;

namespace Art.Cli.Commands;

/// <summary>
/// <c>art usage</c>: the cost ledger's totals per thread, instance and model. A call whose price was unknown counts
/// in the tokens and makes the cost read "unknown" (or "$x + unknown"), never a silent zero.
/// </summary>
internal static class UsageCommand
{
    public static Command Create(CliContext context)
    {
        var thread = new Option<string?>("--thread") { Description = "Only this thread", HelpName = "ID" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (see docs/cli.md)" };
        var command = new Command("usage", "Tokens and cost per thread, instance and model") { thread, json };
        command.SetAction((parse, _) => CliApp.WithSessionAsync(
            context,
            async session =>
            {
                var threadId = parse.GetValue(thread);
                IReadOnlyList<ThreadUsage> usage = threadId is null
                    ? await session.Art.CostTracker.GetAllUsageAsync(context.Cancellation).ConfigureAwait(false)
                    : [await session.Art.CostTracker.GetThreadUsageAsync(threadId, context.Cancellation).ConfigureAwait(false)];
                var total = Sum(usage.Select(u => u.Total));
                if (parse.GetValue(json))
                {
                    CliJson.Write(context.Out, new UsageReport { Threads = usage, Total = total, TotalCostKnown = total.UnknownCostCalls == 0 });
                    return ExitCodes.Success;
                }

                var table = new CliTable("THREAD", "INSTANCE / MODEL", "CALLS", "INPUT", "OUTPUT", "COST");
                foreach (var u in usage)
                {
                    table.AddRow(u.ThreadId, "total", Calls(u.Total), Tokens(u.Total.InputTokens), Tokens(u.Total.OutputTokens), Cost(u.Total));
                    foreach (var (instance, totals) in u.ByInstance.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        table.AddRow(string.Empty, "instance " + instance, Calls(totals), Tokens(totals.InputTokens), Tokens(totals.OutputTokens), Cost(totals));
                    }

                    foreach (var (model, totals) in u.ByModel.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        table.AddRow(string.Empty, "model " + model, Calls(totals), Tokens(totals.InputTokens), Tokens(totals.OutputTokens), Cost(totals));
                    }
                }

                table.AddRow("all threads", string.Empty, Calls(total), Tokens(total.InputTokens), Tokens(total.OutputTokens), Cost(total));
                table.Write(context);
                return ExitCodes.Success;
            },
            withProviders: false,
            unlockSecrets: false));
        return command;
    }

    /// <summary>"$0.0123", "unknown" when no call had a known price, "$0.0123 + unknown" when some did not.</summary>
    internal static string Cost(UsageTotals totals) => totals.UnknownCostCalls == 0
        ? Format.Money(totals.Cost)
        : totals.UnknownCostCalls >= totals.Calls ? "unknown" : Format.Money(totals.Cost) + " + unknown";

    private static string Calls(UsageTotals totals) => totals.Calls.ToString(CultureInfo.InvariantCulture);

    private static string Tokens(long tokens) => tokens.ToString("N0", CultureInfo.InvariantCulture);

    private static UsageTotals Sum(IEnumerable<UsageTotals> all)
    {
        var list = all.ToList();
        return new UsageTotals
        {
            Cost = list.Sum(t => t.Cost),
            UnknownCostCalls = list.Sum(t => t.UnknownCostCalls),
            Calls = list.Sum(t => t.Calls),
            InputTokens = list.Sum(t => t.InputTokens),
            OutputTokens = list.Sum(t => t.OutputTokens),
            CachedInputTokens = list.Sum(t => t.CachedInputTokens),
            ReasoningTokens = list.Sum(t => t.ReasoningTokens),
        };
    }
}

/// <summary><c>art usage --json</c>.</summary>
internal sealed record UsageReport
{
    public required IReadOnlyList<ThreadUsage> Threads { get; init; }

    /// <summary>Sum over the listed threads; <c>cost</c> covers only calls with a known price.</summary>
    public required UsageTotals Total { get; init; }

    /// <summary>False when some call's price was unknown (then <c>total.cost</c> is a lower bound).</summary>
    public bool TotalCostKnown { get; init; }
}
