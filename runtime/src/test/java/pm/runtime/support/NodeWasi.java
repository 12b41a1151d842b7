package pm.runtime.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs WASI commands under Node's node:wasi (uvwasi), the reference engine installed here, in one
 * node process: each module gets a fresh empty directory preopened at {@link WasiGuest#SANDBOX}.
 * Stdio is /dev/null. The answer per module is its exit status, or -1 if node could not run it.
 */
public final class NodeWasi {
    private static final String RUNNER = """
            'use strict';
            const fs = require('node:fs'), path = require('node:path'), os = require('node:os');
            const { WASI } = require('node:wasi');
            const list = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
            const devNull = fs.openSync('/dev/null', 'r+');
            const out = {};
            for (const c of list) {
                const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pm-wasi-'));
                try {
                    const wasi = new WASI({ version: 'preview1', args: [c.name], env: {},
                        preopens: { '/sandbox': dir }, returnOnExit: true,
                        stdin: devNull, stdout: devNull, stderr: devNull });
                    const module = new WebAssembly.Module(fs.readFileSync(c.wasm));
                    const status = wasi.start(new WebAssembly.Instance(module, wasi.getImportObject()));
                    out[c.name] = status === undefined ? 0 : status;
                } catch (e) {
                    process.stderr.write(c.name + ': ' + e + '\\n');
                    out[c.name] = -1;
                } finally {
                    fs.rmSync(dir, { recursive: true, force: true });
                }
            }
            process.stdout.write(JSON.stringify(out));
            """;

    private NodeWasi() {}

    /** Whether a {@code node} with node:wasi is on the PATH. */
    public static boolean available() {
        try {
            Process p = new ProcessBuilder("node", "-e", "require('node:wasi')")
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Exit status of each module by name, run in the given order. */
    public static Map<String, Integer> run(Map<String, byte[]> modules) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("node-wasi");
        try {
            StringBuilder list = new StringBuilder("[");
            int i = 0;
            for (Map.Entry<String, byte[]> e : modules.entrySet()) {
                Path wasm = dir.resolve("m" + i++ + ".wasm");
                Files.write(wasm, e.getValue());
                list.append(list.length() > 1 ? "," : "")
                        .append("{\"name\":\"")
                        .append(e.getKey().replace("\"", "'"))
                        .append("\",\"wasm\":\"")
                        .append(wasm)
                        .append("\"}");
            }
            Files.writeString(dir.resolve("list.json"), list.append("]"));
            Files.writeString(dir.resolve("run.js"), RUNNER);
            Process p = new ProcessBuilder(
                            "node",
                            "--no-warnings",
                            dir.resolve("run.js").toString(),
                            dir.resolve("list.json").toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            p.getOutputStream().close();
            String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("node failed: " + json);
            }
            Map<String, Integer> out = new LinkedHashMap<>();
            Matcher m = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\":(-?\\d+)").matcher(json);
            while (m.find()) {
                out.put(m.group(1), Integer.parseInt(m.group(2)));
            }
            return out;
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }
}
