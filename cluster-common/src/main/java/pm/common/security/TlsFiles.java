package pm.common.security;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * The three PEM files a party of the cluster presents: the cluster CA's certificate (what it trusts),
 * its own certificate, and its private key (PKCS#8). {@link #check} reads all three and says in one
 * line what is wrong with any of them before a server or channel is built on them, so a daemon with a
 * bad file stops at start-up instead of failing every handshake later.
 */
public record TlsFiles(Path ca, Path cert, Path key) {
    public TlsFiles {
        if (ca == null || cert == null || key == null) {
            throw new SecurityConfigException("TLS needs all three of --ca, --cert and --key");
        }
    }

    /**
     * The identity the certificate carries, once the files are readable, the certificate and the CA are valid at
     * {@code now}, the CA signed the certificate, and the key belongs to it.
     */
    public Identity check(Instant now) {
        List<X509Certificate> authorities = certificates(ca, "CA certificate");
        X509Certificate own = certificates(cert, "certificate").get(0);
        PrivateKey privateKey = privateKey();
        for (X509Certificate authority : authorities) {
            within(authority, ca, now);
        }
        within(own, cert, now);
        if (authorities.stream().noneMatch(a -> signedBy(own, a))) {
            throw new SecurityConfigException(cert + ": not issued by the CA in " + ca);
        }
        if (!matches(privateKey, own)) {
            throw new SecurityConfigException(key + ": this key does not belong to the certificate in " + cert);
        }
        try {
            return Identity.of(own);
        } catch (IllegalArgumentException e) {
            throw new SecurityConfigException(cert + ": " + e.getMessage());
        }
    }

    /** {@link #check}, and the certificate's role must be one of {@code allowed}. */
    public Identity checkRole(Instant now, Set<Role> allowed) {
        Identity identity = check(now);
        if (!allowed.contains(identity.role())) {
            throw new SecurityConfigException(
                    cert + ": the certificate's role is " + identity.role().label() + "; this needs "
                            + allowed.stream().map(Role::label).sorted().collect(Collectors.joining(" or ")));
        }
        return identity;
    }

    /**
     * Server side: presents the certificate, trusts only the CA, and asks for (but does not require) a
     * client certificate, so that a caller without one gets UNAUTHENTICATED from {@link RoleAuthorizer}
     * rather than a failed handshake it cannot read.
     */
    public ServerCredentials serverCredentials() {
        try {
            return TlsServerCredentials.newBuilder()
                    .keyManager(cert.toFile(), key.toFile())
                    .trustManager(ca.toFile())
                    .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
                    .build();
        } catch (IOException e) {
            throw new SecurityConfigException("cannot use " + cert + " / " + key + ": " + e.getMessage(), e);
        }
    }

    /** Client side: presents the certificate and trusts only servers the CA certified for the name dialled. */
    public ChannelCredentials channelCredentials() {
        try {
            return TlsChannelCredentials.newBuilder()
                    .keyManager(cert.toFile(), key.toFile())
                    .trustManager(ca.toFile())
                    .build();
        } catch (IOException e) {
            throw new SecurityConfigException("cannot use " + cert + " / " + key + ": " + e.getMessage(), e);
        }
    }

    /**
     * The JDK's TLS for a server that presents this certificate and asks for no client certificate: the coordinator's
     * web console, whose browsers log in with a one-time URL instead (see the coordinator's console package).
     */
    public javax.net.ssl.SSLContext serverSslContext() {
        X509Certificate own = certificates(cert, "certificate").get(0);
        List<X509Certificate> chain = new java.util.ArrayList<>(List.of(own));
        chain.addAll(certificates(ca, "CA certificate"));
        try {
            java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] password = new char[0];
            keys.setKeyEntry("server", privateKey(), password, chain.toArray(new X509Certificate[0]));
            javax.net.ssl.KeyManagerFactory managers =
                    javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            managers.init(keys, password);
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(managers.getKeyManagers(), null, null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new SecurityConfigException("cannot serve TLS with " + cert + " / " + key + ": " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> certificates(Path file, String what) {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends java.security.cert.Certificate> all =
                    CertificateFactory.getInstance("X.509").generateCertificates(in);
            List<X509Certificate> certs =
                    all.stream().map(X509Certificate.class::cast).toList();
            if (certs.isEmpty()) {
                throw new SecurityConfigException(file + ": no " + what + " in it (expected PEM, BEGIN CERTIFICATE)");
            }
            return certs;
        } catch (NoSuchFileException e) {
            throw new SecurityConfigException(file + ": no such " + what + " file");
        } catch (IOException e) {
            throw new SecurityConfigException(file + ": cannot read the " + what + ": " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new SecurityConfigException(file + ": not a PEM X.509 " + what + ": " + e.getMessage());
        }
    }

    private PrivateKey privateKey() {
        Object parsed;
        try (Reader in = Files.newBufferedReader(key, StandardCharsets.US_ASCII);
                PEMParser pem = new PEMParser(in)) {
            parsed = pem.readObject();
        } catch (NoSuchFileException e) {
            throw new SecurityConfigException(key + ": no such key file");
        } catch (IOException e) {
            throw new SecurityConfigException(key + ": cannot read the key: " + e.getMessage());
        }
        if (parsed instanceof PEMKeyPair) {
            throw new SecurityConfigException(
                    key + ": the key is not PKCS#8 (convert it: openssl pkcs8 -topk8 -nocrypt -in " + key + ")");
        }
        if (!(parsed instanceof PrivateKeyInfo info)) {
            throw new SecurityConfigException(key + ": not a PEM private key (expected BEGIN PRIVATE KEY)");
        }
        try {
            return new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException e) {
            throw new SecurityConfigException(key + ": unreadable private key: " + e.getMessage());
        }
    }

    private static void within(X509Certificate c, Path file, Instant now) {
        Date at = Date.from(now);
        if (at.before(c.getNotBefore())) {
            throw new SecurityConfigException(
                    file + ": not valid before " + c.getNotBefore().toInstant());
        }
        if (at.after(c.getNotAfter())) {
            throw new SecurityConfigException(
                    file + ": expired on " + c.getNotAfter().toInstant());
        }
    }

    private static boolean signedBy(X509Certificate c, X509Certificate authority) {
        try {
            c.verify(authority.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static boolean matches(PrivateKey privateKey, X509Certificate c) {
        try {
            String algorithm = privateKey.getAlgorithm().equals("EC")
                    ? "SHA256withECDSA"
                    : "SHA256with" + privateKey.getAlgorithm();
            byte[] probe = "pm key check".getBytes(StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(privateKey);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(c.getPublicKey());
            verify.update(probe);
            return verify.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
