package pm.common.security;

/**
 * A TLS file or setting that cannot be used: missing, unreadable, malformed, expired, not yet valid,
 * or without the role the daemon needs. The message is one line that names the file and the problem.
 */
public final class SecurityConfigException extends RuntimeException {
    public SecurityConfigException(String message) {
        super(message);
    }

    public SecurityConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
