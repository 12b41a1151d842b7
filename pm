#!/usr/bin/env bash
# Launcher. `./pm demo [program] [freezes]` builds what it needs on first use and runs the
# freeze/restore demo of the runtime (see README.md).
set -euo pipefail
cd "$(dirname "$0")"

build() {
    if [[ ! -f runtime/target/test-classes/pm/runtime/demo/FreezeRestoreDemo.class || ! -f runtime/target/classpath.txt ]]; then
        echo "building (first use)..." >&2
        mvn -B -q install -DskipTests
        mvn -B -q -pl runtime dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/classpath.txt
    fi
}

case "${1:-}" in
    demo)
        shift
        build
        cd runtime
        exec java -cp "target/classes:target/test-classes:$(cat target/classpath.txt)" pm.runtime.demo.FreezeRestoreDemo "$@"
        ;;
    *)
        echo "usage: ./pm demo [program] [freezes]" >&2
        echo "  program: one of lcg recursion sort digest float strings (default float)" >&2
        exit 2
        ;;
esac
