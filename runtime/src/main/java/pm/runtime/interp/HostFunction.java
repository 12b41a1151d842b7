package pm.runtime.interp;

/**
 * A function the embedder provides for an import. Arguments and results are raw value bits (i32 in
 * the low 32 bits, floats as their IEEE bits, references as handles).
 *
 * <p>A host function that must wait (a sleep, an empty channel) throws {@link HostSuspension}: the
 * machine then parks before the call with its arguments still on the stack, holds no thread, and
 * runs the call again when resumed. So a host function must have no effect before it decides to
 * suspend.
 */
@FunctionalInterface
public interface HostFunction {
    long[] call(Instance caller, long[] args);
}
