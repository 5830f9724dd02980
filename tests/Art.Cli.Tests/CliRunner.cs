using System.Diagnostics;
using System.Text;

namespace Art.Cli.Tests;

/// <summary>The outcome of one <c>art</c> run.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the real <c>art</c> process (<c>dotnet Art.Cli.dll</c> from this test's output folder) in a temp folder that
/// is also its HOME, XDG_CONFIG_HOME and XDG_DATA_HOME, with provider and ART variables cleared.
/// </summary>
public sealed class CliRunner : IDisposable
{
    private static readonly string[] ClearedVariables =
    [
        "ART_MASTER_PASSWORD", "ART_NEW_MASTER_PASSWORD", "ART_DEBUG", "OLLAMA_HOST", "OPENAI_API_KEY", "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY", "GOOGLE_API_KEY", "DEEPSEEK_API_KEY", "OPENROUTER_API_KEY", "NO_COLOR",
    ];

    public CliRunner()
    {
        Root = Directory.CreateTempSubdirectory("art-cli-").FullName;
        Directory.CreateDirectory(Path.Join(Root, "config"));
        Directory.CreateDirectory(Path.Join(Root, "data"));
    }

    /// <summary>The temp folder: working directory and HOME.</summary>
    public string Root { get; }

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public static string CliDll => Path.Join(AppContext.BaseDirectory, "Art.Cli.dll");

    /// <summary>Writes <c>art.json</c> into the working directory.</summary>
    public string WriteConfig(string json)
    {
        var path = Path.Join(Root, "art.json");
        File.WriteAllText(path, json);
        return path;
    }

    public string WriteFile(string name, string content)
    {
        var path = Path.Join(Root, name);
        File.WriteAllText(path, content);
        return path;
    }

    public Process Start(params string[] args) => StartWithInput(null, args);

    public Process StartWithInput(string? stdin, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(CliDll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var name in ClearedVariables)
        {
            info.Environment.Remove(name);
        }

        info.Environment["HOME"] = Root;
        info.Environment["XDG_CONFIG_HOME"] = Path.Join(Root, "config");
        info.Environment["XDG_DATA_HOME"] = Path.Join(Root, "data");
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in Environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        return process;
    }

    public async Task<CliResult> RunAsync(params string[] args) => await RunWithInputAsync(null, args);

    public async Task<CliResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        using var process = StartWithInput(stdin, args);
        return await CollectAsync(process);
    }

    public static async Task<CliResult> CollectAsync(Process process, TimeSpan? timeout = null)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("art did not exit in time; stderr so far: " + (stderr.IsCompleted ? stderr.Result : "(open)"));
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
