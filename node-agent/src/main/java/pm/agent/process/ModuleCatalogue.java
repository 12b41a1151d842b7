package pm.agent.process;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import pm.agent.AgentException;
import pm.agent.store.LocalStores;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.JitCache;
import pm.runtime.interp.Machine;
import pm.v1.ProcessSpec;

/**
 * The modules this agent stores (by SHA-256, in its {@link LocalStores}) and their compiled forms,
 * decoded once per module and kept while the module is: a spawn of a known module costs a hash.
 * Their JVM bytecode (tiers other than the interpreter) is made in the agent's {@link JitCache},
 * started in the background as soon as a module is known here, so that a spawn, a restore or an
 * arriving migration finds it made; the cache keeps it on disk, so a restarted agent loads it
 * instead of compiling again. Thread-safe.
 */
public final class ModuleCatalogue {
    private final LocalStores stores;
    private final JitCache code;
    private final Machine.Tier tier;
    private final Map<String, CompiledModule> compiled = new ConcurrentHashMap<>();

    ModuleCatalogue(LocalStores stores, JitCache code, Machine.Tier tier) {
        this.stores = stores;
        this.code = code;
        this.tier = tier;
    }

    /** Deletes the stored modules {@code live} does not name, unused since {@code unusedSinceMillis}, and their compiled forms. */
    public int sweep(java.util.function.Supplier<java.util.Set<String>> live, long unusedSinceMillis) {
        List<String> deleted = stores.sweepModules(live, unusedSinceMillis);
        compiled.keySet().removeAll(deleted);
        deleted.forEach(sha -> code.forget(HexFormat.of().parseHex(sha)));
        return deleted.size();
    }

    /** Decodes {@code bytes} (refusing a malformed or invalid module) and starts making its bytecode if the tier runs any. */
    private CompiledModule decode(byte[] bytes) {
        CompiledModule m = CompiledModule.compile(bytes, code);
        if (tier != Machine.Tier.INTERP) {
            code.prepare(m);
        }
        return m;
    }

    /** The compiled module for {@code spec}: from its bytes (stored once) or from the module store. */
    public CompiledModule module(ProcessSpec spec) {
        String sha;
        if (!spec.getModule().isEmpty()) {
            CompiledModule known = compiled.get(sha256Hex(spec.getModule()));
            if (known != null) {
                return known; // compiled and stored before: a spawn of a known module costs a hash (of the bytes in
                // place, no copy)
            }
            byte[] bytes = spec.getModule().toByteArray();
            CompiledModule m = decode(bytes); // refuses a malformed or invalid module first
            sha = stores.putModule(bytes);
            return compiled.computeIfAbsent(sha, k -> m);
        }
        if (spec.getModuleSha256().isEmpty()) {
            throw new AgentException(
                    AgentException.Reason.BAD_REQUEST, "no module: give its bytes or the sha256 of a stored one");
        }
        sha = HexFormat.of().formatHex(spec.getModuleSha256().toByteArray());
        return compiled.computeIfAbsent(
                sha,
                k -> decode(stores.module(k)
                        .orElseThrow(() -> new AgentException(
                                AgentException.Reason.NOT_FOUND, "no module sha256:" + k + " on this agent"))));
    }

    private static String sha256Hex(com.google.protobuf.ByteString bytes) {
        try {
            java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
            bytes.asReadOnlyByteBufferList().forEach(digest::update);
            return HexFormat.of().formatHex(digest.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    public byte[] bytesOf(CompiledModule module) {
        String sha = HexFormat.of().formatHex(module.sha256());
        return stores.module(sha)
                .orElseThrow(() -> new IllegalStateException("module sha256:" + sha + " missing from the store"));
    }

    /** The bytes of a stored module, by its SHA-256. */
    public byte[] stored(byte[] sha256) {
        String sha = HexFormat.of().formatHex(sha256);
        return stores.module(sha)
                .orElseThrow(() -> new AgentException(
                        AgentException.Reason.NOT_FOUND, "no module sha256:" + sha + " on this agent"));
    }

    public boolean has(byte[] sha256) {
        return stores.hasModule(HexFormat.of().formatHex(sha256));
    }

    public void store(byte[] bytes) {
        CompiledModule m = decode(bytes);
        compiled.putIfAbsent(stores.putModule(bytes), m);
    }
}
