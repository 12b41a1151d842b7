package pm.coordinator.zk;

import pm.v1.OwnershipRecord;

/** What an ownership record's state says about the process, for the coordinator's loops. */
public final class RecordStates {
    private RecordStates() {}

    /** It exited, failed or was killed: nothing will run it again (its files and output may still be read). */
    public static boolean ended(OwnershipRecord r) {
        return switch (r.getState()) {
            case PROCESS_STATE_EXITED, PROCESS_STATE_FAILED, PROCESS_STATE_KILLED -> true;
            default -> false;
        };
    }
}
