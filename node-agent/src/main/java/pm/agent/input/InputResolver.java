package pm.agent.input;

import com.google.protobuf.ByteString;
import pm.agent.AgentException;
import pm.agent.store.BlobStore;

/** Finds the stored input (a file's contents, stdin) that a spec names by SHA-256 and size. */
@FunctionalInterface
public interface InputResolver {
    /** The size to pass when only the hash is known (an image's reference): whatever the holder has is checked by hash. */
    long ANY_SIZE = -1;

    /** The input, held here or fetched; {@link AgentException} NOT_FOUND if no one holds it. */
    BlobStore.Blob require(ByteString sha256, long size);

    /** For an agent without an input store (tests of the runtime pieces): every named input is missing. */
    InputResolver NONE = (sha, size) -> {
        throw new AgentException(
                AgentException.Reason.NOT_FOUND,
                "input " + java.util.HexFormat.of().formatHex(sha.toByteArray()) + " (" + size
                        + " bytes): this agent keeps no inputs");
    };
}
