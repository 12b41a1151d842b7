package pm.deploy.faults;

import pm.deploy.ChildJvm;

/**
 * The ambiguous commit: both coordinators reach ZooKeeper through a relay that reads the protocol,
 * and the reply to the leader's commit transaction (a migration's second multi-operation, after its
 * start) is lost — ZooKeeper applied it, the leader's connection breaks before it hears so. Curator
 * reconnects; a retry loses on the version the commit moved. The leader must find the commit in the
 * journal, finish the migration on the target (never roll it back onto the source) and tell its caller
 * it committed. The counter is
 * frozen before the migration and thawed once it is settled, so it is alive when the fault fires.
 * Both coordinators are started again on a direct connection afterwards.
 *
 * <p>As a partition: the leader alone is behind the relay, which passes nothing from the lost reply
 * on. The leader cannot learn the outcome and must not roll back; its session expires, the standby
 * takes over and finishes the migration from the journal; the relay heals and the old leader rejoins.
 */
final class CommitReplyLostScenario implements Scenario {
    private static final String SOURCE = "a1";
    private static final String TARGET = "a2";

    private final boolean partition;

    /** {@code partition}: the leader alone reaches ZooKeeper through the relay, which passes nothing more after the lost reply. */
    CommitReplyLostScenario(boolean partition) {
        this.partition = partition;
    }

    @Override
    public String name() {
        return partition
                ? "coordinator leader cut off from ZooKeeper at the commit (applied, reply lost, no connection after)"
                : "migration commit applied by ZooKeeper, its reply lost to the leader (ambiguous commit)";
    }

    @Override
    public String run(FaultCluster cluster, CounterWorkload counter) throws Exception {
        cluster.disarmAgents();
        String id = partition ? "p-commit-cut-off" : "p-commit-reply-lost";
        ZooKeeperRelay relay = new ZooKeeperRelay(cluster.local().zookeeperAddress());
        try (RunningSampler sampler = new RunningSampler(cluster.probe())) {
            ChildJvm leader =
                    partition ? cluster.leadAloneBehind(relay.address()) : cluster.leadBehind(relay.address());
            cluster.step(leader.name() + " leads, reaching ZooKeeper through the relay");
            Migrations.spawnUnderWay(cluster, counter, id, SOURCE, 0);
            cluster.client().freeze(id);
            relay.loseReplyTo(ZooKeeperRelay.MULTI, 2, partition); // the migration's start, then its commit
            String call = Migrations.migrate(cluster.client(), id, TARGET);
            if (!relay.replyLost()) {
                throw new ScenarioFailure(
                        "the commit's reply was not lost (migration " + call + "): the fault did not fire");
            }
            cluster.step("commit applied, its reply lost; migration " + call.split("\n")[0]);
            if (partition) {
                Poll.until(
                        "the standby to lead in place of " + leader.name(),
                        FaultCluster.JOIN,
                        () -> cluster.leaderNow().map(l -> l != leader).orElse(false));
                cluster.step(cluster.awaitLeader().name() + " leads");
            } else if (!call.equals("committed")) {
                throw new ScenarioFailure(
                        "the migration was committed but its caller was told: " + call.split("\n")[0]);
            }
            Poll.until(id + " thawed on its settled owner", ExactlyOnce.SETTLE, () -> Migrations.thawed(cluster, id));
            String owner = ExactlyOnce.awaitSettled(cluster, id);
            if (!owner.equals(TARGET)) {
                throw new ScenarioFailure(
                        id + " settled on " + owner + " although the commit to " + TARGET + " was applied");
            }
            ExactlyOnce.awaitExactOutput(cluster, id, owner, counter);
            ExactlyOnce.requireNeverTwice(sampler);
            if (partition) {
                relay.heal();
                return "the leader lost the commit's reply and ZooKeeper (caller told: " + call.split("\n")[0]
                        + "); the standby took over and finished on " + owner + "; output exact";
            }
            return "the leader lost the commit's reply, found the commit, reported it and finished on " + owner
                    + "; output exact";
        } finally {
            ExactlyOnce.cleanUp(cluster, id);
            cluster.leadBehind(cluster.local().zookeeperAddress());
            relay.close();
        }
    }
}
