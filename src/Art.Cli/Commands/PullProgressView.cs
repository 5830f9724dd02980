using System.Diagnostics;
using System.Globalization;
using Art.Models;
using Art.Reasoning;
using Spectre.Console;

namespace Art.Cli.Commands;

/// <summary>
/// Shows a pull: a Spectre progress bar (bytes, percent, speed) on a terminal; plain lines when stdout is redirected
/// (<c>pulling 5ee4f07cdb9b  42.0%  840.0 MB / 2.0 GB  31.2 MB/s</c>), one per status change or whole percent.
/// </summary>
internal static class PullProgressView
{
    public static async Task RunAsync(CliContext context, string model, string instanceId, IModelManagement management)
    {
        if (CliContext.StdoutIsTerminal)
        {
            await RunInteractiveAsync(context, model, instanceId, management).ConfigureAwait(false);
        }
        else
        {
            await RunPlainAsync(context, model, instanceId, management).ConfigureAwait(false);
        }
    }

    private static async Task RunPlainAsync(CliContext context, string model, string instanceId, IModelManagement management)
    {
        var clock = Stopwatch.StartNew();
        string? lastStatus = null;
        var lastPercent = -1;
        var progress = new SyncProgress<PullProgress>(p =>
        {
            var percent = (int)Math.Floor(p.Percent);
            if (p.Status == lastStatus && percent == lastPercent && !p.IsComplete)
            {
                return;
            }

            lastStatus = p.Status;
            lastPercent = percent;
            var speed = clock.Elapsed.TotalSeconds > 0.05 ? p.CompletedBytes / clock.Elapsed.TotalSeconds : 0;
            var line = p.TotalBytes > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{p.Status}  {p.Percent,5:0.0}%  {Format.Bytes(p.CompletedBytes)} / {Format.Bytes(p.TotalBytes)}  {Format.Bytes((long)speed)}/s")
                : p.Status;
            context.Out.WriteLine(line);
            context.Out.Flush();
        });

        context.Out.WriteLine($"pulling {model} on {instanceId}");
        await management.PullModelAsync(model, new PullModelOptions { Progress = progress }, context.Cancellation).ConfigureAwait(false);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done  100.0%  {model} pulled in {clock.Elapsed.TotalSeconds:0.0}s"));
        context.Out.Flush();
    }

    private static async Task RunInteractiveAsync(CliContext context, string model, string instanceId, IModelManagement management)
    {
        var console = Format.Console(context);
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn(),
                new RemainingTimeColumn())
            .StartAsync(async progressContext =>
            {
                var task = progressContext.AddTask(Markup.Escape($"{model} ({instanceId})"), maxValue: 1);
                var progress = new SyncProgress<PullProgress>(p =>
                {
                    if (p.TotalBytes > 0)
                    {
                        task.MaxValue = p.TotalBytes;
                        task.Value = Math.Min(p.CompletedBytes, p.TotalBytes);
                    }

                    task.Description = Markup.Escape($"{model}: {p.Status}");
                    if (p.IsComplete)
                    {
                        task.Value = task.MaxValue;
                    }
                });
                await management.PullModelAsync(model, new PullModelOptions { Progress = progress }, context.Cancellation).ConfigureAwait(false);
                task.Value = task.MaxValue;
                task.StopTask();
            }).ConfigureAwait(false);
    }

    /// <summary>Runs the handler on the reporting thread, in order (<see cref="Progress{T}"/> posts asynchronously and may reorder).</summary>
    private sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
    {
        private readonly Lock _gate = new();

        public void Report(T value)
        {
            lock (_gate)
            {
                handler(value);
            }
        }
    }
}
