package pm.agent.channel;

import pm.agent.AgentException;
import pm.runtime.chan.Channels;
import pm.v1.DeliverReply;
import pm.v1.DeliverReply.Outcome;
import pm.v1.DeliverRequest;

/**
 * The receiving side of a delivery: appends the message to the receiver's inbox when this agent
 * hosts it and it takes messages (a process frozen by its user does: the inbox is state, captured
 * with it), then wakes it in case it waits in a receive. A copy a migration has taken its final
 * capture of is sealed and answers RETRY_LATER, so nothing is accepted into a copy about to die;
 * once the migration committed and the copy is gone, NOT_HERE names the target. Stateless apart
 * from what it is given; called on gRPC threads and by the local dispatcher.
 */
public final class ChannelInbound {
    private final LocalProcesses local;
    private final Forwarding forwarding;

    public ChannelInbound(LocalProcesses local, Forwarding forwarding) {
        this.local = local;
        this.forwarding = forwarding;
    }

    public DeliverReply deliver(DeliverRequest request) {
        if (request.getToProcess().isEmpty() || request.getFromProcess().isEmpty() || request.getSeq() < 1) {
            throw new AgentException(AgentException.Reason.BAD_REQUEST, "a delivery needs to_process, from_process and seq >= 1");
        }
        if (request.getPayload().size() > Channels.MAX_MESSAGE_BYTES) {
            throw new AgentException(AgentException.Reason.BAD_REQUEST, "message of " + request.getPayload().size()
                    + " bytes exceeds " + Channels.MAX_MESSAGE_BYTES);
        }
        LocalProcesses.Receiver receiver = local.receiver(request.getToProcess());
        if (receiver instanceof LocalProcesses.Present p) {
            Channels.Acceptance a = p.channels().accept(request.getFromProcess(), request.getSeq(), request.getMailbox(),
                    request.getPayload().toByteArray());
            return switch (a) {
                case ACCEPTED -> {
                    p.wake().run();
                    yield reply(Outcome.OUTCOME_ACCEPTED);
                }
                case DUPLICATE -> reply(Outcome.OUTCOME_DUPLICATE);
                case SEALED, FULL -> reply(Outcome.OUTCOME_RETRY_LATER);
            };
        }
        if (receiver instanceof LocalProcesses.Busy) {
            return reply(Outcome.OUTCOME_RETRY_LATER);
        }
        return DeliverReply.newBuilder().setOutcome(Outcome.OUTCOME_NOT_HERE)
                .setHint(forwarding.targetOf(request.getToProcess()).orElse(""))
                .build();
    }

    private static DeliverReply reply(Outcome outcome) {
        return DeliverReply.newBuilder().setOutcome(outcome).build();
    }
}
