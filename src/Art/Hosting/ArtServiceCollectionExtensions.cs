using Art.Agents;
using Art.Context;
using Art.Costs;
using Art.Models;
using Art.Observation;
using Art.Reasoning;
using Art.Storage;
using Art.Tools;
using Art.UI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Art.Hosting;

/// <summary>Registers ART in a Microsoft.Extensions.DependencyInjection container.</summary>
public static class ArtServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="ArtOptions"/> from the <c>Art</c> section of <paramref name="configuration"/> when it has one,
    /// else from its root (see <see cref="ArtOptions.Bind"/>), and registers <see cref="ArtInstance"/> as a singleton
    /// built on first resolution (with the container's <see cref="ILoggerFactory"/> and <see cref="TimeProvider"/> when
    /// registered), plus its main parts: <see cref="IReasoningEngine"/>, <see cref="IStateManager"/>,
    /// <see cref="IConversationManager"/>, <see cref="IObservationManager"/>, <see cref="IModelRegistry"/>,
    /// <see cref="IModelRouter"/>, <see cref="ICostTracker"/>, <see cref="IProviderInstanceManager"/>,
    /// <see cref="IStorageAdapter"/>, <see cref="UISystem"/>, <see cref="ToolRegistry"/>, <see cref="ToolSystem"/> and <see cref="IAgentCore"/>.
    /// The build is asynchronous; code that can await should prefer <see cref="ArtInstanceAccessor.GetAsync"/>.
    /// Configuration errors surface at first resolution as <see cref="ArtConfigurationException"/>.
    /// </summary>
    public static IServiceCollection AddArt(this IServiceCollection services, IConfiguration configuration, Action<ArtBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(sp => new ArtInstanceAccessor(async ct =>
        {
            var builder = new ArtBuilder(ArtOptions.Bind(configuration));
            if (sp.GetService<ILoggerFactory>() is { } loggerFactory)
            {
                builder.UseLoggerFactory(loggerFactory);
            }

            if (sp.GetService<TimeProvider>() is { } time)
            {
                builder.UseTimeProvider(time);
            }

            configure?.Invoke(builder);
            return await builder.BuildAsync(ct).ConfigureAwait(false);
        }));

        // Task.Run: blocking on the build must not capture a synchronization context of the resolving thread.
        services.TryAddSingleton(sp => Task.Run(() => sp.GetRequiredService<ArtInstanceAccessor>().GetAsync()).GetAwaiter().GetResult());
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().ReasoningEngine);
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().StateManager);
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().ConversationManager);
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().ObservationManager);
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().ModelRegistry);
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().Router);
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().CostTracker);
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().ProviderInstanceManager);
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().Storage);
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().UISystem);
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().ToolRegistry);
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().ToolSystem);
        services.TryAddSingleton(sp => sp.GetRequiredService<ArtInstance>().Agent);
        return services;
    }
}
