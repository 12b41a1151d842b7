package pm.agent.support;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import pm.agent.store.CheckpointRecord;
import pm.agent.store.CheckpointStore;
import pm.runtime.process.WasiProcess;

/**
 * Checkpoints a {@link PageGroups} process into the store at {@code args[0]} as process
 * {@code args[1]} until killed: a full image, then three increments, over and over. Prints each
 * checkpoint's id once its put has returned.
 */
public final class PutForeverMain {
    private PutForeverMain() {}

    public static void main(String[] args) throws Exception {
        try (CheckpointStore store = new CheckpointStore(Path.of(args[0]))) {
            WasiProcess p = PageGroups.started(PageGroups.FILL_FUEL);
            for (int i = 0; ; i++) {
                p.run(1_000);
                byte[] image = i % 4 == 0 ? PageGroups.fullImage(p) : PageGroups.increment(p);
                CheckpointRecord r = store.put(args[1], new ByteArrayInputStream(image), new byte[0]);
                System.out.println(r.checkpointId());
                System.out.flush();
            }
        }
    }
}
