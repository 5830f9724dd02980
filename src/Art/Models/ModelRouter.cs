using System.Globalization;
using System.Text;
using System.Text.Json;
using Art.Context;
using Art.Reasoning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Art.Models;

/// <summary>Settings of <see cref="ModelRouter"/>.</summary>
public sealed record ModelRouterOptions
{
    /// <summary>
    /// Most fallbacks a decision lists. Explicit <see cref="ModelPreferences.FallbackInstances"/> always come first; the
    /// cross-provider candidates fill the rest. A bound keeps a 10,000-model registry from producing 10,000 fallbacks.
    /// </summary>
    public int MaxFallbacks { get; init; } = 8;
}

/// <summary>
/// Deterministic, explainable routing (ARCHITECTURE §5 "Router"). The primary target is decided by the first step that
/// yields a usable candidate:
/// <list type="number">
/// <item>the call's <c>InstanceId</c>/<c>ModelId</c>, then the thread's <c>InstanceId</c>/<c>Model</c> (legacy
/// <c>Provider</c> resolves to its first instance);</item>
/// <item><see cref="ModelPreferences.PreferredModels"/> for the first required capability that has an entry
/// (<see cref="ModelCapability.Text"/> is looked up last: every call needs text, so a Text entry is the general preference);
/// a <c>{Provider, ModelId}</c> target goes to the first configured instance of that provider;</item>
/// <item><see cref="ModelPreferences.DefaultInstanceId"/>;</item>
/// <item>the cheapest candidate that fits (every configured instance's model, plus the registry's models of its provider;
/// for a local instance only the registry's <see cref="ModelInfoSource.Discovered"/> and <see cref="ModelInfoSource.User"/>
/// models, since catalog entries need not be installed there).</item>
/// </list>
/// </summary>
/// <remarks>
/// <para><b>Unknown instances.</b> A call or thread <c>InstanceId</c> that names no configured instance throws
/// <see cref="UnknownInstanceException"/> instead of routing elsewhere: it is an explicit choice (possibly a local-only
/// privacy choice) that cannot be honoured, and for the thread a configuration error that should surface, not be hidden by
/// a silent answer from another provider. Preferences (preferred models, default and fallback instances) that name an
/// unknown instance are only rejected with a reason, since they are wishes, not pins.</para>
/// <para><b>Tri-state capabilities.</b> A model the registry says definitely lacks a required capability is rejected at every
/// step. Steps 1–3 and the explicit fallback instances are choices a user made, so an <em>unknown</em> capability passes there.
/// In the automatic steps (cheapest fit, cross-provider fallbacks) unknown also passes, but every candidate whose required
/// capabilities are all confirmed ranks above every candidate with an unknown one, whatever the price.</para>
/// <para><b>Context.</b> A known context window must hold the estimated prompt plus the maximum output; an unknown window
/// passes. With <see cref="RoutingRequest.MinContextWindow"/> (retry after a context-length error) the window must be known
/// and larger.</para>
/// <para><b>Cost.</b> Candidates are ranked by the estimated cost of this call (prompt tokens × input price + max output ×
/// output price; input + output price per million when no estimate is given); unknown prices rank after known ones.
/// Local instances cost zero. With <see cref="ModelPreferences.PreferCheaperModels"/> false, configuration order decides
/// instead of price.</para>
/// <para><b>Circuits.</b> Instances whose circuit is open (or half-open with a probe in flight), and instances the manager
/// reports unavailable (no API key), are skipped with that reason.
/// The primary target takes the half-open probe; fallbacks are only checked for availability.</para>
/// <para><b>Model resolution</b> for an instance: the step's explicit model &gt; the thread's <c>Model</c> (for the thread's own
/// instance) &gt; the instance's <c>Model</c> &gt; the registry's cheapest fitting model of the provider (for a local
/// instance: of its Discovered/User models, and only when the instance was pinned and none fits, of the catalog). A local
/// instance with no model configured has its installed models listed first (<see cref="ModelCapabilityDiscovery"/>,
/// Ollama <c>/api/tags</c>, cached), so the catalog is used only when that listing is empty or failed.</para>
/// </remarks>
public sealed partial class ModelRouter : IModelRouter
{
    private readonly IProviderInstanceManager _instances;
    private readonly IModelRegistry _registry;
    private readonly InstanceHealthTracker _health;
    private readonly ModelRouterOptions _options;
    private readonly ILogger _logger;
    private readonly ModelCapabilityDiscovery _discovery;
    private volatile bool _registryReady;

    /// <param name="instances">The configured instances (candidates, in configuration order).</param>
    /// <param name="registry">Capabilities, windows and prices.</param>
    /// <param name="health">The circuit breaker; a new one on the system clock when null.</param>
    /// <param name="options">Fallback bound.</param>
    /// <param name="logger">Logs decisions and circuit changes.</param>
    /// <param name="discovery">
    /// Asks discoverable instances (Ollama) what their models can do before routing a thread with
    /// <c>AutoDetectCapabilities</c>; a default one (10 min TTL, system clock) when null.
    /// </param>
    public ModelRouter(IProviderInstanceManager instances, IModelRegistry registry, InstanceHealthTracker? health = null, ModelRouterOptions? options = null, ILogger<ModelRouter>? logger = null, ModelCapabilityDiscovery? discovery = null)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(registry);
        _instances = instances;
        _registry = registry;
        _health = health ?? new InstanceHealthTracker();
        _options = options ?? new ModelRouterOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _discovery = discovery ?? new ModelCapabilityDiscovery(instances, registry);
    }

    /// <summary>The circuit breaker the router consults.</summary>
    public InstanceHealthTracker Health => _health;

    /// <summary>The capability auto-detection run before routing threads that ask for it.</summary>
    public ModelCapabilityDiscovery Discovery => _discovery;

    public async ValueTask<RouteDecision> SelectAsync(RoutingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Reasoning);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_registryReady)
        {
            // Idempotent: a host that forgot to initialise the registry still routes with the seed and persisted entries.
            await _registry.InitializeAsync(cancellationToken).ConfigureAwait(false);
            _registryReady = true;
        }

        // Register the models installed on local instances without a configured model and, when the thread asks for
        // auto-detection, what discoverable instances say about their models first, so the filters below see it.
        await _discovery.DiscoverForAsync(request, cancellationToken).ConfigureAwait(false);

        return Select(request);
    }

    private RouteDecision Select(RoutingRequest request)
    {
        var ctx = new Context(this, request);

        // A half-open probe may be taken by a concurrent caller between the check and the claim: then choose again.
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var choice = ChoosePrimary(ctx);
            if (choice is null)
            {
                throw NoRoute(ctx);
            }

            var (primary, why) = choice.Value;
            if (!_health.TryAcquire(primary.InstanceId))
            {
                ctx.Reject(primary.InstanceId, primary.ModelId, "circuit half-open and its probe call is already in flight");
                continue;
            }

            var fallbacks = request.AllowFallback ? ComputeFallbacks(ctx, primary) : [];
            var decision = new RouteDecision
            {
                Primary = primary,
                Fallbacks = fallbacks,
                Why = why,
                Rejected = ctx.Rejected.ToArray(),
            };
            Log.Routed(_logger, request.ThreadId, primary.InstanceId, primary.ModelId, why, fallbacks.Count);
            return decision;
        }

        throw NoRoute(ctx);
    }

    public void ReportOutcome(string instanceId, AttemptOutcome outcome, ProviderErrorKind? kind = null)
    {
        var before = _health.GetState(instanceId);
        _health.Report(instanceId, outcome, kind);
        var after = _health.GetState(instanceId);
        if (before != after)
        {
            Log.CircuitChanged(_logger, instanceId, before, after);
        }
    }

    public bool IsAvailable(string instanceId) => _health.IsAvailable(instanceId);

    private (RouteTarget Target, string Why)? ChoosePrimary(Context ctx)
    {
        var request = ctx.Request;
        var reasoning = request.Reasoning;

        // (1) The call's instance/model, then the thread's. An unknown explicit instance is an error (see the remarks).
        var threadInstance = ctx.ThreadInstanceId;
        foreach (var pinned in (ReadOnlySpan<string?>)[request.InstanceId, reasoning.InstanceId])
        {
            if (pinned is not null && !ctx.Configs.ContainsKey(pinned))
            {
                throw new UnknownInstanceException(pinned, ctx.Ordered.Select(o => o.Config.Id));
            }
        }

        if (request.InstanceId is { } callInstance)
        {
            var model = request.ModelId ?? (string.Equals(callInstance, threadInstance, StringComparison.Ordinal) ? reasoning.Model : null);
            if (TryExplicit(ctx, callInstance, model, out var target, out var unknown))
            {
                return (target, $"call instance '{target.InstanceId}' (model {target.ModelId}) satisfies {ctx.CapabilityList}{UnknownNote(unknown)}");
            }
        }
        else if (request.ModelId is { } callModel && threadInstance is not null)
        {
            if (TryExplicit(ctx, threadInstance, callModel, out var target, out var unknown))
            {
                return (target, $"call model {target.ModelId} at thread instance '{target.InstanceId}' satisfies {ctx.CapabilityList}{UnknownNote(unknown)}");
            }
        }

        if (threadInstance is not null)
        {
            if (TryExplicit(ctx, threadInstance, reasoning.Model, out var target, out var unknown))
            {
                return (target, $"thread instance '{target.InstanceId}' (model {target.ModelId}) satisfies {ctx.CapabilityList}{UnknownNote(unknown)}");
            }
        }
        else if (reasoning.Provider is { } legacyProvider)
        {
            ctx.Reject("provider:" + legacyProvider, reasoning.Model, $"no configured instance of provider '{legacyProvider}' (thread's legacy Reasoning.Provider)");
        }

        // (2) Preferred model for the first required capability that has one.
        var preferences = reasoning.ModelPreferences;
        if (preferences?.PreferredModels is { Count: > 0 } preferred)
        {
            foreach (var capability in ctx.PreferenceOrder)
            {
                if (!preferred.TryGetValue(capability, out var preference) || preference is null)
                {
                    continue;
                }

                var instanceId = preference.InstanceId;
                if (instanceId is null && preference.Provider is { } provider)
                {
                    instanceId = ctx.FirstInstanceOf(provider);
                    if (instanceId is null)
                    {
                        ctx.Reject("provider:" + provider, preference.ModelId, $"preferred for {Wire(capability)}, but no instance of provider '{provider}' is configured");
                        break;
                    }
                }

                if (instanceId is null)
                {
                    ctx.Reject("preference:" + Wire(capability), preference.ModelId, $"preferred target for {Wire(capability)} names neither an instance nor a provider");
                    break;
                }

                if (TryExplicit(ctx, instanceId, preference.ModelId, out var target, out var unknown))
                {
                    return (target, $"preferred model for {Wire(capability)}: instance '{target.InstanceId}' (model {target.ModelId}){UnknownNote(unknown)}");
                }

                break;
            }
        }

        // (3) The thread's default instance.
        if (preferences?.DefaultInstanceId is { } defaultInstance
            && TryExplicit(ctx, defaultInstance, null, out var defaultTarget, out var defaultUnknown))
        {
            return (defaultTarget, $"default instance '{defaultTarget.InstanceId}' (model {defaultTarget.ModelId}){UnknownNote(defaultUnknown)}");
        }

        // (4) The cheapest fitting candidate.
        var best = default(Ranked);
        var found = false;
        foreach (var (config, order) in ctx.Ordered)
        {
            ScanInstance(ctx, config, order, explainAll: false, (in Ranked candidate) =>
            {
                if (!found || candidate.CompareTo(best, ctx.PreferCheaper) < 0)
                {
                    best = candidate;
                    found = true;
                }
            });
        }

        if (!found)
        {
            return null;
        }

        var chosen = best.ToTarget();
        var price = best.Pricing is { IsKnown: true } p
            ? $"cheapest fitting candidate at ${Money(p.InputPerMillion!.Value)}/M input, ${Money(p.OutputPerMillion!.Value)}/M output"
            : "first fitting candidate (no known price)";
        if (!ctx.PreferCheaper)
        {
            price = "first fitting candidate in configuration order";
        }

        return (chosen, $"{price}: instance '{chosen.InstanceId}' (model {chosen.ModelId}){UnknownNote(best.AllConfirmed ? null : "some required capabilities")}");
    }

    /// <summary>Steps 1–3 and explicit fallbacks: an unknown capability passes, a definite lack does not.</summary>
    private bool TryExplicit(Context ctx, string instanceId, string? modelId, out RouteTarget target, out string? unknownCapabilities)
    {
        target = null!;
        unknownCapabilities = null;
        if (!ctx.Configs.TryGetValue(instanceId, out var entry))
        {
            ctx.Reject(instanceId, modelId, $"unknown instance '{instanceId}' (not configured; configured: {ctx.KnownInstanceList})");
            return false;
        }

        if (!Usable(instanceId))
        {
            ctx.Reject(instanceId, modelId ?? entry.Config.Model, CircuitReason(instanceId));
            return false;
        }

        var config = entry.Config;
        // A local instance pinned here (thread, default or fallback instance) with no model configured and none known
        // to be installed (e.g. the zero-configuration Ollama instance): the catalog's cheapest fit is the last resort,
        // as the user chose this instance; the server answers ModelNotFound if it lacks the model. Automatic steps never
        // do this (see ScanRegistryModels).
        modelId ??= config.Model
            ?? CheapestModelOf(ctx, config, entry.Order, catalogToo: false)
            ?? (_instances.IsLocal(instanceId) ? CheapestModelOf(ctx, config, entry.Order, catalogToo: true) : null);
        if (modelId is null)
        {
            ctx.Reject(instanceId, null, _instances.IsLocal(instanceId)
                ? $"no model configured, and no model of provider '{config.Provider}' (discovered on this local server, registered by the application, or from the catalog) fits"
                : $"no model configured and no model of provider '{config.Provider}' in the registry fits");
            return false;
        }

        var verdict = Check(ctx, config, modelId, explain: true);
        if (!verdict.Ok)
        {
            ctx.Reject(instanceId, modelId, verdict.Reason!);
            return false;
        }

        unknownCapabilities = verdict.UnknownCapabilities;
        target = new RouteTarget(config.Id, config.Provider, modelId) { Model = verdict.Model };
        return true;
    }

    private string? CheapestModelOf(Context ctx, ProviderInstanceConfig config, int order, bool catalogToo)
    {
        var best = default(Ranked);
        var found = false;
        ScanRegistryModels(ctx, config, order, explainAll: false, catalogToo, (in Ranked candidate) =>
        {
            if (!found || candidate.CompareTo(best, preferCheaper: true) < 0)
            {
                best = candidate;
                found = true;
            }
        });
        return found ? best.ModelId : null;
    }

    private delegate void CandidateSink(in Ranked candidate);

    /// <summary>The instance's configured model, then the registry's models of its provider (deprecated ones left out).</summary>
    private void ScanInstance(Context ctx, ProviderInstanceConfig config, int order, bool explainAll, CandidateSink sink)
    {
        if (config.Model is { } configured)
        {
            var verdict = Check(ctx, config, configured, explain: true);
            if (verdict.Ok)
            {
                sink(new Ranked(config, configured, verdict.Model, verdict.Pricing, verdict.Cost, verdict.UnknownCapabilities is null, order, IsConfigured: true));
            }
            else
            {
                ctx.Reject(config.Id, configured, verdict.Reason!);
            }
        }

        ScanRegistryModels(ctx, config, order, explainAll, catalogToo: false, sink);
    }

    // catalogToo: also offer Seed/Imported entries on a local instance (only for an instance the user pinned).
    private void ScanRegistryModels(Context ctx, ProviderInstanceConfig config, int order, bool explainAll, bool catalogToo, CandidateSink sink)
    {
        // The circuit is per instance: checked once here, not once per model (a registry may hold thousands).
        var available = Usable(config.Id);
        if (!available && !explainAll)
        {
            return;
        }

        // A local server only has the models pulled onto it. Catalog entries (Seed, Imported) name model families that
        // may not be installed: routing there ends in ModelNotFound and opens the whole host's circuit. So a local
        // instance offers only models seen on a server (Discovered) or registered by the application (User); its
        // configured model is scanned by the caller and still uses catalog facts.
        var installedOnly = !catalogToo && _instances.IsLocal(config.Id);
        var notInstalled = 0;
        var models = _registry.GetModelsForProvider(config.Provider);
        for (var i = 0; i < models.Count; i++)
        {
            var model = models[i];
            if (model.Deprecated || string.Equals(model.ModelId, config.Model, StringComparison.Ordinal))
            {
                continue;
            }

            if (installedOnly && model.Source is not (ModelInfoSource.Discovered or ModelInfoSource.User))
            {
                notInstalled++;
                continue;
            }

            var verdict = Check(ctx, config, model.ModelId, explainAll, model, availabilityChecked: available);
            if (verdict.Ok)
            {
                sink(new Ranked(config, model.ModelId, model, verdict.Pricing, verdict.Cost, verdict.UnknownCapabilities is null, order, IsConfigured: false));
            }
            else if (explainAll)
            {
                ctx.Reject(config.Id, model.ModelId, verdict.Reason!);
            }
        }

        if (explainAll && notInstalled > 0)
        {
            ctx.Reject(config.Id, null, string.Create(CultureInfo.InvariantCulture, $"{notInstalled} catalog model(s) of provider '{config.Provider}' not considered: a local instance is routed only to its configured model and to models discovered on the server or registered by the application"));
        }
    }

    private List<RouteTarget> ComputeFallbacks(Context ctx, RouteTarget primary)
    {
        var result = new List<RouteTarget>();
        var taken = new HashSet<string>(StringComparer.Ordinal) { Key(primary.InstanceId, primary.ModelId) };
        var preferences = ctx.Request.Reasoning.ModelPreferences;
        var max = Math.Max(0, _options.MaxFallbacks);

        if (preferences?.FallbackInstances is { } listed)
        {
            foreach (var instanceId in listed)
            {
                if (result.Count >= max)
                {
                    break;
                }

                if (TryExplicit(ctx, instanceId, null, out var target, out _) && taken.Add(Key(target.InstanceId, target.ModelId)))
                {
                    result.Add(target);
                }
            }
        }

        if ((preferences?.AllowCrossProviderFallback ?? true) && result.Count < max)
        {
            // Only the best few candidates can become fallbacks: keep those (enough to skip the ones already taken)
            // in a small sorted buffer instead of collecting and sorting every fitting model of a large registry.
            // The ranking is a total order, so this is the prefix a full sort would give.
            var keep = max - result.Count + taken.Count;
            var best = new List<Ranked>(keep + 1);
            var preferCheaper = ctx.PreferCheaper;
            foreach (var (config, order) in ctx.Ordered)
            {
                ScanInstance(ctx, config, order, explainAll: false, (in Ranked candidate) =>
                {
                    if (best.Count == keep && candidate.CompareTo(best[^1], preferCheaper) >= 0)
                    {
                        return;
                    }

                    var at = best.Count;
                    while (at > 0 && candidate.CompareTo(best[at - 1], preferCheaper) < 0)
                    {
                        at--;
                    }

                    best.Insert(at, candidate);
                    if (best.Count > keep)
                    {
                        best.RemoveAt(best.Count - 1);
                    }
                });
            }

            foreach (var candidate in best)
            {
                if (result.Count >= max)
                {
                    break;
                }

                if (taken.Add(Key(candidate.Config.Id, candidate.ModelId)))
                {
                    result.Add(candidate.ToTarget());
                }
            }
        }

        return result;
    }

    private RoutingException NoRoute(Context ctx)
    {
        // Explain every candidate, including the registry models the fast path skipped silently.
        foreach (var (config, order) in ctx.Ordered)
        {
            ScanInstance(ctx, config, order, explainAll: true, static (in Ranked _) => { });
        }

        var needs = ctx.Required.Length == 0 ? "no particular capability" : ctx.CapabilityList;
        var tokens = ctx.NeededTokens > 0 ? string.Create(CultureInfo.InvariantCulture, $", ~{ctx.NeededTokens} tokens") : string.Empty;
        var min = ctx.Request.MinContextWindow is { } m ? string.Create(CultureInfo.InvariantCulture, $", context window above {m}") : string.Empty;
        var rejected = ctx.Rejected.ToArray();
        Log.NoRoute(_logger, ctx.Request.ThreadId, rejected.Length);
        return new RoutingException($"No provider instance and model can serve thread '{ctx.Request.ThreadId}' (needs {needs}{tokens}{min}).", rejected);
    }

    /// <summary>Applies circuit, capability and context filters to one (instance, model) pair.</summary>
    private Verdict Check(Context ctx, ProviderInstanceConfig config, string modelId, bool explain, ModelInfo? model = null, bool availabilityChecked = false)
    {
        if (!availabilityChecked && !Usable(config.Id))
        {
            return Verdict.Reject(explain ? CircuitReason(config.Id) : null);
        }

        model ??= _registry.GetModelInfo(config.Provider, modelId);
        List<ModelCapability>? lacking = null;
        List<ModelCapability>? unknown = null;
        var anyUnknown = false;
        foreach (var capability in ctx.Required)
        {
            var support = model?.Supports(capability) ?? CapabilitySupport.Unknown;
            if (support == CapabilitySupport.No)
            {
                if (!explain)
                {
                    return Verdict.Reject(null);
                }

                (lacking ??= []).Add(capability);
            }
            else if (support == CapabilitySupport.Unknown)
            {
                anyUnknown = true;
                if (explain)
                {
                    (unknown ??= []).Add(capability);
                }
            }
        }

        if (lacking is not null)
        {
            return Verdict.Reject($"model lacks {List(lacking)} according to the registry");
        }

        var window = model?.ContextWindow;
        if (ctx.Request.MinContextWindow is { } min)
        {
            if (window is null)
            {
                return Verdict.Reject(explain ? string.Create(CultureInfo.InvariantCulture, $"context window unknown; a window above {min} tokens is required") : null);
            }

            if (window <= min)
            {
                return Verdict.Reject(explain ? string.Create(CultureInfo.InvariantCulture, $"context window {window} is not above the required {min} tokens") : null);
            }
        }

        if (window is { } w && ctx.NeededTokens > w)
        {
            return Verdict.Reject(explain ? string.Create(CultureInfo.InvariantCulture, $"context window {w} too small for ~{ctx.NeededTokens} tokens (prompt + max output)") : null);
        }

        // The registry entry at hand already answers when the instance overrides nothing and the price is known (what
        // ResolvePricing would return); this saves a keyed lookup per candidate on the hot path.
        var pricing = model?.Pricing is { IsKnown: true } known && (config.Pricing is null || !config.Pricing.ContainsKey(modelId))
            ? known
            : _registry.ResolvePricing(config, modelId);
        decimal? cost = null;
        if (pricing is { IsKnown: true })
        {
            cost = ctx.EstimateCost(pricing.InputPerMillion!.Value, pricing.OutputPerMillion!.Value);
        }

        return new Verdict(true, null, model, pricing, cost, !anyUnknown ? null : (unknown is null ? "?" : List(unknown)));
    }

    /// <summary>An instance without an adapter (no API key) is skipped like one whose circuit is open.</summary>
    private bool Usable(string instanceId) => _instances.IsAvailable(instanceId, out _) && _health.IsAvailable(instanceId);

    private string CircuitReason(string instanceId) =>
        !_instances.IsAvailable(instanceId, out var unavailable) ? unavailable ?? "instance unavailable"
        : _health.OpenUntil(instanceId) is { } until
            ? string.Create(CultureInfo.InvariantCulture, $"circuit open after repeated failures (cooldown until {until:O})")
            : "circuit half-open and its probe call is already in flight";

    private static string UnknownNote(string? unknown) => unknown is null ? string.Empty : $" (unknown to the registry: {unknown})";

    private static string Key(string instanceId, string? modelId) => instanceId + "\n" + modelId;

    internal static string Wire(ModelCapability capability) => JsonNamingPolicy.SnakeCaseLower.ConvertName(capability.ToString());

    private static string List(IEnumerable<ModelCapability> capabilities)
    {
        var sb = new StringBuilder("[");
        foreach (var capability in capabilities)
        {
            if (sb.Length > 1)
            {
                sb.Append(", ");
            }

            sb.Append(Wire(capability));
        }

        return sb.Append(']').ToString();
    }

    private static string Money(decimal value) => LiteLlmPriceMap.Normalize(value).ToString("0.00##########", CultureInfo.InvariantCulture);

    private readonly record struct Verdict(bool Ok, string? Reason, ModelInfo? Model, ModelPricing? Pricing, decimal? Cost, string? UnknownCapabilities)
    {
        public static Verdict Reject(string? reason) => new(false, reason, null, null, null, null);
    }

    /// <summary>A fitting candidate with its ranking keys.</summary>
    private readonly record struct Ranked(ProviderInstanceConfig Config, string ModelId, ModelInfo? Model, ModelPricing? Pricing, decimal? Cost, bool AllConfirmed, int Order, bool IsConfigured)
    {
        public RouteTarget ToTarget() => new(Config.Id, Config.Provider, ModelId) { Model = Model };

        /// <summary>Confirmed capabilities first; then price (known before unknown) or configuration order; then stable keys.</summary>
        public int CompareTo(in Ranked other, bool preferCheaper)
        {
            var c = other.AllConfirmed.CompareTo(AllConfirmed);
            if (c != 0)
            {
                return c;
            }

            if (preferCheaper)
            {
                c = CompareCost(Cost, other.Cost);
                if (c != 0)
                {
                    return c;
                }
            }

            c = Order.CompareTo(other.Order);
            if (c != 0)
            {
                return c;
            }

            c = other.IsConfigured.CompareTo(IsConfigured);
            if (c != 0)
            {
                return c;
            }

            if (!preferCheaper)
            {
                c = CompareCost(Cost, other.Cost);
                if (c != 0)
                {
                    return c;
                }
            }

            return string.CompareOrdinal(ModelId, other.ModelId);
        }

        private static int CompareCost(decimal? a, decimal? b) => (a, b) switch
        {
            (null, null) => 0,
            (null, _) => 1,
            (_, null) => -1,
            _ => a.Value.CompareTo(b.Value),
        };
    }

    /// <summary>Per-call state: the configured instances, the requirement, and the rejections collected so far.</summary>
    private sealed class Context
    {
        private readonly HashSet<string> _rejectedKeys = new(StringComparer.Ordinal);

        public Context(ModelRouter router, RoutingRequest request)
        {
            Request = request;
            var instances = router._instances.Instances;
            Ordered = new (ProviderInstanceConfig, int)[instances.Count];
            Configs = new Dictionary<string, (ProviderInstanceConfig, int)>(instances.Count, StringComparer.Ordinal);
            for (var i = 0; i < instances.Count; i++)
            {
                Ordered[i] = (instances[i], i);
                Configs.TryAdd(instances[i].Id, (instances[i], i));
            }

            var required = new List<ModelCapability>();
            foreach (var capability in request.RequiredCapabilities)
            {
                if (!required.Contains(capability))
                {
                    required.Add(capability);
                }
            }

            Required = [.. required];
            var order = new List<ModelCapability>(required.Count);
            foreach (var capability in required)
            {
                if (capability != ModelCapability.Text)
                {
                    order.Add(capability);
                }
            }

            if (required.Contains(ModelCapability.Text) || required.Count == 0)
            {
                order.Add(ModelCapability.Text);
            }

            PreferenceOrder = [.. order];
            CapabilityList = List(Required);
            NeededTokens = Math.Max(0, request.EstimatedPromptTokens) + Math.Max(0, request.MaxOutputTokens ?? 0);
            PreferCheaper = request.Reasoning.ModelPreferences?.PreferCheaperModels ?? true;
            ThreadInstanceId = request.Reasoning.InstanceId
                ?? (request.Reasoning.Provider is { } provider ? FirstInstanceOf(provider) : null);
            KnownInstanceList = instances.Count == 0 ? "none" : string.Join(", ", instances.Select(i => i.Id));
        }

        public RoutingRequest Request { get; }

        public (ProviderInstanceConfig Config, int Order)[] Ordered { get; }

        public Dictionary<string, (ProviderInstanceConfig Config, int Order)> Configs { get; }

        public ModelCapability[] Required { get; }

        public ModelCapability[] PreferenceOrder { get; }

        public string CapabilityList { get; }

        public long NeededTokens { get; }

        public bool PreferCheaper { get; }

        public string? ThreadInstanceId { get; }

        public string KnownInstanceList { get; }

        public List<RejectedCandidate> Rejected { get; } = [];

        public string? FirstInstanceOf(string provider)
        {
            foreach (var (config, _) in Ordered)
            {
                if (string.Equals(config.Provider, provider, StringComparison.OrdinalIgnoreCase))
                {
                    return config.Id;
                }
            }

            return null;
        }

        public void Reject(string instanceId, string? modelId, string reason)
        {
            if (_rejectedKeys.Add(Key(instanceId, modelId)))
            {
                Rejected.Add(new RejectedCandidate(instanceId, modelId, reason));
            }
        }

        /// <summary>
        /// The ranking key of a price: this call's estimated cost in micro-USD (prompt × input price + max output ×
        /// output price), or input + output price per million when nothing is estimated. Only ever compared with other
        /// candidates of the same call, so the division to USD is left out (it is the costliest step per candidate).
        /// </summary>
        public decimal EstimateCost(decimal inputPerMillion, decimal outputPerMillion)
        {
            var prompt = Math.Max(0, Request.EstimatedPromptTokens);
            var output = Math.Max(0, Request.MaxOutputTokens ?? 0);
            return prompt == 0 && output == 0
                ? inputPerMillion + outputPerMillion
                : (prompt * inputPerMillion) + (output * outputPerMillion);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Thread {ThreadId} routed to {InstanceId}/{ModelId}: {Why} ({FallbackCount} fallbacks)")]
        public static partial void Routed(ILogger logger, string threadId, string instanceId, string modelId, string why, int fallbackCount);

        [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "No route for thread {ThreadId}: {RejectedCount} candidates rejected")]
        public static partial void NoRoute(ILogger logger, string threadId, int rejectedCount);

        [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Circuit of instance {InstanceId}: {Before} -> {After}")]
        public static partial void CircuitChanged(ILogger logger, string instanceId, CircuitState before, CircuitState after);
    }
}
