package pm.coordinator.migration;

import pm.v1.MigrationJournal;

/** Hears each journal phase as it is written, before the next step; tests use it to stop a coordinator there. */
public interface MigrationObserver {
    void reached(MigrationJournal journal);

    MigrationObserver NONE = journal -> {};
}
