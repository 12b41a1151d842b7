package pm.agent.store;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import pm.agent.store.crypto.ClusterKeys;
import pm.agent.store.crypto.Sealer;

/**
 * Messages kept one per file in a directory, e.g. the /data of processes that ended here, so their
 * results can still be copied out after the agent restarts, until the process is removed. Sealed
 * under the image keys if the agent has them (bound to the file's name, under {@code purpose}).
 * Written atomically; thread-safe (no state but the directory).
 */
public final class SealedMessages<T extends MessageLite> {
    private final Path dir;
    private final ClusterKeys keys;
    private final String purpose;
    private final Parser<T> parser;

    /** {@code purpose} names what the files hold, in errors and in the seal's context. */
    public SealedMessages(Path dir, ClusterKeys keys, String purpose, Parser<T> parser) {
        this.dir = dir;
        this.keys = keys;
        this.purpose = purpose;
        this.parser = parser;
    }

    public void put(String name, T message) {
        byte[] plain = message.toByteArray();
        byte[] bytes = keys.isNone() ? plain : new Sealer(keys, purpose).seal(binding(name), plain, 0, plain.length);
        try {
            Files.createDirectories(dir);
            Durable.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the " + purpose + " of " + name, e);
        }
    }

    public Optional<T> get(String name) {
        try {
            byte[] bytes = Files.readAllBytes(dir.resolve(name));
            byte[] plain = Sealer.looksSealed(bytes)
                    ? new Sealer(keys, purpose).open(binding(name), bytes, purpose + " of " + name)
                    : bytes;
            return Optional.of(parser.parseFrom(plain));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (InvalidProtocolBufferException e) {
            throw new CorruptCheckpointException("the " + purpose + " of " + name + " are damaged: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the " + purpose + " of " + name, e);
        }
    }

    /** The names of every message kept here. */
    public java.util.List<String> names() {
        if (!Files.isDirectory(dir)) {
            return java.util.List.of();
        }
        try (var files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> !n.startsWith("."))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the " + purpose + " in " + dir, e);
        }
    }

    public void delete(String name) {
        try {
            Files.deleteIfExists(dir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the " + purpose + " of " + name, e);
        }
    }

    private static byte[] binding(String name) {
        return name.getBytes(StandardCharsets.UTF_8);
    }
}
