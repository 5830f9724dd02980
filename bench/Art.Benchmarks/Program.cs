using BenchmarkDotNet.Running;

namespace Art.Benchmarks;

public static class Program
{
    /// <summary>Runs the benchmarks chosen on the command line (e.g. <c>--filter *</c>, <c>--job dry</c>); see bench/README.md.</summary>
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
