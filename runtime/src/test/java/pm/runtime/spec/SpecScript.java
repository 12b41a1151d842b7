package pm.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import pm.runtime.InvalidModuleException;
import pm.runtime.LinkException;
import pm.runtime.MalformedModuleException;
import pm.runtime.StateMismatchException;
import pm.runtime.TrapException;
import pm.runtime.image.StateBlob;
import pm.runtime.interp.CompiledModule;
import pm.runtime.interp.FunctionRef;
import pm.runtime.interp.GlobalInstance;
import pm.runtime.interp.Instance;
import pm.runtime.interp.Limits;
import pm.runtime.interp.Machine;
import pm.runtime.interp.Snapshots;
import pm.v1.ExecutionState;

/**
 * Runs the commands of one spec script (as converted by wast2json) against our runtime, with the
 * spec interpreter's semantics. In freeze mode every assert_return/assert_trap invocation is stopped
 * after a seeded random number of instructions (drawn from the count the plain run recorded), its
 * state captured, encoded, decoded and restored into a new instance and machine, then finished.
 */
final class SpecScript {
    static final Limits LIMITS = Limits.DEFAULT;

    /** Outcome of one pass over one script. */
    static final class Result {
        int passed;
        int failed;
        int notApplicable;
        int roundTrips;
        int notCapturable;
        int sharedSkipped;
        final List<String> failures = new ArrayList<>();
        final List<Long> instructionCounts = new ArrayList<>();

        void fail(int line, String message) {
            failed++;
            if (failures.size() < 20) {
                failures.add("line " + line + ": " + message);
            }
        }
    }

    private final Path json;
    private final Path dir;
    private final List<Long> recordedCounts; // null in plain mode
    private final Random random;
    private final SpecWorld world = new SpecWorld();
    private final Result result = new Result();
    private int invocation;
    private final Machine.Tier tier;

    private SpecScript(Path json, List<Long> recordedCounts, long seed, Machine.Tier tier) {
        this.json = json;
        this.dir = json.getParent();
        this.recordedCounts = recordedCounts;
        this.random = new Random(seed);
        this.tier = tier;
    }

    static Result runPlain(Path json) throws IOException {
        return runPlain(json, Machine.Tier.INTERP);
    }

    static Result runWithFreezes(Path json, List<Long> counts, long seed) throws IOException {
        return runWithFreezes(json, counts, seed, Machine.Tier.INTERP);
    }

    /** Every invocation runs in {@code tier} (start functions run in the default tier). */
    static Result runPlain(Path json, Machine.Tier tier) throws IOException {
        return new SpecScript(json, null, 0, tier).run();
    }

    /**
     * With round trips; in the compiled tier, a restored machine resumes in the interpreter half
     * of the time (seeded), so states unwound from compiled frames resume in either tier.
     */
    static Result runWithFreezes(Path json, List<Long> counts, long seed, Machine.Tier tier) throws IOException {
        return new SpecScript(json, counts, seed, tier).run();
    }

    private Result run() throws IOException {
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        for (JsonNode cmd : root.get("commands")) {
            int line = cmd.path("line").asInt();
            try {
                execute(cmd, line);
            } catch (RuntimeException | AssertionError e) {
                result.fail(line, cmd.get("type").asText() + ": unexpected " + e);
            }
        }
        return result;
    }

    private void execute(JsonNode cmd, int line) throws IOException {
        String type = cmd.get("type").asText();
        switch (type) {
            case "module": {
                world.current = null;
                Instance instance = instantiate(cmd.get("filename").asText());
                world.current = instance;
                if (cmd.has("name")) {
                    world.named.put(cmd.get("name").asText(), instance);
                }
                break;
            }
            case "register": {
                Instance instance =
                        world.resolve(cmd.has("name") ? cmd.get("name").asText() : null);
                world.registered.put(cmd.get("as").asText(), instance);
                break;
            }
            case "action":
                perform(cmd.get("action"), false);
                result.passed++;
                break;
            case "assert_return": {
                long[] actual = perform(cmd.get("action"), true);
                String mismatch = SpecValues.compare(cmd.get("expected"), actual);
                if (mismatch == null) {
                    result.passed++;
                } else {
                    result.fail(line, "assert_return " + describe(cmd.get("action")) + ": " + mismatch);
                }
                break;
            }
            case "assert_trap":
            case "assert_exhaustion": {
                try {
                    long[] actual = perform(cmd.get("action"), type.equals("assert_trap"));
                    result.fail(
                            line,
                            type + " " + describe(cmd.get("action")) + ": returned " + SpecValues.show(actual)
                                    + ", expected trap " + cmd.get("text").asText());
                } catch (TrapException e) {
                    expectMessage(line, type, cmd.get("text").asText(), e.getMessage());
                }
                break;
            }
            case "assert_malformed":
            case "assert_invalid": {
                if (!"binary".equals(cmd.path("module_type").asText())) {
                    result.notApplicable++; // text-format modules: the runtime reads binaries only
                    break;
                }
                try {
                    CompiledModule.compile(
                            Files.readAllBytes(dir.resolve(cmd.get("filename").asText())));
                    result.fail(
                            line,
                            type + ": module accepted, expected "
                                    + cmd.get("text").asText());
                } catch (MalformedModuleException | InvalidModuleException e) {
                    result.passed++;
                }
                break;
            }
            case "assert_unlinkable":
                try {
                    instantiate(cmd.get("filename").asText());
                    result.fail(
                            line,
                            "assert_unlinkable: module linked, expected "
                                    + cmd.get("text").asText());
                } catch (LinkException e) {
                    result.passed++;
                }
                break;
            case "assert_uninstantiable":
                try {
                    instantiate(cmd.get("filename").asText());
                    result.fail(
                            line,
                            "assert_uninstantiable: module instantiated, expected "
                                    + cmd.get("text").asText());
                } catch (TrapException e) {
                    expectMessage(line, type, cmd.get("text").asText(), e.getMessage());
                }
                break;
            default:
                result.fail(line, "unknown command type " + type);
        }
    }

    private void expectMessage(int line, String type, String expected, String actual) {
        if (actual.startsWith(expected) || expected.startsWith(actual)) {
            result.passed++;
        } else {
            result.fail(line, type + ": trapped with \"" + actual + "\", expected \"" + expected + "\"");
        }
    }

    private Instance instantiate(String filename) throws IOException {
        CompiledModule module = CompiledModule.compile(Files.readAllBytes(dir.resolve(filename)));
        var imports = world.imports();
        List<String> from = new ArrayList<>();
        module.imports().forEach(i -> from.add(i.module()));
        Instance instance = Instance.instantiate(module, imports, world.store, LIMITS);
        world.markShared(from);
        world.importsOf.put(instance, imports);
        return instance;
    }

    private static String describe(JsonNode action) {
        return action.path("field").asText() + SpecValues.showArgs(action.get("args"));
    }

    /** Runs an invoke or get action; {@code inject} allows a freeze round trip in freeze mode. */
    private long[] perform(JsonNode action, boolean inject) {
        Instance instance =
                world.resolve(action.has("module") ? action.get("module").asText() : null);
        if (instance == null) {
            throw new IllegalStateException("no module instance for action " + action);
        }
        String field = action.get("field").asText();
        if (action.get("type").asText().equals("get")) {
            return new long[] {((GlobalInstance) instance.export(field)).value()};
        }
        FunctionRef f = instance.function(field);
        long[] args = SpecValues.parseAll(action.get("args"));
        Machine machine = new Machine(world.store, LIMITS).tier(tier);
        machine.start(f, args);
        lastMachine = machine;
        try {
            Machine.RunResult r;
            if (recordedCounts != null && inject) {
                r = runWithRoundTrip(instance, machine);
            } else {
                r = machine.run(Long.MAX_VALUE);
            }
            if (r != Machine.RunResult.COMPLETED) {
                throw new IllegalStateException("invocation ended with " + r);
            }
            return lastMachine.results();
        } finally {
            if (recordedCounts == null) {
                result.instructionCounts.add(lastMachine.instructionsRetired());
            }
            invocation++;
        }
    }

    private Machine lastMachine;

    private Machine.RunResult runWithRoundTrip(Instance instance, Machine machine) {
        long count = invocation < recordedCounts.size() ? recordedCounts.get(invocation) : 0;
        long stopAfter = count <= 0 ? 0 : (long) (random.nextDouble() * (count + 1));
        if (world.shared.contains(instance)) {
            result.sharedSkipped++;
            return machine.run(Long.MAX_VALUE);
        }
        Machine.RunResult r = machine.run(stopAfter);
        if (r != Machine.RunResult.OUT_OF_FUEL) {
            return r;
        }
        ExecutionState state;
        try {
            state = Snapshots.capture(instance, machine);
        } catch (StateMismatchException e) {
            result.notCapturable++;
            return machine.run(Long.MAX_VALUE);
        }
        ExecutionState decoded = StateBlob.decode(StateBlob.encode(state));
        Snapshots.Restored restored =
                Snapshots.restore(instance.module(), decoded, world.importsOf.get(instance), world.store, LIMITS);
        world.replace(instance, restored.instance());
        result.roundTrips++;
        Machine.Tier resumeIn = tier == Machine.Tier.INTERP || random.nextBoolean() ? tier : Machine.Tier.INTERP;
        lastMachine = restored.machine().tier(resumeIn);
        return lastMachine.run(Long.MAX_VALUE);
    }
}
