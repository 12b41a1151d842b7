#!/usr/bin/env bash
# Launcher (see README.md); builds what it needs on first use (./pm build rebuilds).
#   ./pm demo                 an embedded cluster (ZooKeeper, coordinator, 3 agents); a program migrates across every agent
#   ./pm dev [--port P]       the same cluster, left running for ./pmctl and the SDK (coordinator on 127.0.0.1:7700, TLS)
#   ./pm faults [--only TEXT] the fault-injection suite (kill -9, session expiry, cut-off, node loss); N passed, M failed
#   ./pm agent --name N --data DIR [--zookeeper HOST:PORT] ...   one node agent
#   ./pm coordinator --zookeeper HOST:PORT [--port P] ...        one coordinator
#   ./pm zookeeper --data DIR [--bind ADDR] [--port P]            one embedded ZooKeeper server
#   ./pm certs init --dir D | issue --dir D --role R --name N     the cluster CA and certificates
#   (every command: --help)
#   ./pm soak [--minutes N] [--min P] [--max P] [--seed S]      random spawns/migrations/checkpoints/kills on a local cluster; figures at the end
#   ./pm freeze-demo [program] [freezes]                         the runtime's freeze/restore demo
#   ./pm bench-pmctl [runs]                                      pmctl's start-up with and without its class-data archive
#   ./pm run [--dir HOST::GUEST]... [--env K=V]... [--tier interp|compiled|auto] [--freeze-after D] [--image FILE] MODULE.wasm [ARGS...]
#   ./pm resume [--dir HOST::GUEST]... [--module MODULE.wasm] [--tier T] IMAGE   one program on this machine, no cluster
set -euo pipefail
caller="$PWD" # run and resume take paths as the user typed them
cd "$(dirname "$0")"
root="$PWD"

build() {
    echo "building (first use; ./pm build rebuilds)..." >&2
    # Class paths name this tree's module jars, so a launcher runs exactly what was built here.
    mvn -B -q package -DskipTests dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
    pmctl_archive
}

# pmctl starts a JVM per command: a class-data archive of what one command loads (picocli, gRPC, Netty,
# TLS) spares it the class loading (./pm bench-pmctl measures it). Made by a call to an address where
# nothing listens, so the whole client path is loaded; jars changed later make the JVM ignore it.
pmctl_archive() {
    rm -f deploy/target/pmctl.jsa
    java -XX:ArchiveClassesAtExit=deploy/target/pmctl.jsa -Xlog:cds=off -Xlog:cds+dynamic=off \
        -cp "$(cat deploy/target/classpath.txt)" pm.client.cli.Pmctl --coordinator 127.0.0.1:9 --timeout 2 ps >/dev/null 2>&1 || true
}

# Median wall time of pmctl commands without and with the archive, in one run (ratios, not absolute times).
bench_pmctl() {
    local runs="${1:-9}" cp
    cp="$(cat deploy/target/classpath.txt)"
    [[ -f deploy/target/pmctl.jsa ]] || pmctl_archive
    median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    one() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
    for cmd in "--help" "--coordinator 127.0.0.1:9 --timeout 2 ps"; do
        local plain=() shared=() i
        for ((i = 0; i < runs; i++)); do
            # shellcheck disable=SC2086
            plain+=("$(one java -cp "$cp" pm.client.cli.Pmctl $cmd)")
            # shellcheck disable=SC2086
            shared+=("$(one java -XX:SharedArchiveFile=deploy/target/pmctl.jsa -Xlog:cds=off -Xlog:cds+dynamic=off \
                -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$cp" pm.client.cli.Pmctl $cmd)")
        done
        local p s
        p=$(printf '%s\n' "${plain[@]}" | median)
        s=$(printf '%s\n' "${shared[@]}" | median)
        printf 'pmctl %-40s plain %5d ms   archive+C1 %5d ms   ratio %.2f   (median of %d)\n' "$cmd" "$p" "$s" \
            "$(awk -v s="$s" -v p="$p" 'BEGIN { print s / p }')" "$runs"
    done
}

built() {
    [[ -f runtime/target/test-classes/pm/runtime/demo/FreezeRestoreDemo.class && -f runtime/target/classpath.txt
        && -f deploy/target/classes/pm/deploy/ClusterDemo.class && -f deploy/target/classpath.txt ]]
}

run_main() {
    built || build
    # Agents run guest code compiled to JVM methods, some over HotSpot's 8000-byte limit for JIT compilation.
    exec java -XX:-DontCompileHugeMethods -cp "deploy/target/classes:$(cat deploy/target/classpath.txt)" "$@"
}

case "${1:-}" in
    build) build ;;
    bench-pmctl) shift; built || build; bench_pmctl "$@" ;;
    demo) shift; run_main pm.deploy.ClusterDemo "$@" ;;
    dev) shift; run_main pm.deploy.LocalClusterMain "$@" ;;
    faults) shift; run_main pm.deploy.faults.FaultSuite "$@" ;;
    soak) shift; run_main pm.deploy.soak.SoakRun "$@" ;;
    agent) shift; run_main pm.agent.AgentMain "$@" ;;
    zookeeper) shift; run_main pm.deploy.EmbeddedZooKeeperMain "$@" ;;
    certs) shift; run_main pm.deploy.CertsMain "$@" ;;
    coordinator) shift; run_main pm.coordinator.CoordinatorMain "$@" ;;
    run | resume)
        built || build
        cd "$caller"
        # Large compiled guest functions are JVM methods over HotSpot's 8000-byte limit for JIT compilation.
        exec java -XX:-DontCompileHugeMethods -Xss16m \
            -cp "$root/runtime/target/classes:$(cat "$root/runtime/target/classpath.txt")" pm.runtime.local.LocalMain "$@"
        ;;
    freeze-demo)
        shift
        built || build
        cd runtime
        exec java -cp "target/classes:target/test-classes:$(cat target/classpath.txt)" pm.runtime.demo.FreezeRestoreDemo "$@"
        ;;
    *)
        sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
