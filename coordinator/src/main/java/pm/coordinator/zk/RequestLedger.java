package pm.coordinator.zk;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import pm.common.cluster.ClusterLayout;
import pm.v1.RequestOutcome;

/**
 * The outcomes of mutating calls by the request id their caller sent ({@code requests/<key>}), kept
 * in ZooKeeper for the retry window so that a resend is answered with the first call's outcome even
 * when it reaches a new leader. Only final outcomes are recorded: a reply, or a failure other than
 * UNAVAILABLE (which asks the caller to try again, so the resend must act). Safe from any thread.
 */
public final class RequestLedger {
    private static final Logger LOG = LoggerFactory.getLogger(RequestLedger.class);
    private static final int SWEEP_PER_TICK = 256;

    private final CuratorFramework zk;
    private final ClusterLayout layout;
    private final Clock clock;

    public RequestLedger(CuratorFramework zk, ClusterLayout layout, Clock clock) {
        this.zk = zk;
        this.layout = layout;
        this.clock = clock;
    }

    /** What a first call of {@code method} named {@code requestId} ended with, if it ended finally. */
    public Optional<RequestOutcome> find(String method, String requestId) {
        return ZkCalls.run("reading request " + requestId, () -> {
            try {
                RequestOutcome o =
                        RequestOutcome.parseFrom(zk.getData().forPath(layout.request(key(method, requestId))));
                return o.getRequestId().equals(requestId) ? Optional.of(o) : Optional.empty();
            } catch (KeeperException.NoNodeException e) {
                return Optional.empty();
            } catch (InvalidProtocolBufferException e) {
                LOG.warn("request " + requestId + " has an unreadable outcome; acting on the call again");
                return Optional.empty();
            }
        });
    }

    /** Records a reply; a first record wins (a concurrent resend on another coordinator cannot overwrite it). */
    public void recordReply(String method, String requestId, Message reply) {
        record(RequestOutcome.newBuilder()
                .setMethod(method)
                .setRequestId(requestId)
                .setReply(reply.toByteString())
                .build());
    }

    /** Records a failure unless it asks the caller to try again. */
    public void recordFailure(String method, String requestId, Status status) {
        if (!isFinal(status)) {
            return;
        }
        record(RequestOutcome.newBuilder()
                .setMethod(method)
                .setRequestId(requestId)
                .setErrorCode(status.getCode().value())
                .setErrorMessage(String.valueOf(status.getDescription()))
                .build());
    }

    /** Whether a call that failed with {@code status} is over: a resend gets the same answer rather than acting again. */
    public static boolean isFinal(Status status) {
        return switch (status.getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, UNKNOWN, INTERNAL -> false;
            default -> true;
        };
    }

    /** The reply recorded in {@code o}, or its failure thrown as the first call's status. */
    public static <T extends Message> T replay(RequestOutcome o, Parser<T> parser) {
        if (o.getErrorCode() != 0) {
            throw Status.fromCodeValue(o.getErrorCode())
                    .withDescription(o.getErrorMessage())
                    .asRuntimeException();
        }
        try {
            return parser.parseFrom(o.getReply());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("request " + o.getRequestId() + ": recorded reply unreadable", e);
        }
    }

    private void record(RequestOutcome outcome) {
        byte[] data =
                outcome.toBuilder().setFinishedMillis(clock.millis()).build().toByteArray();
        String path = layout.request(key(outcome.getMethod(), outcome.getRequestId()));
        ZkCalls.run("recording request " + outcome.getRequestId(), () -> {
            try {
                zk.create().forPath(path, data);
            } catch (KeeperException.NodeExistsException firstWins) {
                // recorded already (a resend that ran while this one did, or the journal's settler)
            }
            return null;
        });
    }

    /** Drops outcomes recorded longer than {@code keep} ago, a bounded number per call. Run on the leader's policy thread. */
    public void sweep(Duration keep) {
        long cutoff = clock.millis() - keep.toMillis();
        List<String> keys =
                ZkCalls.run("listing requests", () -> zk.getChildren().forPath(layout.requests()));
        int dropped = 0;
        for (String k : keys) {
            String path = layout.request(k);
            try {
                Stat stat = zk.checkExists().forPath(path);
                if (stat != null && stat.getCtime() < cutoff) {
                    zk.delete().withVersion(stat.getVersion()).forPath(path);
                    if (++dropped == SWEEP_PER_TICK) {
                        return;
                    }
                }
            } catch (KeeperException.NoNodeException | KeeperException.BadVersionException gone) {
                // swept by another coordinator
            } catch (Exception e) {
                LOG.debug("sweeping request " + k + ": " + e.getMessage());
                return;
            }
        }
    }

    /** A znode name for any id: the method, and a digest of the id (ids are the caller's text, names have rules). */
    private static String key(String method, String requestId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(requestId.getBytes(StandardCharsets.UTF_8));
            return method + "-" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
