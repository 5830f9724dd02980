using System.Globalization;
using System.Text;

namespace Art.Models;

/// <summary>
/// Readable names for model pickers, derived from ids when an entry has none: <c>gpt-4o-mini</c> → "GPT-4o Mini",
/// <c>claude-3-5-haiku-20241022</c> → "Claude 3.5 Haiku", <c>openai/gpt-4o</c> at OpenRouter → "OpenAI: GPT-4o",
/// <c>llama3.2:3b</c> → "Llama3.2 (3b)". Upstream's first-occurrence string replacement produced names such as
/// "DeepSeek codeR-V2"; this tokenises instead.
/// </summary>
public static class ModelDisplayNames
{
    private static readonly Dictionary<string, string> Brands = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt"] = "GPT",
        ["chatgpt"] = "ChatGPT",
        ["claude"] = "Claude",
        ["gemini"] = "Gemini",
        ["gemma"] = "Gemma",
        ["deepseek"] = "DeepSeek",
        ["openai"] = "OpenAI",
        ["anthropic"] = "Anthropic",
        ["google"] = "Google",
        ["mistralai"] = "Mistral AI",
        ["meta-llama"] = "Meta Llama",
        ["qwen"] = "Qwen",
        ["x-ai"] = "xAI",
        ["llava"] = "LLaVA",
        ["phi"] = "Phi",
        ["vl"] = "VL",
        ["oss"] = "OSS",
        ["r1"] = "R1",
        ["v3"] = "V3",
    };

    /// <summary>Capability names for pickers (upstream's wording).</summary>
    public static string ForCapability(ModelCapability capability) => capability switch
    {
        ModelCapability.Text => "Text Generation",
        ModelCapability.Vision => "Image Understanding",
        ModelCapability.Streaming => "Streaming Support",
        ModelCapability.ToolUse => "Tool/Function Calling",
        ModelCapability.Rag => "Retrieval Augmented Generation",
        ModelCapability.Code => "Code Generation",
        ModelCapability.Reasoning => "Advanced Reasoning",
        ModelCapability.JsonOutput => "Structured Output",
        _ => capability.ToString(),
    };

    /// <summary>A display name for a model id of a provider.</summary>
    public static string For(string provider, string modelId)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        var id = modelId;
        string? vendor = null;
        var slash = id.LastIndexOf('/');
        if (slash > 0)
        {
            vendor = id[..slash];
            id = id[(slash + 1)..];
        }

        string? tag = null;
        var colon = id.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            tag = id[(colon + 1)..];
            id = id[..colon];
        }

        var tokens = new List<string>(id.Split('-', StringSplitOptions.RemoveEmptyEntries));
        // A trailing release date (20241022, or 2024-10-22 split in three) is noise in a picker.
        if (tokens.Count > 1 && tokens[^1].Length == 8 && IsDigits(tokens[^1]))
        {
            tokens.RemoveAt(tokens.Count - 1);
        }
        else if (tokens.Count > 3 && tokens[^3].Length == 4 && IsDigits(tokens[^3]) && IsDigits(tokens[^2]) && IsDigits(tokens[^1]))
        {
            tokens.RemoveRange(tokens.Count - 3, 3);
        }

        var name = new StringBuilder();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (i > 0)
            {
                var previous = tokens[i - 1];
                // "claude-3-5" → "Claude 3.5"; "gpt-4o" → "GPT-4o".
                name.Append(IsDigits(previous) && IsDigits(token) && token.Length <= 2 ? '.' : (i == 1 && string.Equals(previous, "gpt", StringComparison.OrdinalIgnoreCase) ? '-' : ' '));
            }

            name.Append(Word(token));
        }

        if (tag is not null && !string.Equals(tag, "latest", StringComparison.Ordinal))
        {
            name.Append(" (").Append(tag).Append(')');
        }

        if (vendor is not null)
        {
            return Word(vendor) + ": " + name;
        }

        _ = provider;
        return name.ToString();
    }

    private static string Word(string token)
    {
        if (Brands.TryGetValue(token, out var brand))
        {
            return brand;
        }

        if (token.Length == 0 || !char.IsLetter(token[0]))
        {
            return token;
        }

        return char.ToUpper(token[0], CultureInfo.InvariantCulture) + token[1..];
    }

    private static bool IsDigits(string s)
    {
        if (s.Length == 0)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
