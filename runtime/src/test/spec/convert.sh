#!/usr/bin/env bash
# Converts the spec scripts (all but SIMD) with wabt's wast2json into wasm-spec/converted.zip, which
# SpecSuiteTest reads: the tests then need nothing from outside Maven. After changing a script or
# wabt, run it and commit the archive. --check converts again and compares with the committed
# archive's contents (CI does, as it does for the C guests).
set -euo pipefail
spec="$(cd "$(dirname "$0")/../resources/wasm-spec" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/fresh"
for wast in "$spec"/*.wast; do
    name="$(basename "$wast" .wast)"
    [[ $name == simd_* ]] && continue
    mkdir "$work/fresh/$name"
    # wabt 1.0.32 reports type errors in ref_func and table_grow yet converts them: only a failure stops us
    # from the scripts' folder: the JSON names its source as given, and must not carry this checkout's path
    (cd "$spec" && wast2json --enable-all "$name.wast" -o "$work/fresh/$name/$name.json") 2>"$work/log" \
        || { cat "$work/log" >&2; exit 1; }
done
if [[ "${1:-}" == --check ]]; then
    mkdir "$work/committed"
    unzip -q "$spec/converted.zip" -d "$work/committed"
    if ! diff -r "$work/committed" "$work/fresh" >/dev/null; then
        diff -rq "$work/committed" "$work/fresh" | head -20 >&2 || true
        echo "wasm-spec/converted.zip is not what wast2json makes of the scripts: run $0 and commit it" >&2
        exit 1
    fi
    echo "wasm-spec/converted.zip matches the scripts"
else
    rm -f "$spec/converted.zip"
    (cd "$work/fresh" && find . -type f | LC_ALL=C sort | zip -q -X -9 "$spec/converted.zip" -@)
    echo "wrote $spec/converted.zip"
fi
