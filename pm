#!/usr/bin/env bash
# Launcher (see README.md); builds what it needs on first use.
#   ./pm demo [program] [freezes]   the runtime's freeze/restore demo
#   ./pm agent --name N --data DIR [--port P] [--metrics-port P] [--workers N]   a node agent
set -euo pipefail
cd "$(dirname "$0")"

build() {
    if [[ ! -f runtime/target/test-classes/pm/runtime/demo/FreezeRestoreDemo.class || ! -f runtime/target/classpath.txt
            || ! -f node-agent/target/classes/pm/agent/AgentMain.class || ! -f node-agent/target/classpath.txt ]]; then
        echo "building (first use)..." >&2
        mvn -B -q install -DskipTests
        mvn -B -q -pl runtime dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/classpath.txt
        mvn -B -q -pl node-agent dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
    fi
}

case "${1:-}" in
    demo)
        shift
        build
        cd runtime
        exec java -cp "target/classes:target/test-classes:$(cat target/classpath.txt)" pm.runtime.demo.FreezeRestoreDemo "$@"
        ;;
    agent)
        shift
        build
        exec java -cp "node-agent/target/classes:$(cat node-agent/target/classpath.txt)" pm.agent.AgentMain "$@"
        ;;
    *)
        echo "usage: ./pm demo [program] [freezes] | ./pm agent --name N --data DIR [--port P] [--metrics-port P]" >&2
        echo "  program: one of lcg recursion sort digest float strings (default float)" >&2
        exit 2
        ;;
esac
