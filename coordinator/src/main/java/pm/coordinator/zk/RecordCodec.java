package pm.coordinator.zk;

import com.google.protobuf.InvalidProtocolBufferException;
import pm.common.zk.RecordSeal;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessSpec;

/**
 * Ownership records as ZooKeeper holds them: a process's environment (which may hold secrets) is
 * sealed into {@code sealed_env} on the way in and restored on the way out, so every reader above
 * this class sees the spec as the user gave it. Without a seal (an insecure cluster) records pass as
 * they are. Immutable and thread-safe.
 */
public final class RecordCodec {
    public static final RecordCodec PLAIN = new RecordCodec(null);

    private final RecordSeal seal;

    public RecordCodec(RecordSeal seal) {
        this.seal = seal;
    }

    public byte[] encode(OwnershipRecord record) {
        if (seal == null || record.getSpec().getEnvCount() == 0) {
            return record.toByteArray();
        }
        byte[] env = ProcessSpec.newBuilder()
                .putAllEnv(record.getSpec().getEnvMap())
                .build()
                .toByteArray();
        return record.toBuilder()
                .setSpec(record.getSpec().toBuilder().clearEnv())
                .setSealedEnv(com.google.protobuf.ByteString.copyFrom(seal.seal(env, record.getProcessId())))
                .build()
                .toByteArray();
    }

    public OwnershipRecord decode(byte[] data) throws InvalidProtocolBufferException {
        OwnershipRecord record = OwnershipRecord.parseFrom(data);
        if (record.getSealedEnv().isEmpty()) {
            return record;
        }
        if (seal == null) {
            throw new InvalidProtocolBufferException("record " + record.getProcessId()
                    + " has a sealed environment and this" + " coordinator has no ZooKeeper secret to open it");
        }
        ProcessSpec env;
        try {
            env = ProcessSpec.parseFrom(seal.open(record.getSealedEnv().toByteArray(), record.getProcessId()));
        } catch (IllegalArgumentException e) {
            throw new InvalidProtocolBufferException(e.getMessage());
        }
        return record.toBuilder()
                .clearSealedEnv()
                .setSpec(record.getSpec().toBuilder().putAllEnv(env.getEnvMap()))
                .build();
    }
}
