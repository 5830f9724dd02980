namespace Art.Hosting;

/// <summary>A preferred target: an instance (optionally with a model), or a provider type and model.</summary>
public sealed class ArtModelTargetOptions
{
    public string? InstanceId { get; set; }

    public string? Provider { get; set; }

    public string? ModelId { get; set; }
}
