package pm.common.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * How a daemon writes its log: text lines ({@code logback.xml}, what logback reads at start-up) or one
 * JSON object per line ({@code logback-json.xml}), chosen by {@code --log-format}. Called once, on the
 * daemon's main thread, before it starts anything that logs.
 */
public final class DaemonLogging {
    /** The formats {@code --log-format} takes. */
    public enum Format {
        TEXT("/logback.xml"),
        JSON("/logback-json.xml");

        private final String resource;

        Format(String resource) {
            this.resource = resource;
        }

        /** {@code text} or {@code json}, any case. */
        public static Format parse(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--log-format is text or json, not '" + name + "'");
            }
        }
    }

    private DaemonLogging() {}

    /** Switches this JVM's logging to {@code format} (TEXT is what logback reads at start-up). */
    public static void use(Format format) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another SLF4J backend (an embedding application's): it keeps its own format
        }
        URL config = DaemonLogging.class.getResource(format.resource);
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(config);
        } catch (JoranException e) {
            throw new IllegalStateException("cannot read " + format.resource, e);
        }
    }
}
