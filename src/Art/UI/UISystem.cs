using Art.Storage.Repositories;
using Microsoft.Extensions.Logging;

namespace Art.UI;

/// <summary>The sockets a UI subscribes to; each getter returns the same instance every call.</summary>
public sealed class UISystem
{
    private readonly ObservationSocket _observations;
    private readonly ConversationSocket _conversations;
    private readonly LlmStreamSocket _llmStream;
    private readonly ModelSocket _models;

    public UISystem(ObservationRepository? observationRepository = null, ConversationRepository? conversationRepository = null, ILoggerFactory? loggerFactory = null)
    {
        _observations = new ObservationSocket(observationRepository, loggerFactory?.CreateLogger<ObservationSocket>());
        _conversations = new ConversationSocket(conversationRepository, loggerFactory?.CreateLogger<ConversationSocket>());
        _llmStream = new LlmStreamSocket(loggerFactory?.CreateLogger<LlmStreamSocket>());
        _models = new ModelSocket(observationRepository, loggerFactory?.CreateLogger<ModelSocket>());
    }

    public ObservationSocket GetObservationSocket() => _observations;

    public ConversationSocket GetConversationSocket() => _conversations;

    public LlmStreamSocket GetLlmStreamSocket() => _llmStream;

    public ModelSocket GetModelSocket() => _models;
}
