using Art.Reasoning;

namespace Art.Costs;

/// <summary>
/// Tokenizer-free prompt size estimate used to reserve budget before a call. It errs on the high side on purpose:
/// a reservation that is too large only delays a call near the limit, one that is too small lets a thread overshoot.
/// </summary>
public static class TokenEstimator
{
    /// <summary>Characters per token of typical English/JSON text across the supported tokenizers.</summary>
    public const int CharactersPerToken = 4;

    /// <summary>Role markers and separators each message costs on chat templates.</summary>
    public const int TokensPerMessage = 4;

    /// <summary>Tokens the reply priming costs (<c>assistant</c> header).</summary>
    public const int TokensPerPrompt = 3;

    /// <summary>
    /// Tokens assumed per image: a high-detail 1024x1024 image is about 765 tokens on OpenAI and about 1,600 on
    /// Anthropic; 1,600 keeps the estimate an upper bound for common sizes.
    /// </summary>
    public const int TokensPerImage = 1_600;

    /// <summary>Estimated input tokens of a prompt: characters / 4 rounded up, plus per-message overhead and images.</summary>
    public static long EstimateTokens(ArtPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        long characters = 0;
        long images = 0;
        foreach (var message in prompt.Messages)
        {
            characters += message.Text?.Length ?? 0;
            characters += message.ToolCallId?.Length ?? 0;
            characters += message.ToolName?.Length ?? 0;
            foreach (var call in message.ToolCalls)
            {
                characters += call.Id.Length + call.Name.Length + call.Arguments.GetRawText().Length;
            }

            foreach (var thought in message.Thoughts)
            {
                characters += thought.Text.Length + (thought.RedactedData?.Length ?? 0);
            }

            images += message.Images.Count;
        }

        var textTokens = (characters + CharactersPerToken - 1) / CharactersPerToken;
        return textTokens + (prompt.Messages.Count * (long)TokensPerMessage) + TokensPerPrompt + (images * TokensPerImage);
    }
}
