using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Art.Agents;

/// <summary>What <see cref="AgentStreaming.StreamAsync"/> yields: thoughts and answer chunks as they arrive, then the final response.</summary>
public abstract record AgentStreamUpdate
{
    private protected AgentStreamUpdate()
    {
    }
}

/// <summary>A piece of model thinking of a phase ("planning", "synthesis").</summary>
public sealed record AgentThoughtUpdate(string Phase, string Text) : AgentStreamUpdate;

/// <summary>A piece of the final answer.</summary>
public sealed record AgentChunkUpdate(string Text) : AgentStreamUpdate;

/// <summary>The turn's outcome; always the last update.</summary>
public sealed record AgentCompletedUpdate(AgentFinalResponse Response) : AgentStreamUpdate;

/// <summary>The pull-style face of an agent turn, for SSE endpoints and <c>await foreach</c> consumers.</summary>
public static class AgentStreaming
{
    /// <summary>
    /// Runs <see cref="IAgentCore.ProcessAsync"/> and yields its thoughts and answer chunks as they stream, then the final
    /// response. Callbacks already in <see cref="AgentProps.Options"/> still run. Stopping the enumeration early cancels the
    /// turn; exceptions of <see cref="IAgentCore.ProcessAsync"/> (invalid arguments, cancellation) surface from the enumeration.
    /// </summary>
    public static async IAsyncEnumerable<AgentStreamUpdate> StreamAsync(this IAgentCore agent, AgentProps props, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(props);
        var channel = Channel.CreateUnbounded<AgentStreamUpdate>(new UnboundedChannelOptions { SingleReader = true });
        var options = props.Options ?? new AgentOptions();
        var onChunk = options.OnChunk;
        var onThought = options.OnThought;
        var streamed = props with
        {
            Options = options with
            {
                OnChunk = chunk =>
                {
                    onChunk?.Invoke(chunk);
                    if (!chunk.IsFinal && chunk.Content.Length > 0)
                    {
                        channel.Writer.TryWrite(new AgentChunkUpdate(chunk.Content));
                    }
                },
                OnThought = thought =>
                {
                    onThought?.Invoke(thought);
                    channel.Writer.TryWrite(new AgentThoughtUpdate(thought.Phase, thought.Text));
                },
            },
        };

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var turn = RunAsync(agent, streamed, channel.Writer, cts.Token);
        var completed = false;
        try
        {
            await foreach (var update in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                yield return update;
            }

            completed = true;
        }
        finally
        {
            if (!completed)
            {
                // The consumer stopped early: the turn is no longer wanted.
                await cts.CancelAsync().ConfigureAwait(false);
                try
                {
                    await turn.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Expected: we cancelled it.
                }
            }
        }

        yield return new AgentCompletedUpdate(await turn.ConfigureAwait(false));
    }

    private static async Task<AgentFinalResponse> RunAsync(IAgentCore agent, AgentProps props, ChannelWriter<AgentStreamUpdate> writer, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            return await agent.ProcessAsync(props, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            writer.TryComplete();
        }
    }
}
