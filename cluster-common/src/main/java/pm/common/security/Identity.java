package pm.common.security;

import java.security.cert.X509Certificate;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** Who a certificate names: its common name and its role (the subject's CN and OU). */
public record Identity(String name, Role role) {
    public Identity {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an identity has a name");
        }
    }

    /** The identity {@code certificate} carries; {@link IllegalArgumentException} if it has no CN or no known role. */
    public static Identity of(X509Certificate certificate) {
        String cn = null;
        String ou = null;
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                switch (rdn.getType().toUpperCase(java.util.Locale.ROOT)) {
                    case "CN" -> cn = rdn.getValue().toString();
                    case "OU" -> ou = rdn.getValue().toString();
                    default -> {}
                }
            }
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException("unreadable subject " + certificate.getSubjectX500Principal(), e);
        }
        if (cn == null || cn.isEmpty()) {
            throw new IllegalArgumentException(
                    "the certificate's subject has no CN: " + certificate.getSubjectX500Principal());
        }
        if (ou == null) {
            throw new IllegalArgumentException(
                    "the certificate of " + cn + " carries no role (OU=node|operator|viewer)");
        }
        return new Identity(cn, Role.of(ou));
    }
}
