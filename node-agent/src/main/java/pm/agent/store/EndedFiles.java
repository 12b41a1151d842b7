package pm.agent.store;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import pm.agent.store.crypto.ClusterKeys;
import pm.agent.store.crypto.Sealer;
import pm.v1.FileSystemState;

/**
 * The /data of processes that ended here, one file each, so their results can still be copied out after
 * the agent restarts, until the process is removed. Input files the guest never changed are references
 * (hashes), so a file is as large as what the program wrote. Sealed under the image keys if the agent
 * has them (bound to the file's name). Written atomically; thread-safe (no state but the directory).
 */
public final class EndedFiles {
    private final Path dir;
    private final ClusterKeys keys;

    public EndedFiles(Path dir, ClusterKeys keys) {
        this.dir = dir;
        this.keys = keys;
    }

    public void put(String name, FileSystemState files) {
        byte[] plain = files.toByteArray();
        byte[] bytes = keys.isNone() ? plain : new Sealer(keys, "ended-files").seal(binding(name), plain, 0, plain.length);
        try {
            Files.createDirectories(dir);
            Durable.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the files of ended process " + name, e);
        }
    }

    public Optional<FileSystemState> get(String name) {
        try {
            byte[] bytes = Files.readAllBytes(dir.resolve(name));
            byte[] plain = Sealer.looksSealed(bytes) ? new Sealer(keys, "ended-files").open(binding(name), bytes, "files of " + name)
                    : bytes;
            return Optional.of(FileSystemState.parseFrom(plain));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (InvalidProtocolBufferException e) {
            throw new CorruptCheckpointException("the kept files of ended process " + name + " are damaged: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the files of ended process " + name, e);
        }
    }

    public void delete(String name) {
        try {
            Files.deleteIfExists(dir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the files of ended process " + name, e);
        }
    }

    private static byte[] binding(String name) {
        return name.getBytes(StandardCharsets.UTF_8);
    }
}
