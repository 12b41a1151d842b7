package pm.common.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import pm.v1.OwnershipRecord;

class MigrationDecisionTest {
    private static final OwnershipRecord MIGRATING = OwnershipRecord.newBuilder()
            .setProcessId("p")
            .setOwner("a")
            .setEpoch(3)
            .setMigrationId("m")
            .build();

    private static MigrationDecision decide(OwnershipRecord r) {
        return MigrationDecision.decide("m", "b", 4, Optional.of(r));
    }

    @Test
    void theRecordNamingTheTargetAtTheNewEpochIsTheCommit() {
        assertThat(decide(MIGRATING.toBuilder()
                        .setOwner("b")
                        .setEpoch(4)
                        .setMigrationId("")
                        .build()))
                .isEqualTo(MigrationDecision.COMMITTED);
    }

    @Test
    void aRecordStillNamingTheMigrationIsUndecidedAndOneThatForgotItAborted() {
        assertThat(decide(MIGRATING)).isEqualTo(MigrationDecision.UNDECIDED);
        assertThat(decide(MIGRATING.toBuilder().setMigrationId("").build())).isEqualTo(MigrationDecision.ABORTED);
        assertThat(decide(MIGRATING.toBuilder().setMigrationId("another").build()))
                .isEqualTo(MigrationDecision.ABORTED);
    }

    @Test
    void aProcessGoneOrPastTheEpochAnotherWayLeavesNothingToFinish() {
        assertThat(MigrationDecision.decide("m", "b", 4, Optional.empty())).isEqualTo(MigrationDecision.SUPERSEDED);
        assertThat(decide(MIGRATING.toBuilder()
                        .setOwner("c")
                        .setEpoch(4)
                        .setMigrationId("")
                        .build()))
                .as("recovered elsewhere at the epoch the migration would have given it")
                .isEqualTo(MigrationDecision.SUPERSEDED);
        assertThat(decide(MIGRATING.toBuilder()
                        .setOwner("b")
                        .setEpoch(5)
                        .setMigrationId("")
                        .build()))
                .isEqualTo(MigrationDecision.SUPERSEDED);
    }
}
