package pm.runtime.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A WASI command under Node's V8 ({@code node:wasi}), as a benchmark row: one node process per run,
 * stdin from a file, stdout to a file, timed whole (start-up, compilation and tier-up included), as
 * the native row is. V8 compiles with Liftoff first and tiers hot functions up to TurboFan in the
 * background.
 */
final class NodeRun {
    private static final String RUNNER = """
            'use strict';
            const fs = require('node:fs');
            const { WASI } = require('node:wasi');
            const wasi = new WASI({ version: 'preview1', args: process.argv.slice(3), env: {},
                returnOnExit: true, stdin: 0, stdout: 1, stderr: 2 });
            const wasm = new WebAssembly.Module(fs.readFileSync(process.argv[2]));
            const status = wasi.start(new WebAssembly.Instance(wasm, wasi.getImportObject()));
            process.exitCode = status === undefined ? 0 : status;
            """;

    private NodeRun() {}

    static String version() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("node", "--version")
                .redirectErrorStream(true)
                .start();
        String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(60, TimeUnit.SECONDS);
        return v;
    }

    /** Runs {@code wasm} with {@code args} (args[0] is the program name) on {@code input}; fails unless it exits 0. */
    static TierSpeedBench.Timed run(byte[] wasm, List<String> args, byte[] input)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("bench-node");
        Path module = dir.resolve("m.wasm");
        Path runner = dir.resolve("run.cjs"); // CommonJS even under a package.json that says "module"
        Path in = dir.resolve("in");
        Path out = dir.resolve("out");
        try {
            Files.write(module, wasm);
            Files.writeString(runner, RUNNER);
            Files.write(in, input);
            List<String> command =
                    new ArrayList<>(List.of("node", "--no-warnings", runner.toString(), module.toString()));
            command.addAll(args);
            long t = System.nanoTime();
            Process p = new ProcessBuilder(command)
                    .redirectInput(in.toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new AssertionError("node failed on " + args);
            }
            long nanos = System.nanoTime() - t;
            return new TierSpeedBench.Timed(Files.readAllBytes(out), nanos);
        } finally {
            for (Path f : List.of(module, runner, in, out)) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
    }
}
