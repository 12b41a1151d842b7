package pm.deploy.soak;

/** What the driver does to the cluster; {@code REAP} checks a finished process's output, then removes it. */
public enum OpKind {
    SPAWN,
    MIGRATE,
    CHECKPOINT,
    FREEZE,
    THAW,
    SUSPEND,
    RESUME,
    KILL,
    REAP;

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
