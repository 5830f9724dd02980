namespace Art.Hosting;

/// <summary>
/// The one-call entry point (upstream's <c>createArtInstance</c>). Named <c>ArtHost</c> rather than <c>Art</c>: a type
/// called <c>Art</c> would collide with the <c>Art</c> namespace in every caller's code.
/// </summary>
public static class ArtHost
{
    /// <summary>Builds an instance from options; <paramref name="configure"/> adds provider factories, tools, storage and secrets.</summary>
    public static Task<ArtInstance> CreateArtInstanceAsync(ArtOptions options, Action<ArtBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var builder = new ArtBuilder(options);
        configure?.Invoke(builder);
        return builder.BuildAsync(cancellationToken);
    }
}
