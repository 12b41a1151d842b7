package pm.agent.store.crypto;

import java.util.HexFormat;

/**
 * Names of sealed chunks: the lowercase hex HMAC-SHA256 of the chunk's plaintext under a naming key
 * derived from the current cluster key. Like a plain SHA-256 it is the same for the same bytes, so
 * an unchanged page group is stored once however many checkpoints name it; unlike it, a name says
 * nothing about the contents to someone without the key, who could otherwise confirm a guess of a
 * page group (a known file, a low-entropy secret) by hashing it and looking for the name. A key
 * rotation changes the naming key: each chunk is stored once more under its new name, then old
 * names go with the chains that used them.
 */
public final class ChunkNames {
    private static final HexFormat HEX = HexFormat.of();
    private final byte[] namingKey;

    public ChunkNames(ClusterKeys keys) {
        if (keys.isNone()) {
            throw new IllegalArgumentException("keyed chunk names need image keys");
        }
        this.namingKey = Gcm.purposeKey(keys.currentSecret(), "chunk-name");
    }

    public String name(byte[] plain) {
        return HEX.formatHex(Gcm.hmac(namingKey, plain));
    }
}
