using System.Text.RegularExpressions;
using Art.Reasoning;

namespace Art.Models;

/// <summary>
/// Infers what a call needs from a model when the caller did not say. Structural facts are always used (they are
/// certain: an attached image needs vision, offered tools need tool use, a response schema needs structured output);
/// text heuristics only when the thread turns them on (<see cref="Context.ThreadReasoningConfig.AutoDetectCapabilities"/>),
/// because words like "function" or "compare" are weak evidence.
/// </summary>
/// <remarks>
/// The result starts with <see cref="ModelCapability.Text"/>, then Vision, ToolUse, JsonOutput, Code, Reasoning (each at
/// most once). Heuristics read the last user message: Vision for <c>data:image</c> or an http(s) URL ending in an image
/// extension; Code and Reasoning on whole words (upstream's lists, extended), case-insensitive.
/// </remarks>
public static partial class QueryAnalyzer
{
    /// <summary>Capabilities the call needs.</summary>
    public static IReadOnlyList<ModelCapability> Analyze(ArtPrompt prompt, CallOptions options, bool useTextHeuristics)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(options);
        var result = new List<ModelCapability>(4) { ModelCapability.Text };

        var text = useTextHeuristics ? prompt.LastUserText : null;
        if (HasImages(prompt, options) || (text is not null && ImageReference().IsMatch(text)))
        {
            result.Add(ModelCapability.Vision);
        }

        if (options.Tools is { Count: > 0 })
        {
            result.Add(ModelCapability.ToolUse);
        }

        if (options.ResponseSchema is { ValueKind: not System.Text.Json.JsonValueKind.Undefined })
        {
            result.Add(ModelCapability.JsonOutput);
        }

        if (text is not null)
        {
            if (CodeHint().IsMatch(text))
            {
                result.Add(ModelCapability.Code);
            }

            if (ReasoningHint().IsMatch(text))
            {
                result.Add(ModelCapability.Reasoning);
            }
        }

        return result;
    }

    private static bool HasImages(ArtPrompt prompt, CallOptions options)
    {
        if (options.Images is { Count: > 0 })
        {
            return true;
        }

        foreach (var message in prompt.Messages)
        {
            if (message.Images.Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>data:image/...</c>, or an http(s) URL whose path ends in an image extension (a query string may follow).</summary>
    [GeneratedRegex(@"data:image/|https?://[^\s""'<>()]+?\.(?:jpe?g|png|gif|webp)(?:[?#][^\s""'<>()]*)?(?=$|[\s""'<>()\],.;!])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 250)]
    private static partial Regex ImageReference();

    /// <summary>Upstream: code, function, class, debug, programming. Added: common inflections and unambiguous coding words, and code fences.</summary>
    [GeneratedRegex(@"```|\b(?:code|coding|function|functions|class|classes|debug|debugging|programming|program|refactor|refactoring|compile|compiler|bug|bugs|stack ?trace|exception|regex|sql|python|javascript|typescript|java|rust|golang|csharp|unit tests?|algorithm|api|script)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 250)]
    private static partial Regex CodeHint();

    /// <summary>Upstream: analyze, compare, evaluate, optimize. Added: British spellings, inflections and explicit reasoning requests.</summary>
    [GeneratedRegex(@"\b(?:analy[sz]e|analy[sz]ing|analysis|compare|comparing|comparison|evaluate|evaluating|evaluation|optimi[sz]e|optimi[sz]ing|optimi[sz]ation|prove|proof|derive|deduce|reason about|step[- ]by[- ]step|pros and cons|trade-?offs?|why does|why is)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 250)]
    private static partial Regex ReasoningHint();
}
