package pm.deploy.console;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.function.Supplier;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Test support: Debian's headless chromium driven through its chromedriver (Selenium Manager cannot
 * download drivers here, so both are named by path), trusting any certificate because the test
 * cluster's CA is throw-away. Screenshots go to {@code target/console-screenshots/}. Owned by the test thread.
 */
final class ConsoleBrowser implements AutoCloseable {
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    /** CI machines run at load 10-40: a page or a refresh can take long there. */
    static final Duration PATIENCE = Duration.ofSeconds(90);

    private final ChromeDriverService service;
    private final ChromeDriver driver;

    ConsoleBrowser() throws IOException {
        if (!new File(CHROMIUM).canExecute() || !new File(CHROMEDRIVER).canExecute()) {
            throw new IllegalStateException(
                    "the browser test needs Debian's chromium and chromium-driver (apt-get install -y chromium "
                            + "chromium-driver; .ci/run installs them)");
        }
        service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--ignore-certificate-errors",
                "--window-size=1400,1100",
                "--user-data-dir=" + Files.createTempDirectory("pm-console-chromium"));
        options.setAcceptInsecureCerts(true);
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(PATIENCE).scriptTimeout(PATIENCE);
    }

    ChromeDriver driver() {
        return driver;
    }

    /** Waits, polling, until {@code condition} holds (an exception counts as not yet). */
    void until(String what, Supplier<Boolean> condition) {
        new WebDriverWait(driver, PATIENCE, Duration.ofMillis(250))
                .withMessage(what)
                .until(d -> condition.get());
    }

    /** Saves what the browser shows as {@code target/console-screenshots/NAME.png}. */
    void screenshot(String name) throws IOException {
        Path dir = Path.of("target", "console-screenshots");
        Files.createDirectories(dir);
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), dir.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        driver.quit();
        service.stop();
    }
}
