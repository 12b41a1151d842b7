package pm.coordinator.zk;

import org.apache.zookeeper.KeeperException;
import pm.coordinator.ClusterException;

/** Turns ZooKeeper's checked failures into the coordinator's domain exception. */
final class ZkCalls {
    private ZkCalls() {}

    interface Call<T> {
        T call() throws Exception;
    }

    /** Runs {@code call}; a lost version race becomes CONFLICT, anything else UNAVAILABLE. */
    static <T> T run(String what, Call<T> call) {
        try {
            return call.call();
        } catch (ClusterException e) {
            throw e;
        } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException e) {
            throw new ClusterException(ClusterException.Reason.CONFLICT, what + " lost a race with another change", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException(ClusterException.Reason.UNAVAILABLE, what + " was interrupted", e);
        } catch (Exception e) {
            throw new ClusterException(
                    ClusterException.Reason.UNAVAILABLE, what + " failed in ZooKeeper: " + e.getMessage(), e);
        }
    }
}
