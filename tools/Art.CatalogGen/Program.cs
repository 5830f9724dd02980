using System.Globalization;
using Art.Models;

// Regenerates the embedded seed catalog. Usage (from the repository root):
//   dotnet run --project tools/Art.CatalogGen -- [price-map.json] [output.json]
// The defaults are the pinned snapshot next to the repository and src/Art/Models/default-models.json.
// The price map path is a tool argument only: nothing in the build or the tests reads it.
var priceMapPath = args.Length > 0 ? args[0] : Path.Combine("..", "shared", "data", "litellm-model-prices-2026-07-24.json");
var outputPath = args.Length > 1 ? args[1] : Path.Combine("src", "Art", "Models", "default-models.json");
if (!File.Exists(priceMapPath))
{
    Console.Error.WriteLine($"Price map not found: {Path.GetFullPath(priceMapPath)}");
    Console.Error.WriteLine("Usage: dotnet run --project tools/Art.CatalogGen -- <litellm-price-map.json> [output.json]");
    return 2;
}

var asOf = SnapshotDate(priceMapPath);
IReadOnlyList<ModelInfo> parsed;
var stream = File.OpenRead(priceMapPath);
await using (stream.ConfigureAwait(false))
{
    parsed = await LiteLlmPriceMap.ParseAsync(stream, ModelInfoSource.Seed, asOf).ConfigureAwait(false);
}

// Ollama entries of the price map are stale (local models are discovered from the running server); the seed carries a
// curated list of common families instead, so a fresh install can route to them before discovery runs.
var models = parsed.Where(m => m.Provider != "ollama").Select(m => m with { UpdatedAt = null }).ToList();
models.AddRange(CatalogOllama.Models);
models.Sort(LiteLlmPriceMap.CompareByKey);

var catalog = new ModelCatalogFile
{
    GeneratedFrom = Path.GetFileName(priceMapPath) + " (chat models of openai, anthropic, gemini, deepseek, openrouter) + curated Ollama families",
    Attribution = "Prices, context windows and capability flags from the LiteLLM model price map, https://github.com/BerriAI/litellm, MIT License, Copyright (c) 2023 Berri AI.",
    Models = models,
};

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
await File.WriteAllTextAsync(outputPath, catalog.ToJson()).ConfigureAwait(false);
foreach (var group in models.GroupBy(m => m.Provider))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{group.Key,-12} {group.Count(),4} models"));
}

Console.WriteLine($"Wrote {models.Count} models to {Path.GetFullPath(outputPath)}");
return 0;

// "litellm-model-prices-2026-07-24.json" → 2026-07-24, so deprecation dates compare against the snapshot, not today.
static DateTimeOffset SnapshotDate(string path)
{
    var name = Path.GetFileNameWithoutExtension(path);
    return name.Length >= 10 && DateTimeOffset.TryParseExact(name[^10..], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
        ? date
        : new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
}
