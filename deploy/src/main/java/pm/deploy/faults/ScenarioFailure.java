package pm.deploy.faults;

/** Why a scenario failed, in one line: what was expected and what was seen, with the process or node named. */
final class ScenarioFailure extends RuntimeException {
    ScenarioFailure(String reason) {
        super(reason);
    }
}
