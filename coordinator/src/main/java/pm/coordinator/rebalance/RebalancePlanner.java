package pm.coordinator.rebalance;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Plans the moves of one round, a pure function of a {@link ClusterLoad} and a band. A node is inside
 * the band when its load is within {@code target × (1 ± band)}; what is left to do is the total amount
 * by which loads lie outside their bands. Greedy, largest fitting first: take the node furthest
 * outside its band; among the moves that touch it (off it if it is over, onto it if under) and cut
 * that total, choose one that leaves both nodes inside their bands (or nearer), of the largest
 * process. Two passes differ in one preference: the first takes moves between two nodes that are
 * both outside their bands before any other, the second only the largest process; the plan with
 * fewer moves wins (one pass is ahead on some clusters, the other on others). A node no move can
 * help is set aside with the reason; a pass ends when every node is inside or set aside.
 *
 * <p>Every move respects: a process moves at most once per plan; only {@link ProcessDemand#movable()}
 * processes move; the target carries the process's node labels and has room for its memory and a
 * process slot (after the moves planned so far). Draining nodes are not in the load at all.
 */
public final class RebalancePlanner {
    private static final double EPSILON = 1e-12;

    private RebalancePlanner() {}

    public static Plan plan(ClusterLoad load, double band) {
        Plan best = null;
        for (boolean overToUnderFirst : new boolean[] {true, false}) {
            Plan p = new Round(load, band, overToUnderFirst).plan();
            if (best == null || betterPlan(p, best, band)) {
                best = p;
            }
        }
        return best;
    }

    /** A plan that reaches the band beats one that does not; then fewer moves; then the lower imbalance after. */
    private static boolean betterPlan(Plan a, Plan b, double band) {
        boolean aInside = a.imbalanceAfter() <= band + EPSILON;
        boolean bInside = b.imbalanceAfter() <= band + EPSILON;
        if (aInside != bInside) {
            return aInside;
        }
        if (!aInside && Math.abs(a.imbalanceAfter() - b.imbalanceAfter()) > EPSILON) {
            return a.imbalanceAfter() < b.imbalanceAfter();
        }
        if (a.moves().size() != b.moves().size()) {
            return a.moves().size() < b.moves().size();
        }
        return a.imbalanceAfter() < b.imbalanceAfter() - EPSILON;
    }

    /** The working state of one plan; confined to the planning call. */
    private static final class Round {
        private final ClusterLoad load;
        private final double band;
        private final boolean overToUnderFirst;
        private final Map<String, NodeCapacity> nodes = new HashMap<>();
        private final Map<String, Double> loads;
        private final Map<String, Long> usedBytes = new HashMap<>();
        private final Map<String, Integer> processes = new HashMap<>();
        private final Map<String, List<ProcessDemand>> byNode = new HashMap<>();
        private final Set<String> moved = new HashSet<>();
        private final List<Move> moves = new ArrayList<>();

        Round(ClusterLoad load, double band, boolean overToUnderFirst) {
            this.load = load;
            this.band = band;
            this.overToUnderFirst = overToUnderFirst;
            this.loads = load.loads();
            for (NodeCapacity n : load.nodes()) {
                nodes.put(n.name(), n);
                byNode.put(n.name(), new ArrayList<>());
                usedBytes.put(n.name(), n.usedBytes());
                processes.put(n.name(), n.processes());
            }
            for (ProcessDemand p : load.processes()) {
                List<ProcessDemand> here = byNode.get(p.node());
                if (here != null && p.movable()) {
                    here.add(p);
                }
            }
            // Largest first, so that on a tie of gains the bigger process wins; ids break ties for a stable plan.
            Comparator<ProcessDemand> largestFirst = Comparator.<ProcessDemand>comparingDouble(p -> load.share(p.id()))
                    .reversed()
                    .thenComparing(ProcessDemand::id);
            byNode.values().forEach(l -> l.sort(largestFirst));
        }

        Plan plan() {
            double before = load.imbalance();
            Set<String> setAside = new HashSet<>();
            String reason = "";
            while (true) {
                String worst = worstOutside(setAside);
                if (worst == null) {
                    break;
                }
                Candidate best = bestMoveFor(worst);
                if (best == null) {
                    setAside.add(worst);
                    reason = (reason.isEmpty() ? "" : reason + "; ") + "no move helps node " + worst + " (" + why(worst)
                            + ")";
                    continue;
                }
                apply(best);
            }
            return new Plan(load, moves, loads, before, load.imbalance(loads), reason);
        }

        private String worstOutside(Set<String> setAside) {
            String worst = null;
            double worstBy = EPSILON;
            for (NodeCapacity n : load.nodes()) {
                double target = load.target(n.name());
                if (target <= 0 || setAside.contains(n.name())) {
                    continue;
                }
                double by = outside(n.name(), loads.get(n.name())) / target;
                if (by > worstBy) {
                    worst = n.name();
                    worstBy = by;
                }
            }
            return worst;
        }

        /** How far {@code value} lies outside the band of {@code node}: 0 inside. */
        private double outside(String node, double value) {
            double target = load.target(node);
            return Math.max(0, value - target * (1 + band)) + Math.max(0, target * (1 - band) - value);
        }

        /**
         * A possible move: {@code fits} when it leaves both nodes inside their bands or nearer them,
         * {@code both} when it takes from a node over its band and gives to one under it.
         */
        private record Candidate(
                ProcessDemand process, String to, double share, double gain, boolean fits, boolean both) {}

        private Candidate bestMoveFor(String worst) {
            boolean over = loads.get(worst) > load.target(worst);
            Candidate best = null;
            for (NodeCapacity source : load.nodes()) {
                if (over != source.name().equals(worst)) {
                    continue;
                }
                for (ProcessDemand p : byNode.get(source.name())) {
                    if (moved.contains(p.id())) {
                        continue;
                    }
                    for (NodeCapacity target : load.nodes()) {
                        if (target.name().equals(source.name())
                                || (!over && !target.name().equals(worst))
                                || load.target(target.name()) <= 0
                                || !admits(target, p)) {
                            continue;
                        }
                        Candidate c = candidate(p, source.name(), target.name());
                        if (c.gain() > EPSILON && (best == null || better(c, best))) {
                            best = c;
                        }
                    }
                }
            }
            return best;
        }

        private Candidate candidate(ProcessDemand p, String from, String to) {
            double share = load.share(p.id());
            double fromLoad = loads.get(from);
            double toLoad = loads.get(to);
            double fromAfter = outside(from, fromLoad - share);
            double toAfter = outside(to, toLoad + share);
            double gain = outside(from, fromLoad) + outside(to, toLoad) - fromAfter - toAfter;
            boolean fits = (fromAfter <= EPSILON && toAfter <= EPSILON)
                    || (fromAfter <= outside(from, fromLoad) && toAfter <= outside(to, toLoad));
            boolean both = fromLoad > load.target(from) * (1 + band) && toLoad < load.target(to) * (1 - band);
            return new Candidate(p, to, share, gain, fits, both);
        }

        /**
         * Largest fitting first: a move that fits, of the largest process; with {@code overToUnderFirst},
         * a move between two nodes both outside their bands before any other.
         */
        private boolean better(Candidate a, Candidate b) {
            if (a.fits() != b.fits()) {
                return a.fits();
            }
            if (overToUnderFirst && a.both() != b.both()) {
                return a.both();
            }
            if (Math.abs(a.share() - b.share()) > EPSILON) {
                return a.share() > b.share();
            }
            if (a.both() != b.both()) {
                return a.both();
            }
            if (Math.abs(a.gain() - b.gain()) > EPSILON) {
                return a.gain() > b.gain();
            }
            int byId = a.process().id().compareTo(b.process().id());
            return byId != 0 ? byId < 0 : a.to().compareTo(b.to()) < 0;
        }

        private boolean admits(NodeCapacity target, ProcessDemand p) {
            if (!target.carries(p.nodeLabels())) {
                return false;
            }
            if (target.capacityBytes() > 0 && usedBytes.get(target.name()) + p.memoryBytes() > target.capacityBytes()) {
                return false;
            }
            return target.capacityProcesses() == 0 || processes.get(target.name()) < target.capacityProcesses();
        }

        private void apply(Candidate c) {
            ProcessDemand p = c.process();
            String from = p.node();
            moved.add(p.id());
            moves.add(new Move(p.id(), from, c.to(), c.share(), p.memoryBytes()));
            loads.merge(from, -c.share(), Double::sum);
            loads.merge(c.to(), c.share(), Double::sum);
            usedBytes.merge(from, -p.memoryBytes(), Long::sum);
            usedBytes.merge(c.to(), p.memoryBytes(), Long::sum);
            processes.merge(from, -1, Integer::sum);
            processes.merge(c.to(), 1, Integer::sum);
        }

        private String why(String node) {
            boolean over = loads.get(node) > load.target(node);
            long stuck = load.processes().stream()
                    .filter(p -> p.node().equals(node) && !p.movable())
                    .count();
            return String.format(
                    Locale.ROOT,
                    "load %.1f%% of demand, target %.1f%%; %s",
                    loads.get(node) * 100,
                    load.target(node) * 100,
                    over
                            ? stuck
                                    + " of its processes cannot move and no other node takes the rest without leaving its band"
                            : "no process that may go there fits without pushing its node out of its band");
        }
    }
}
