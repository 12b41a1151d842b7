package pm.deploy.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import pm.client.ClientSettings;
import pm.client.ClusterClient;
import pm.client.SpawnOptions;
import pm.common.security.Role;
import pm.common.security.TlsFiles;
import pm.deploy.DemoGuest;
import pm.deploy.LocalCluster;
import pm.v1.ProcessState;

/**
 * The web console in a real headless chromium, against the local cluster as it runs by default (mutual
 * TLS, each daemon its own JVM, the console on HTTPS): sessions come from login URLs that the SDK asks
 * for with an operator's or a viewer's certificate, exactly as {@code pmctl console} does.
 */
class ConsoleBrowserTest {
    private static Path dir;
    private static LocalCluster cluster;
    private static ClusterClient operator;
    private static ClusterClient viewer;
    private static ConsoleBrowser browser;
    private ChromeDriver page;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("pm-console");
        cluster = new LocalCluster(dir, List.of(), List.of("--console-port", "0")).start(List.of(0), 2);
        operator = new ClusterClient(cluster.clientSettings().withCallTimeout(Duration.ofMinutes(2)));
        assertThat(cluster.awaitAgentsJoined(operator, Duration.ofMinutes(2))).isTrue();
        TlsFiles viewerFiles = cluster.secrets().issue(Role.VIEWER, "viewer-1", List.of());
        viewer = new ClusterClient(ClientSettings.of(cluster.coordinatorAddresses())
                .withCallTimeout(Duration.ofMinutes(2))
                .withTls(viewerFiles.ca(), viewerFiles.cert(), viewerFiles.key()));
        browser = new ConsoleBrowser();
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        for (ClusterClient c : new ClusterClient[] {viewer, operator}) {
            if (c != null) {
                c.close();
            }
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void freshSession() {
        page = browser.driver();
        page.manage().deleteAllCookies();
    }

    /** A long-running demo program (one step every 300 ms), placed where placement picks. */
    private static String spawn(String id, Map<String, String> labels) throws Exception {
        SpawnOptions.Builder options = SpawnOptions.builder(DemoGuest.module(), "demo")
                .withProcessId(id)
                .withArgs("100000", "300", "2000");
        labels.forEach(options::withLabel);
        operator.spawn(options.build());
        return id;
    }

    /** Opens a login URL issued to {@code client}'s certificate and lands on the overview. */
    private void logIn(ClusterClient client) {
        page.get(client.consoleLogin("").getUrl());
        browser.until(
                "the overview lists the nodes",
                () -> !page.findElements(By.cssSelector("#nodes tr[data-node]")).isEmpty());
    }

    private String cell(String processId, String column) {
        List<WebElement> cells =
                page.findElements(By.cssSelector("#processes tr[data-process='" + processId + "'] td." + column));
        return cells.isEmpty() ? "" : cells.get(0).getText();
    }

    @Test
    void theOverviewListsTheNodesAndAMigratedProcessMovesWithoutAReload() throws Exception {
        String id = spawn("console-moves", Map.of());
        logIn(operator);
        browser.until(
                "both agents listed",
                () -> page.findElements(By.cssSelector("#nodes tr[data-node] td.name")).stream()
                        .map(WebElement::getText)
                        .toList()
                        .containsAll(List.of("a1", "a2")));
        String source = operator.get(id).getNode();
        browser.until(
                "the process is listed on its node", () -> cell(id, "node").equals(source));
        page.executeScript("window.pmSamePage = 'not reloaded';");
        browser.screenshot("overview-before-migration");

        String target = source.equals("a1") ? "a2" : "a1";
        operator.migrate(id, target);

        browser.until(
                "the page shows the process on " + target,
                () -> cell(id, "node").equals(target));
        assertThat(page.executeScript("return window.pmSamePage;")).isEqualTo("not reloaded");
        browser.until(
                "the migration is in the event stream",
                () -> page.findElements(By.cssSelector("#events li")).stream()
                        .anyMatch(li -> li.getText().contains("migration_committed")
                                && li.getText().contains(id)));
        browser.screenshot("overview-after-migration");
    }

    @Test
    void aViewerSeesNoActionButtonsAndItsForgedActionIsRefused() throws Exception {
        String id = spawn("console-viewed", Map.of());
        logIn(viewer);
        browser.until("the process is listed", () -> !cell(id, "state").isEmpty());
        assertThat(page.findElement(By.id("who")).getText()).contains("viewer-1", "viewer");
        assertThat(page.findElements(By.cssSelector("button[data-action]"))).isEmpty();
        assertThat(page.findElements(By.id("confirm"))).isEmpty();
        browser.screenshot("viewer-overview");

        // The viewer's own session and CSRF token, posting what an operator's Freeze button would.
        Object answer = page.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                const csrf = document.querySelector('meta[name="pm-csrf"]').content;
                fetch('/action', {method: 'POST', body: new URLSearchParams({csrf: csrf, op: 'freeze', process: arguments[0]})})
                  .then(r => r.text().then(t => done(r.status + ' ' + t)))
                  .catch(e => done('failed ' + e));
                """, id);
        assertThat(String.valueOf(answer))
                .startsWith("403 ")
                .contains("pm.v1.Cluster/Freeze is for operator", "viewer-1 has role viewer");
        assertThat(operator.get(id).getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
    }

    @Test
    void anOperatorFreezesAProcessThroughItsButtonAfterConfirming() throws Exception {
        String id = spawn("console-frozen", Map.of());
        logIn(operator);
        browser.until(
                "the process is running on the page", () -> cell(id, "state").equals("running"));
        page.findElement(By.cssSelector("#processes tr[data-process='" + id + "'] button[data-action='freeze']"))
                .click();
        WebElement dialog = page.findElement(By.id("confirm"));
        browser.until("the confirmation opens", dialog::isDisplayed);
        assertThat(page.findElement(By.id("confirm-text")).getText()).isEqualTo("Freeze process " + id + "?");
        assertThat(operator.get(id).getState())
                .isEqualTo(ProcessState.PROCESS_STATE_RUNNING); // nothing happens before Confirm
        browser.screenshot("operator-confirm-freeze");
        page.findElement(By.id("confirm-ok")).click();

        browser.until(
                "the page says it froze",
                () -> page.findElements(By.id("flash")).stream()
                        .anyMatch(f -> f.getText().contains("froze " + id)));
        browser.until("the table shows it frozen", () -> cell(id, "state").equals("frozen"));
        assertThat(operator.get(id).getState()).isEqualTo(ProcessState.PROCESS_STATE_FROZEN);
        browser.screenshot("operator-after-freeze");
    }

    @Test
    void theProcessPageShowsItsLogMigrationHistoryAndEscapesWhatTheClusterSays() throws Exception {
        String id = spawn("console-detail", Map.of("note", "<script>window.pmInjected = true;</script>"));
        String source = operator.get(id).getNode();
        operator.migrate(id, source.equals("a1") ? "a2" : "a1");
        logIn(operator);
        page.get(page.getCurrentUrl().replaceAll("/(\\?.*)?$", "") + "/process?id=" + id);
        browser.until(
                "the log streams in",
                () -> page.findElement(By.id("log")).getText().contains("step   1 of 100000"));
        browser.until(
                "the migration history shows the move",
                () -> page.findElements(By.cssSelector("#migration-history li")).stream()
                        .anyMatch(li -> li.getText().contains("migration_committed")));
        assertThat(page.findElement(By.cssSelector("#process td.labels")).getText())
                .contains("<script>window.pmInjected = true;</script>");
        assertThat(page.executeScript("return window.pmInjected === undefined;"))
                .isEqualTo(true);
        browser.screenshot("process-page");
    }
}
