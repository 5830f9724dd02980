namespace Art.Reasoning;

/// <summary>
/// The provider types ART can build: provider packages register their <see cref="IProviderFactory"/> under each of
/// its <see cref="IProviderFactory.ProviderNames"/> (case-insensitive). A name registered twice is an error rather than
/// a silent override, so two packages fighting over <c>openai</c> are noticed at startup.
/// </summary>
public sealed class ProviderFactoryRegistry
{
    private readonly Dictionary<string, IProviderFactory> _factories = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    /// <summary>Registers a factory under all its names; throws <see cref="ArtConfigurationException"/> when one is taken (nothing is registered then).</summary>
    public ProviderFactoryRegistry Register(IProviderFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (factory.ProviderNames.Count == 0)
        {
            throw new ArgumentException($"Provider factory {factory.GetType().Name} declares no provider names.", nameof(factory));
        }

        lock (_lock)
        {
            foreach (var name in factory.ProviderNames)
            {
                if (string.IsNullOrWhiteSpace(name))
                {
                    throw new ArgumentException($"Provider factory {factory.GetType().Name} declares an empty provider name.", nameof(factory));
                }

                if (_factories.TryGetValue(name, out var existing))
                {
                    throw new ArtConfigurationException(
                        $"Provider name '{name}' is registered twice: by {existing.GetType().Name} and by {factory.GetType().Name}. Register each provider package once.",
                        name);
                }
            }

            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var name in factory.ProviderNames)
            {
                if (!seen.Add(name))
                {
                    throw new ArtConfigurationException($"Provider factory {factory.GetType().Name} declares the name '{name}' twice.", name);
                }
            }

            foreach (var name in factory.ProviderNames)
            {
                _factories.Add(name, factory);
            }
        }

        return this;
    }

    /// <summary>Every registered provider name, sorted (for error messages and <c>art providers</c>).</summary>
    public IReadOnlyList<string> ProviderNames
    {
        get
        {
            lock (_lock)
            {
                return [.. _factories.Keys.Order(StringComparer.OrdinalIgnoreCase)];
            }
        }
    }

    public bool TryGetFactory(string providerName, out IProviderFactory factory)
    {
        ArgumentNullException.ThrowIfNull(providerName);
        lock (_lock)
        {
            return _factories.TryGetValue(providerName, out factory!);
        }
    }

    /// <summary>The factory of a provider; throws <see cref="ArtConfigurationException"/> listing the known names.</summary>
    public IProviderFactory GetFactory(string providerName)
    {
        if (TryGetFactory(providerName, out var factory))
        {
            return factory;
        }

        var known = ProviderNames;
        throw new ArtConfigurationException(
            $"Unknown provider '{providerName}'. Known providers: {(known.Count == 0 ? "(none registered)" : string.Join(", ", known))}.",
            providerName);
    }
}
