package pm.coordinator.zk;

import pm.v1.NodeRecord;

/** What {@link Membership} tells about nodes, on the cache's thread. */
public interface MembershipListener {
    void joined(NodeRecord node);

    /** A node's record changed: it reported its load again. */
    void reported(NodeRecord node);

    void left(String name);

    void draining(String name);

    MembershipListener NONE = new MembershipListener() {
        @Override
        public void joined(NodeRecord node) {}

        @Override
        public void reported(NodeRecord node) {}

        @Override
        public void left(String name) {}

        @Override
        public void draining(String name) {}
    };
}
