package pm.client.testing;

import java.util.List;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives test classes one shared {@link TestCluster} (three agents a, b, c and two coordinators), started on
 * first use and closed when the whole run ends, because five JVMs take longer to start than most tests
 * take to run. Tests that share it use their own process ids and leave the nodes as they found them.
 */
public final class ClusterExtension implements ParameterResolver, ExecutionCondition {
    public static final List<String> AGENTS = List.of("node-a", "node-b", "node-c");
    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(ClusterExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot()
                .getStore(NAMESPACE)
                .getOrComputeIfAbsent(
                        TestCluster.class,
                        k -> {
                            try {
                                return TestCluster.start(AGENTS, 2);
                            } catch (Exception e) {
                                throw new IllegalStateException("cannot start the test cluster: " + e.getMessage(), e);
                            }
                        },
                        TestCluster.class);
    }

    /** Off, visibly, on a checkout whose coordinator module has no daemon to launch yet. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return coordinatorPresent()
                ? ConditionEvaluationResult.enabled("the coordinator can be launched")
                : ConditionEvaluationResult.disabled(
                        "the coordinator module has no pm.coordinator.CoordinatorMain yet");
    }

    private static boolean coordinatorPresent() {
        try {
            Class.forName("pm.coordinator.CoordinatorMain", false, ClusterExtension.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
