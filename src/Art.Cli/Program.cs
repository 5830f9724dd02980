using Art.Cli;

return await CliApp.RunAsync(args).ConfigureAwait(false);
