package pm.common.cli;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import picocli.CommandLine.Option;
import pm.common.net.GrpcTransport;
import pm.common.security.Role;
import pm.common.security.SecurityConfigException;
import pm.common.security.TlsFiles;

/** The flags every daemon has for its certificate, or for running without one (a picocli mixin). */
public final class TlsOptions {
    @Option(names = "--ca", paramLabel = "FILE", description = "The cluster CA's certificate (PEM): whom to trust.")
    Path ca;

    @Option(
            names = "--cert",
            paramLabel = "FILE",
            description = "This daemon's certificate (PEM), issued by the cluster CA with role node.")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "This daemon's private key (PEM, PKCS#8).")
    Path key;

    @Option(names = "--insecure", description = "Plaintext, and no caller is checked: for a throw-away machine only.")
    boolean insecure;

    /**
     * The transport these flags ask for, after checking the files (valid now, issued by the CA, role one of
     * {@code roles}); {@code --insecure} logs a warning. Throws {@link SecurityConfigException}.
     */
    public GrpcTransport transport(String daemon, Set<Role> roles) {
        if (insecure) {
            if (ca != null || cert != null || key != null) {
                throw new SecurityConfigException("--insecure and --ca/--cert/--key exclude each other");
            }
            org.slf4j.LoggerFactory.getLogger(TlsOptions.class)
                    .warn(
                            "{} runs with --insecure: plaintext, and anyone who can reach its ports may act on the cluster",
                            daemon);
            return GrpcTransport.insecure();
        }
        if (ca == null || cert == null || key == null) {
            throw new SecurityConfigException(
                    "--ca, --cert and --key are required (make them with: pm certs init / pm certs issue),"
                            + " or --insecure for plaintext");
        }
        TlsFiles files = new TlsFiles(ca, cert, key);
        files.checkRole(Instant.now(), roles);
        return GrpcTransport.tls(files);
    }
}
