package pm.coordinator.zk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import pm.common.zk.ZooKeeperAccess;
import pm.v1.OwnershipRecord;
import pm.v1.ProcessSpec;

class RecordCodecTest {
    private static final OwnershipRecord RECORD = OwnershipRecord.newBuilder()
            .setProcessId("p1")
            .setOwner("a1")
            .setEpoch(3)
            .setSpec(ProcessSpec.newBuilder()
                    .addArgs("prog")
                    .putEnv("DB_PASSWORD", "hunter2-secret")
                    .putEnv("MODE", "fast"))
            .build();

    private static RecordCodec sealedBy(String secret) {
        return new RecordCodec(ZooKeeperAccess.withSecret(secret).recordSeal());
    }

    @Test
    void theEnvironmentIsNotInTheStoredBytesAndComesBackWhole() throws Exception {
        RecordCodec codec = sealedBy("cluster-secret");
        byte[] stored = codec.encode(RECORD);
        assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("hunter2-secret", "DB_PASSWORD");
        assertThat(OwnershipRecord.parseFrom(stored).getSpec().getEnvCount()).isZero();
        assertThat(codec.decode(stored)).isEqualTo(RECORD);
    }

    @Test
    void anotherSecretATamperedValueOrAnotherRecordIdIsRefused() throws Exception {
        byte[] stored = sealedBy("cluster-secret").encode(RECORD);
        assertThatThrownBy(() -> sealedBy("other-secret").decode(stored))
                .isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessageContaining("does not authenticate");
        OwnershipRecord parsed = OwnershipRecord.parseFrom(stored);
        byte[] flipped = parsed.getSealedEnv().toByteArray();
        flipped[flipped.length - 1] ^= 1;
        byte[] tampered = parsed.toBuilder()
                .setSealedEnv(com.google.protobuf.ByteString.copyFrom(flipped))
                .build()
                .toByteArray();
        assertThatThrownBy(() -> sealedBy("cluster-secret").decode(tampered))
                .isInstanceOf(InvalidProtocolBufferException.class);
        byte[] moved = parsed.toBuilder().setProcessId("p2").build().toByteArray();
        assertThatThrownBy(() -> sealedBy("cluster-secret").decode(moved))
                .isInstanceOf(InvalidProtocolBufferException.class);
        assertThatThrownBy(() -> RecordCodec.PLAIN.decode(stored))
                .isInstanceOf(InvalidProtocolBufferException.class)
                .hasMessageContaining("no ZooKeeper secret");
    }

    @Test
    void anOpenClusterStoresRecordsAsTheyAre() throws Exception {
        assertThat(RecordCodec.PLAIN.encode(RECORD)).isEqualTo(RECORD.toByteArray());
        assertThat(RecordCodec.PLAIN.decode(RECORD.toByteArray())).isEqualTo(RECORD);
    }
}
