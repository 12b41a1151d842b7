package pm.agent.channel;

import pm.agent.AgentException;
import pm.runtime.chan.Channels;
import pm.v1.DeliverReply;
import pm.v1.DeliverReply.Outcome;
import pm.v1.DeliverRequest;

/**
 * The receiving side of a delivery: appends the message to the receiver's inbox when this agent
 * hosts it and it takes messages (a process frozen by its user does: the inbox is state, captured
 * with it), then wakes it in case it waits in a receive. Every answer says how far the sender's
 * stream reaches here and how much of it is durable (the sender forgets only that). A probe (seq 0)
 * gets just that answer. A copy a migration has taken its final capture of is sealed and answers
 * RETRY_LATER, so nothing is accepted into a copy about to die; once the migration committed and the
 * copy is gone, NOT_HERE names the target. Stateless apart from what it is given; called on gRPC
 * threads and by the local dispatcher.
 */
public final class ChannelInbound {
    private final LocalProcesses local;
    private final Forwarding forwarding;

    public ChannelInbound(LocalProcesses local, Forwarding forwarding) {
        this.local = local;
        this.forwarding = forwarding;
    }

    public DeliverReply deliver(DeliverRequest request) {
        if (request.getToProcess().isEmpty() || request.getFromProcess().isEmpty()) {
            throw new AgentException(AgentException.Reason.BAD_REQUEST, "a delivery needs to_process and from_process");
        }
        if (request.getPayload().size() > Channels.MAX_MESSAGE_BYTES) {
            throw new AgentException(
                    AgentException.Reason.BAD_REQUEST,
                    "message of " + request.getPayload().size() + " bytes exceeds " + Channels.MAX_MESSAGE_BYTES);
        }
        LocalProcesses.Receiver receiver = local.receiver(request.getToProcess());
        if (receiver instanceof LocalProcesses.Present p) {
            Channels.Receipt r = p.channels()
                    .accept(
                            request.getFromProcess(),
                            request.getFromEpoch(),
                            request.getSeq(),
                            request.getDurableSeq(),
                            request.getMailbox(),
                            request.getPayload().toByteArray());
            Outcome outcome = switch (r.acceptance()) {
                case ACCEPTED -> Outcome.OUTCOME_ACCEPTED;
                case DUPLICATE -> Outcome.OUTCOME_DUPLICATE;
                case GAP -> Outcome.OUTCOME_GAP;
                case STALE_SENDER -> Outcome.OUTCOME_STALE_SENDER;
                case SEALED, FULL -> Outcome.OUTCOME_RETRY_LATER;
            };
            if (outcome == Outcome.OUTCOME_ACCEPTED) {
                p.wake().run();
            }
            return DeliverReply.newBuilder()
                    .setOutcome(outcome)
                    .setAcceptedSeq(r.acceptedSeq())
                    .setDurableSeq(p.durability().durableSeq(request.getFromProcess(), r.acceptedSeq()))
                    .build();
        }
        if (receiver instanceof LocalProcesses.Ended) {
            return reply(Outcome.OUTCOME_ENDED);
        }
        if (receiver instanceof LocalProcesses.Busy) {
            return reply(Outcome.OUTCOME_RETRY_LATER);
        }
        return DeliverReply.newBuilder()
                .setOutcome(Outcome.OUTCOME_NOT_HERE)
                .setHint(forwarding.targetOf(request.getToProcess()).orElse(""))
                .build();
    }

    private static DeliverReply reply(Outcome outcome) {
        return DeliverReply.newBuilder().setOutcome(outcome).build();
    }
}
