package pm.agent.store.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The cluster's image keys: AES-256 keys by id, one of them current. The current key seals
 * everything written from now on; every key in the ring opens what was sealed under it, so keys
 * rotate by putting a new key first in the file and keeping the old ones until nothing sealed
 * under them is left. {@link #NONE} (no key configured) means images stay plaintext.
 *
 * <p>The key file is text, one key a line, the first one current; {@code #} starts a comment:
 * <pre>
 * # pm image keys: the first encrypts, all decrypt
 * key-5c1f09ab 3q2+7w...(base64 of 32 bytes)...=
 * key-0e4d7712 9f0c1b...=
 * </pre>
 * A key id is 1 to 32 of {@code A-Z a-z 0-9 . _ -}; it is written into every sealed header.
 *
 * <p>Immutable and thread-safe. The secret bytes never leave this package.
 */
public final class ClusterKeys {
    /** No keys: checkpoints, staging files and exports stay plaintext, as before image keys existed. */
    public static final ClusterKeys NONE = new ClusterKeys(null, Map.of(), "");

    static final int KEY_BYTES = 32;
    static final int MAX_ID_LENGTH = 32;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_ID_LENGTH + "}");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String HEADER =
            "# pm image keys: one \"<id> <base64 of 32 bytes>\" a line; the first encrypts, all decrypt\n";

    private final Path file;
    private final Map<String, byte[]> keys;
    private final String currentId;

    private ClusterKeys(Path file, Map<String, byte[]> keys, String currentId) {
        this.file = file;
        this.keys = keys;
        this.currentId = currentId;
    }

    /** The keys in {@code file}; a {@link KeyFileException} naming the file if it is missing, unreadable or malformed. */
    public static ClusterKeys load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new KeyFileException("image key file " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new KeyFileException("image key file " + file + " cannot be read: permission denied");
        } catch (IOException e) {
            throw new KeyFileException("image key file " + file + " cannot be read: " + e, e);
        }
        Map<String, byte[]> keys = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            String where = "image key file " + file + ", line " + (i + 1) + ": ";
            if (fields.length != 2) {
                throw new KeyFileException(where + "expected \"<id> <base64 key>\"");
            }
            if (!ID.matcher(fields[0]).matches()) {
                throw new KeyFileException(where + "a key id is 1 to " + MAX_ID_LENGTH + " of A-Z a-z 0-9 . _ -");
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(fields[1]);
            } catch (IllegalArgumentException e) {
                throw new KeyFileException(where + "key " + fields[0] + " is not base64");
            }
            if (key.length != KEY_BYTES) {
                throw new KeyFileException(
                        where + "key " + fields[0] + " has " + key.length + " bytes, not " + KEY_BYTES);
            }
            if (keys.putIfAbsent(fields[0], key) != null) {
                throw new KeyFileException(where + "key id " + fields[0] + " appears twice");
            }
        }
        if (keys.isEmpty()) {
            throw new KeyFileException("image key file " + file + " holds no key");
        }
        return new ClusterKeys(
                file,
                Collections.unmodifiableMap(keys),
                keys.keySet().iterator().next());
    }

    /**
     * Creates {@code file}, readable by its owner only, holding one fresh random 256-bit key; fails
     * if the file exists (a key file is never overwritten: what it sealed would be lost). Returns the new key's id.
     */
    public static String generate(Path file) {
        String id = newId();
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.writeString(file, HEADER + line(id, newKey()), StandardCharsets.US_ASCII);
        } catch (FileAlreadyExistsException e) {
            throw new KeyFileException("image key file " + file + " exists already; it is never overwritten");
        } catch (IOException e) {
            throw new KeyFileException("cannot create image key file " + file + ": " + e, e);
        }
        return id;
    }

    /**
     * Puts a fresh random key first in {@code file} (it becomes current) and keeps the others (they
     * still open what they sealed); the file is replaced atomically, readable by its owner only.
     * Returns the new key's id.
     */
    public static String rotate(Path file) {
        ClusterKeys old = load(file);
        String id = newId();
        StringBuilder text = new StringBuilder(HEADER).append(line(id, newKey()));
        old.keys.forEach((k, v) -> text.append(line(k, v)));
        Path temp = file.resolveSibling(file.getFileName() + ".new");
        try {
            Files.deleteIfExists(temp);
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            Files.writeString(temp, text, StandardCharsets.US_ASCII);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new KeyFileException("cannot rewrite image key file " + file + ": " + e, e);
        }
        return id;
    }

    /** Whether images stay plaintext (no key configured). */
    public boolean isNone() {
        return keys.isEmpty();
    }

    /** The id of the key that seals; empty for {@link #NONE}. */
    public String currentId() {
        return currentId;
    }

    /** Every key id, current first. */
    public List<String> ids() {
        return new ArrayList<>(keys.keySet());
    }

    /** Throws an {@link UnknownKeyException} naming {@code id} and {@code what} unless the ring holds key {@code id}. */
    public void requireKey(String id, String what) {
        secret(id, what);
    }

    /** The secret of key {@code id}, or an {@link UnknownKeyException} naming it and saying what was being read. */
    byte[] secret(String id, String what) {
        byte[] key = keys.get(id);
        if (key == null) {
            throw new UnknownKeyException(
                    id,
                    isNone()
                            ? what + " is sealed under image key '" + id + "', and this agent has no image keys"
                            : what + " is sealed under image key '" + id + "', which is not in " + file + " (it holds "
                                    + ids() + ")");
        }
        return key;
    }

    byte[] currentSecret() {
        return keys.get(currentId);
    }

    private static String newId() {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return "key-" + HexFormat.of().formatHex(b);
    }

    private static byte[] newKey() {
        byte[] key = new byte[KEY_BYTES];
        RANDOM.nextBytes(key);
        return key;
    }

    private static String line(String id, byte[] key) {
        return id + " " + Base64.getEncoder().encodeToString(key) + "\n";
    }

    @Override
    public String toString() {
        return isNone()
                ? "ClusterKeys[none]"
                : "ClusterKeys[" + file + ", current " + currentId + ", " + keys.size() + " keys]";
    }
}
