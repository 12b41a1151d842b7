package pm.deploy.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import pm.common.cli.ConfigFile;

/**
 * The distribution's files (deploy/src/dist) against the real mains: every flag the systemd units, the
 * compose file and the Kubernetes manifests pass to bin/pm or bin/pmctl exists and parses, every conf
 * sample passes the check its daemon makes at start, and every certificate file a flag names is where
 * the volumes put it.
 */
class DistFilesTest {
    private static final Path DIST = Path.of(System.getProperty("pm.dist.sources", "src/dist"));
    private static final Path CONF = DIST.resolve("conf");

    @ParameterizedTest
    @ValueSource(strings = {"agent", "coordinator", "zookeeper"})
    void confSampleOfEachDaemonPassesItsStartUpCheck(String daemon) {
        Path sample = CONF.resolve(daemon + ".properties");
        var spec = PmCommandLines.pm(daemon).getCommandSpec();

        assertThatCode(() -> ConfigFile.load(sample).check(spec)).doesNotThrowAnyException();
        assertThat(PmCommandLines.problems(
                        "pm " + daemon + " --config " + sample,
                        PmCommandLines.pm(daemon),
                        List.of("--config", sample.toString()),
                        CONF))
                .isEmpty();
        assertThat(properties(sample).stringPropertyNames())
                .as("keys of %s that name hidden (test-only) flags", sample)
                .noneMatch(key -> spec.findOption("--" + key).hidden());
    }

    @Test
    void pmctlSampleHoldsOnlyTheKeysPmctlReads() {
        Properties sample = properties(CONF.resolve("pmctl.properties"));
        var spec = PmCommandLines.pmctl().getCommandSpec();

        assertThat(sample.stringPropertyNames()).containsExactlyInAnyOrder("coordinator", "ca", "cert", "key");
        assertThat(sample.stringPropertyNames()).allMatch(key -> spec.findOption("--" + key) != null);
    }

    @Test
    void systemdUnitsRunEachDaemonFromItsConfigFileAsUserPm() throws IOException {
        Map<String, Map<String, List<String>>> units = new TreeMap<>();
        try (Stream<Path> files = Files.list(DIST.resolve("systemd"))) {
            for (Path unit : files.toList()) {
                units.put(unit.getFileName().toString(), unitFile(unit));
            }
        }
        assertThat(units).containsOnlyKeys("pm-agent.service", "pm-coordinator.service", "pm-zookeeper.service");

        List<String> problems = new ArrayList<>();
        units.forEach((name, unit) -> {
            String daemon = name.substring("pm-".length(), name.length() - ".service".length());
            Map<String, List<String>> service = unit.entrySet().stream()
                    .filter(e -> e.getKey().startsWith("Service."))
                    .collect(Collectors.toMap(e -> e.getKey().substring("Service.".length()), Map.Entry::getValue));
            assertThat(service)
                    .as(name)
                    .containsEntry("User", List.of("pm"))
                    .containsEntry("Restart", List.of("on-failure"));
            List<String> exec = List.of(service.get("ExecStart").get(0).split("\\s+"));
            assertThat(exec.subList(0, 4))
                    .as(name)
                    .containsExactly("/opt/pm/bin/pm", daemon, "--config", "/etc/pm/" + daemon + ".properties");
            problems.addAll(
                    PmCommandLines.problems(name, PmCommandLines.pm(daemon), exec.subList(2, exec.size()), CONF));
        });
        assertThat(problems).isEmpty();
    }

    @Test
    void composeCommandsUseOnlyFlagsOfPmAndFilesTheVolumesHold() {
        Map<String, Object> compose =
                yaml(DIST.resolve("docker/docker-compose.yml")).get(0);
        Map<String, Map<String, Object>> services = maps(compose.get("services"));
        List<String> problems = new ArrayList<>();
        Map<String, Integer> daemons = new TreeMap<>();

        services.forEach((name, service) -> {
            List<String> command = strings(service.get("command"));
            List<String> mounts = strings(service.getOrDefault("volumes", List.of())).stream()
                    .map(v -> v.split(":")[1])
                    .toList();
            String entrypoint = String.join(" ", strings(service.getOrDefault("entrypoint", List.of())));
            if (entrypoint.endsWith("/pmctl")) {
                problems.addAll(
                        PmCommandLines.problems("compose service " + name, PmCommandLines.pmctl(), command, CONF));
                problems.addAll(filesOutside("compose service " + name, envFiles(service), mounts));
            } else {
                assertThat(PmCommandLines.PM_SUBCOMMANDS)
                        .as("compose service %s runs pm %s", name, command.get(0))
                        .contains(command.get(0));
                daemons.merge(command.get(0), 1, Integer::sum);
                problems.addAll(PmCommandLines.problems(
                        "compose service " + name,
                        PmCommandLines.pm(command.get(0)),
                        command.subList(1, command.size()),
                        CONF));
                problems.addAll(filesOutside("compose service " + name, fileFlags(command), mounts));
            }
        });
        assertThat(problems).isEmpty();
        assertThat(daemons)
                .containsEntry("agent", 3)
                .containsEntry("zookeeper", 1)
                .containsKey("coordinator");
    }

    @Test
    void kubernetesContainersUseOnlyFlagsOfPmAndCertificatesTheirSecretsHold() throws IOException {
        Map<String, Object> kustomization =
                yaml(DIST.resolve("k8s/kustomization.yaml")).get(0);
        Map<String, Set<String>> secretKeys = new TreeMap<>();
        for (Map<String, Object> generator : list(kustomization.get("secretGenerator"))) {
            secretKeys.put(
                    (String) generator.get("name"),
                    strings(generator.get("files")).stream()
                            .map(f -> f.split("=")[0])
                            .collect(Collectors.toCollection(TreeSet::new)));
        }
        List<String> resources = strings(kustomization.get("resources"));
        try (Stream<Path> files = Files.list(DIST.resolve("k8s"))) {
            assertThat(resources)
                    .as("kustomization resources")
                    .containsExactlyInAnyOrderElementsOf(
                            files.map(f -> f.getFileName().toString())
                                    .filter(f -> !f.equals("kustomization.yaml"))
                                    .toList());
        }

        List<String> problems = new ArrayList<>();
        Map<String, Map<String, Object>> workloads = new TreeMap<>();
        for (String resource : resources) {
            for (Map<String, Object> object : yaml(DIST.resolve("k8s").resolve(resource))) {
                if (Set.of("Deployment", "StatefulSet").contains(object.get("kind"))) {
                    workloads.put(
                            object.get("kind") + "/"
                                    + map(object.get("metadata")).get("name"),
                            object);
                }
            }
        }
        workloads.forEach((name, workload) -> {
            Map<String, Object> pod =
                    map(map(map(workload.get("spec")).get("template")).get("spec"));
            Map<String, Set<String>> volumeFiles = new LinkedHashMap<>();
            for (Map<String, Object> volume : list(pod.getOrDefault("volumes", List.of()))) {
                Set<String> keys = new TreeSet<>();
                for (Map<String, Object> source :
                        list(map(volume.getOrDefault("projected", Map.of())).getOrDefault("sources", List.of()))) {
                    String secret = (String) map(source.get("secret")).get("name");
                    assertThat(secretKeys)
                            .as("%s mounts secret %s", name, secret)
                            .containsKey(secret);
                    keys.addAll(secretKeys.get(secret));
                }
                volumeFiles.put((String) volume.get("name"), keys);
            }
            for (Map<String, Object> container : list(pod.get("containers"))) {
                List<String> args = strings(container.get("args"));
                assertThat(container.get("image")).isEqualTo("pm");
                assertThat(PmCommandLines.PM_SUBCOMMANDS)
                        .as("%s runs pm %s", name, args.get(0))
                        .contains(args.get(0));
                problems.addAll(PmCommandLines.problems(
                        name, PmCommandLines.pm(args.get(0)), args.subList(1, args.size()), CONF));
                Map<String, Set<String>> mounted = new TreeMap<>();
                for (Map<String, Object> mount : list(container.getOrDefault("volumeMounts", List.of()))) {
                    mounted.put(
                            (String) mount.get("mountPath"),
                            volumeFiles.getOrDefault((String) mount.get("name"), Set.of()));
                }
                fileFlags(args).forEach((flag, file) -> {
                    Path path = Path.of(file);
                    Set<String> present = mounted.get(path.getParent().toString());
                    if (present == null || !present.contains(path.getFileName().toString())) {
                        problems.add(name + " passes " + flag + " " + file
                                + ", which no secret mounted there holds (mounted: " + mounted + ")");
                    }
                });
            }
        });
        assertThat(problems).isEmpty();
        assertThat(workloads)
                .containsOnlyKeys("StatefulSet/pm-agent", "Deployment/pm-coordinator", "StatefulSet/pm-zookeeper");
        assertThat(map(workloads.get("StatefulSet/pm-agent").get("spec")).get("replicas"))
                .isEqualTo(3);
    }

    @Test
    void launchersNameExistingMainsAndNothingOutsideTheDistribution() throws Exception {
        String pm = Files.readString(DIST.resolve("bin/pm"));
        String pmctl = Files.readString(DIST.resolve("bin/pmctl"));
        Map<String, String> mains = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^\\s+([a-z]+)\\) main=([\\w.]+) ;;$").matcher(pm);
        while (m.find()) {
            mains.put(m.group(1), m.group(2));
        }

        assertThat(mains.keySet()).containsExactlyInAnyOrderElementsOf(PmCommandLines.PM_SUBCOMMANDS);
        for (String main : mains.values()) {
            assertThat(Class.forName(main).getMethod("main", String[].class))
                    .as(main)
                    .isNotNull();
        }
        assertThat(pmctl).contains("pm.client.cli.Pmctl");
        for (String script : List.of(pm, pmctl)) {
            assertThat(script).contains("-cp \"$home/lib/*\"").doesNotContain(".m2", "target/", "classpath.txt");
        }
    }

    /** The values of the flags that name files in /etc (certificates, keys, the ZooKeeper secret). */
    private static Map<String, String> fileFlags(List<String> args) {
        Map<String, String> files = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.size(); i++) {
            if (Set.of("--ca", "--cert", "--key", "--zk-secret").contains(args.get(i))) {
                files.put(args.get(i), args.get(i + 1));
            }
        }
        return files;
    }

    private static Map<String, String> envFiles(Map<String, Object> service) {
        Map<String, String> files = new LinkedHashMap<>();
        map(service.getOrDefault("environment", Map.of())).forEach((k, v) -> {
            if (Set.of("PM_CA", "PM_CERT", "PM_KEY").contains(k)) {
                files.put(k, v.toString());
            }
        });
        return files;
    }

    private static List<String> filesOutside(String where, Map<String, String> files, List<String> mounts) {
        List<String> problems = new ArrayList<>();
        files.forEach((flag, file) -> {
            if (mounts.stream().noneMatch(mount -> file.startsWith(mount + "/"))) {
                problems.add(
                        where + " passes " + flag + " " + file + ", which no volume mounts (mounts: " + mounts + ")");
            }
        });
        return problems;
    }

    /** The settings of a systemd unit by Section.Key, comments dropped. */
    private static Map<String, List<String>> unitFile(Path unit) {
        Map<String, List<String>> settings = new LinkedHashMap<>();
        String section = "";
        try {
            for (String line : Files.readAllLines(unit)) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (line.startsWith("[")) {
                    section = line.substring(1, line.indexOf(']'));
                } else {
                    int eq = line.indexOf('=');
                    settings.computeIfAbsent(section + "." + line.substring(0, eq), k -> new ArrayList<>())
                            .add(line.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read " + unit, e);
        }
        return settings;
    }

    private static Properties properties(Path file) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
        return p;
    }

    /** Every document of a YAML file, as SnakeYAML's safe loader reads it. */
    private static List<Map<String, Object>> yaml(Path file) {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            List<Map<String, Object>> documents = new ArrayList<>();
            for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(in)) {
                documents.add(map(document));
            }
            return documents;
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static <T> Map<String, T> maps(Object o) {
        return (Map<String, T>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object o) {
        return (List<Map<String, Object>>) o;
    }

    private static List<String> strings(Object o) {
        return ((List<?>) o).stream().map(Object::toString).toList();
    }
}
