using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Art.Cli.Tests;

/// <summary>art.json documents for the tests.</summary>
internal static class CliTestConfig
{
    public const string Model = "test-model";

    /// <summary>One openai-compatible instance <paramref name="id"/> at <paramref name="baseUrl"/>, SQLite in the runner's folder.</summary>
    public static string OneInstance(CliRunner cli, string baseUrl, string id = "local", bool priced = true, bool? isLocal = null, string? extraEngine = null)
    {
        var instance = new JsonObject
        {
            ["id"] = id,
            ["provider"] = "openai-compatible",
            ["baseUrl"] = baseUrl,
            ["model"] = Model,
        };
        if (isLocal is { } local)
        {
            instance["isLocal"] = local;
        }

        if (priced)
        {
            instance["pricing"] = new JsonObject { [Model] = new JsonObject { ["inputPerMillion"] = 1, ["outputPerMillion"] = 2 } };
        }

        var root = new JsonObject
        {
            ["storage"] = new JsonObject { ["kind"] = "sqlite", ["path"] = Path.Join(cli.Root, "art.db") },
            ["providers"] = new JsonArray(instance),
            ["engine"] = JsonNode.Parse(extraEngine ?? """{"maxRetriesPerInstance": 0, "baseBackoff": "00:00:00.010"}"""),
        };
        return root.ToJsonString();
    }

    /// <summary>Only the SQLite file (providers fall back to the default Ollama instance).</summary>
    public static string StorageOnly(CliRunner cli) =>
        new JsonObject { ["storage"] = new JsonObject { ["kind"] = "sqlite", ["path"] = Path.Join(cli.Root, "art.db") } }.ToJsonString();

    /// <summary>A loopback port nothing listens on.</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
