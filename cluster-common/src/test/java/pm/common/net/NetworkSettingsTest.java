package pm.common.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What a daemon advertises: its bind address or the advertised host with the port it got, or an advertised port of its own. */
class NetworkSettingsTest {
    @Test
    void withoutAnAdvertisedHostTheBindAddressAndTheActualPortAreAdvertised() {
        NetworkSettings s = new NetworkSettings("10.0.0.5", 0, 0, null);
        assertThat(s.advertised(7700)).isEqualTo(new HostPort("10.0.0.5", 7700));
        assertThat(s.advertisedHost(9100)).isEqualTo(new HostPort("10.0.0.5", 9100));
    }

    @Test
    void anAdvertisedHostKeepsTheActualPorts() {
        NetworkSettings s = new NetworkSettings("0.0.0.0", 7700, 0, "node1.example");
        assertThat(s.advertised(7700)).isEqualTo(new HostPort("node1.example", 7700));
        NetworkSettings v6 = new NetworkSettings("::", 7700, 0, "fd00::5");
        assertThat(v6.advertised(7700)).isEqualTo(new HostPort("fd00::5", 7700));
    }

    @Test
    void anAdvertisedPortIsWhatPeersDialForGrpcButNotForMetrics() {
        NetworkSettings s = new NetworkSettings("127.0.0.1", 7700, 9100, "gw.example:17700");
        assertThat(s.advertised(7700)).isEqualTo(new HostPort("gw.example", 17700));
        assertThat(s.advertisedHost(9100)).isEqualTo(new HostPort("gw.example", 9100));
        assertThat(new NetworkSettings("::1", 7700, 0, "[fd00::5]:17700").advertised(7700))
                .isEqualTo(new HostPort("fd00::5", 17700));
    }

    @Test
    void aMalformedAdvertisedPortIsRefusedAtOnce() {
        assertThatThrownBy(() -> new NetworkSettings("127.0.0.1", 0, 0, "gw.example:99999"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0-65535");
        assertThatThrownBy(() -> new NetworkSettings("127.0.0.1", 0, 0, "gw.example:x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("HOST:PORT");
    }
}
