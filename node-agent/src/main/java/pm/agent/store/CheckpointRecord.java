package pm.agent.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * One stored checkpoint of a process. {@code checkpointId} is the id of the image it holds;
 * {@code baseCheckpointId} is empty for a full image and names the checkpoint an increment
 * applies to. {@code bytes} is the image's size, {@code newBytes} the part of it the store did
 * not already hold when it was put. {@code attachment} is the caller's, stored as given.
 */
public record CheckpointRecord(
        String processId,
        String checkpointId,
        String baseCheckpointId,
        long bytes,
        long newBytes,
        long createdMillis,
        byte[] attachment) {
    public CheckpointRecord {
        Objects.requireNonNull(baseCheckpointId, "baseCheckpointId (empty for a full image)");
        if (processId == null || processId.isEmpty() || checkpointId == null || checkpointId.isEmpty()) {
            throw new IllegalArgumentException("a checkpoint needs a process id and a checkpoint id");
        }
        if (bytes < 0 || newBytes < 0 || newBytes > bytes) {
            throw new IllegalArgumentException(
                    "checkpoint " + checkpointId + ": " + newBytes + " new of " + bytes + " bytes");
        }
        attachment = attachment.clone();
    }

    /** Whether this checkpoint is a full image, restorable on its own. */
    public boolean isFull() {
        return baseCheckpointId.isEmpty();
    }

    @Override
    public byte[] attachment() {
        return attachment.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CheckpointRecord r
                && processId.equals(r.processId)
                && checkpointId.equals(r.checkpointId)
                && baseCheckpointId.equals(r.baseCheckpointId)
                && bytes == r.bytes
                && newBytes == r.newBytes
                && createdMillis == r.createdMillis
                && Arrays.equals(attachment, r.attachment);
    }

    @Override
    public int hashCode() {
        return Objects.hash(processId, checkpointId, baseCheckpointId, bytes, newBytes, createdMillis) * 31
                + Arrays.hashCode(attachment);
    }

    @Override
    public String toString() {
        return "CheckpointRecord[" + processId + "/" + checkpointId
                + (isFull() ? " full" : " on " + baseCheckpointId) + ", " + bytes + " bytes (" + newBytes + " new), at "
                + createdMillis + ", attachment " + attachment.length + " bytes]";
    }
}
