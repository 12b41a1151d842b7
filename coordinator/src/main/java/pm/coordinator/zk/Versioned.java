package pm.coordinator.zk;

/** A znode's decoded data and the version it was read at, for a later versioned write. */
public record Versioned<T>(T value, int version) {}
