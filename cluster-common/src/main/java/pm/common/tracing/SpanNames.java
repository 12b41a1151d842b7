package pm.common.tracing;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The names of pm's own spans and of the attributes they carry, in one place so that the daemons,
 * the tests and the README agree. Span names are lowercase dot names like the meters'
 * ({@code pm.migration.*}); gRPC spans are named by their full method ({@code pm.v1.NodeAgent/MigrateOut}).
 */
public final class SpanNames {
    /** The whole migration on the coordinator: from the request to the answer. */
    public static final String MIGRATION = "pm.migration";
    /** Coordinator: the record names the migration and the journal is written (STARTED). */
    public static final String MIGRATION_START = "pm.migration.start";
    /** Coordinator: the source pre-copies, freezes and sends the final frame; the target prepares. */
    public static final String MIGRATION_TRANSFER = "pm.migration.transfer";
    /** Coordinator: the commit point, one ZooKeeper transaction. */
    public static final String MIGRATION_COMMIT = "pm.migration.commit";
    /** Coordinator: both agents hear of the commit (the target resumes, the source drops its copy). */
    public static final String MIGRATION_FINISH = "pm.migration.finish";

    /** Source agent: its part of the migration, from opening the stream to the target's prepared. */
    public static final String SOURCE = "pm.migration.source";
    /** Source agent: one pre-copy round while the process runs. */
    public static final String PRECOPY_ROUND = "pm.migration.precopy";
    /** Source agent: waiting for the target's disk to hold every page sent so far. */
    public static final String SYNC = "pm.migration.sync";
    /** Source agent: stopping the process at its next safepoint. */
    public static final String FREEZE = "pm.migration.freeze";
    /** Source agent: the last dirty pages and the execution state, until the target answers prepared. */
    public static final String FINAL_FRAME = "pm.migration.final";
    /** Source agent: the commit heard; HANDED_OFF written and the copy dropped. */
    public static final String HAND_OFF = "pm.migration.handoff";

    /** Target agent: the incoming stream, from its begin frame to the final frame. */
    public static final String RECEIVE = "pm.migration.receive";
    /** Target agent: restore, staged pages forced, PREPARED record. */
    public static final String PREPARE = "pm.migration.prepare";
    /** Target agent: the commit heard; the process runs here. */
    public static final String RESUME = "pm.migration.resume";

    /** Coordinator: one spawn, from the request to the answer. */
    public static final String SPAWN = "pm.spawn";
    /** Agent: starting a spawned process. */
    public static final String AGENT_SPAWN = "pm.agent.spawn";

    public static final AttributeKey<String> PROCESS_ID = AttributeKey.stringKey("pm.process.id");
    public static final AttributeKey<String> MIGRATION_ID = AttributeKey.stringKey("pm.migration.id");
    public static final AttributeKey<Long> EPOCH = AttributeKey.longKey("pm.epoch");
    public static final AttributeKey<String> SOURCE_NODE = AttributeKey.stringKey("pm.source.node");
    public static final AttributeKey<String> TARGET_NODE = AttributeKey.stringKey("pm.target.node");
    /** An agent knows its peer by address only: the source's spans name the target's, the target's the source's. */
    public static final AttributeKey<String> SOURCE_ADDRESS = AttributeKey.stringKey("pm.source.address");

    public static final AttributeKey<String> TARGET_ADDRESS = AttributeKey.stringKey("pm.target.address");
    public static final AttributeKey<String> NODE = AttributeKey.stringKey("pm.node");
    public static final AttributeKey<Long> ROUND = AttributeKey.longKey("pm.precopy.round");
    public static final AttributeKey<Long> BYTES = AttributeKey.longKey("pm.bytes");
    public static final AttributeKey<Long> PAGES = AttributeKey.longKey("pm.pages");

    private SpanNames() {}
}
