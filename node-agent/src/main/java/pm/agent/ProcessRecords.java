package pm.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import pm.v1.ProcessRecord;

/**
 * One small file per process saying what this agent must do with it after a restart (see
 * {@link ProcessRecord.Disposition}). Each write is atomic and durable: temp file, fsync, rename,
 * fsync of the directory. Thread-safe (each file is written whole; callers serialise per process).
 */
final class ProcessRecords {
    private final Path dir;

    ProcessRecords(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void put(ProcessRecord record) {
        Path file = file(record.getProcessId());
        Path temp = dir.resolve(file.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(record.toByteArray()));
                ch.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record process " + record.getProcessId(), e);
        }
    }

    Optional<ProcessRecord> get(String processId) {
        Path file = file(processId);
        try {
            return Files.exists(file) ? Optional.of(ProcessRecord.parseFrom(Files.readAllBytes(file))) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the record of process " + processId, e);
        }
    }

    void delete(String processId) {
        try {
            Files.deleteIfExists(file(processId));
            syncDirectory();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<ProcessRecord> all() {
        List<ProcessRecord> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (f.getFileName().toString().endsWith(".record")) {
                    out.add(ProcessRecord.parseFrom(Files.readAllBytes(f)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private Path file(String processId) {
        // Ids are user input: encode them so that no id can name another path.
        String name = Base64.getUrlEncoder().withoutPadding().encodeToString(processId.getBytes(StandardCharsets.UTF_8));
        return dir.resolve(name + ".record");
    }

    private void syncDirectory() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
