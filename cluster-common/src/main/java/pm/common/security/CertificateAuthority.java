package pm.common.security;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster's certificate authority, kept as two PEM files in one directory ({@code ca.pem},
 * {@code ca-key.pem}, the key readable by its owner only). It issues certificates whose subject is
 * {@code CN=<name>, OU=<role>, O=pm} with EC P-256 keys, usable for both ends of a TLS connection
 * (agents dial each other), and with the host names and addresses peers dial as subject
 * alternative names, since clients check them. Not thread-safe; a command-line tool's object.
 */
public final class CertificateAuthority {
    public static final String CA_CERT = "ca.pem";
    public static final String CA_KEY = "ca-key.pem";
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(825);

    private final Path dir;
    private final X509Certificate certificate;
    private final PrivateKey key;

    private CertificateAuthority(Path dir, X509Certificate certificate, PrivateKey key) {
        this.dir = dir;
        this.certificate = certificate;
        this.key = key;
    }

    /** Makes a new CA in {@code dir}; refuses to overwrite one that is there. */
    public static CertificateAuthority init(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        if (Files.exists(dir.resolve(CA_CERT)) || Files.exists(dir.resolve(CA_KEY))) {
            throw new FileAlreadyExistsException(
                    dir.resolve(CA_CERT) + " (a CA is there already; issue from it, or use another --dir)");
        }
        KeyPair pair = newKeyPair();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "pm")
                .addRDN(BCStyle.CN, name)
                .build();
        Instant now = Instant.now();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                            subject,
                            serial(),
                            Date.from(now.minusSeconds(60)),
                            Date.from(now.plus(CA_VALIDITY)),
                            subject,
                            pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(
                            Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = sign(builder, pair.getPrivate());
            writePem(dir.resolve(CA_CERT), cert, false);
            writePem(dir.resolve(CA_KEY), new JcaPKCS8Generator(pair.getPrivate(), null), true);
            return new CertificateAuthority(dir, cert, pair.getPrivate());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a CA certificate", e);
        }
    }

    /** The CA kept in {@code dir}. */
    public static CertificateAuthority open(Path dir) throws IOException {
        Path certFile = dir.resolve(CA_CERT);
        Path keyFile = dir.resolve(CA_KEY);
        if (!Files.exists(certFile) || !Files.exists(keyFile)) {
            throw new SecurityConfigException(dir + ": no CA here (" + CA_CERT + " and " + CA_KEY
                    + "); make one with: pm certs init --dir " + dir);
        }
        try (Reader c = Files.newBufferedReader(certFile, StandardCharsets.US_ASCII);
                PEMParser pc = new PEMParser(c);
                Reader k = Files.newBufferedReader(keyFile, StandardCharsets.US_ASCII);
                PEMParser pk = new PEMParser(k)) {
            Object cert = pc.readObject();
            Object key = pk.readObject();
            if (!(cert instanceof X509CertificateHolder holder) || !(key instanceof PrivateKeyInfo info)) {
                throw new SecurityConfigException(
                        dir + ": " + CA_CERT + " or " + CA_KEY + " is not what pm certs init writes");
            }
            return new CertificateAuthority(
                    dir,
                    new JcaX509CertificateConverter().getCertificate(holder),
                    new JcaPEMKeyConverter().getPrivateKey(info));
        } catch (GeneralSecurityException e) {
            throw new SecurityConfigException(certFile + ": unreadable CA certificate: " + e.getMessage());
        }
    }

    public Path certificateFile() {
        return dir.resolve(CA_CERT);
    }

    /**
     * Issues a certificate for {@code name} with {@code role}, valid from {@code notBefore} to {@code notAfter},
     * naming {@code sans} (host names or IP addresses), into {@code outDir} as {@code <name>.pem} and
     * {@code <name>-key.pem}; returns the three files a party presents.
     */
    public TlsFiles issue(Role role, String name, List<String> sans, Instant notBefore, Instant notAfter, Path outDir)
            throws IOException {
        if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
            throw new IllegalArgumentException("a certificate name is a plain file name, not '" + name + "'");
        }
        Files.createDirectories(outDir);
        KeyPair pair = newKeyPair();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "pm")
                .addRDN(BCStyle.OU, role.label())
                .addRDN(BCStyle.CN, name)
                .build();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                            certificate, serial(), Date.from(notBefore), Date.from(notAfter), subject, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(
                            Extension.keyUsage,
                            true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                    }))
                    .addExtension(
                            Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(
                            Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            if (!sans.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false, alternativeNames(sans));
            }
            X509Certificate cert = sign(builder, key);
            Path certFile = outDir.resolve(name + ".pem");
            Path keyFile = outDir.resolve(name + "-key.pem");
            writePem(certFile, cert, false);
            writePem(keyFile, new JcaPKCS8Generator(pair.getPrivate(), null), true);
            return new TlsFiles(certificateFile(), certFile, keyFile);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue a certificate for " + name, e);
        }
    }

    /** {@link #issue} valid from a minute ago for {@link #DEFAULT_VALIDITY}. */
    public TlsFiles issue(Role role, String name, List<String> sans, Path outDir) throws IOException {
        Instant now = Instant.now();
        return issue(role, name, sans, now.minusSeconds(60), now.plus(DEFAULT_VALIDITY), outDir);
    }

    private static GeneralNames alternativeNames(List<String> sans) {
        List<GeneralName> names = new ArrayList<>();
        for (String san : sans) {
            boolean ip = san.chars().allMatch(c -> Character.isDigit(c) || c == '.') || san.contains(":");
            names.add(
                    new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, ip ? literalAddress(san) : san));
        }
        return new GeneralNames(names.toArray(GeneralName[]::new));
    }

    private static String literalAddress(String san) {
        try {
            return InetAddress.getByName(san).getHostAddress(); // a literal: no lookup happens
        } catch (IOException e) {
            throw new IllegalArgumentException("not an IP address: " + san);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java platform has EC P-256", e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, new SecureRandom());
    }

    private static void writePem(Path file, Object object, boolean secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp);
        if (secret && Files.getFileAttributeView(tmp, java.nio.file.attribute.PosixFileAttributeView.class) != null) {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        }
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.US_ASCII);
                JcaPEMWriter pem = new JcaPEMWriter(w)) {
            if (object instanceof org.bouncycastle.util.io.pem.PemObjectGenerator generator) {
                pem.writeObject(generator);
            } else {
                pem.writeObject(object);
            }
        }
        Files.move(
                tmp,
                file,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
