#!/usr/bin/env bash
# Builds the WebAssembly guest programs used by the runtime tests.
#
#   build.sh                  c/*.c -> wasm/<name>.wasm; wasm/bzip2.wasm if missing;
#                             regenerates wasm/IMPORTS.txt
#   build.sh --native OUTDIR  c/*.c -> OUTDIR/<name> built natively (nothing else)
#   build.sh --expected       native build in a temp dir, run each program,
#                             write expected/<name>.out (each must exit 0)
#   build.sh --bzip2          (re)build wasm/bzip2.wasm even if present
#   build.sh --verify         run every wasm/<name>.wasm under Node's WASI and
#                             diff against expected/<name>.out (needs node >= 20)
#   build.sh --lua            upstream Lua 5.4.4 -> wasm/lua.wasm and, natively,
#                             ../../../target/lua/lua (TierSpeedBench's second program)
#
# Needs (Debian bookworm): clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 wabt;
# gcc or clang for --native. bzip2's source is fetched with `apt-get source`
# (a deb-src entry is added if missing, which needs root), or taken from
# $BZIP2_TARBALL (bzip2-1.0.8.tar.gz) when set; Lua's likewise, or $LUA_TARBALL.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

WASM_CC="${WASM_CC:-clang-14}"
# -ffp-contract=off: no fused multiply-add on native hosts that have it, so
# floating point results match wasm (which has no FMA).
COMMON_CFLAGS=(-O2 -ffp-contract=off -Wall -Wextra)
# --strip-debug: drop the DWARF that Debian's wasi-libc.a carries; keeps the "name" section.
WASM_FLAGS=(--target=wasm32-wasi -Wl,--strip-debug)
BZIP2_SHA256=ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269
BZIP2_SOURCES=(bzip2.c blocksort.c huffman.c crctable.c randtable.c compress.c decompress.c bzlib.c)
LUA_SHA256=164c7849653b80ae67bec4b7473b884bf5cc8d2dca05653475ec2ed27b9ebf61

TMP_DIRS=()
cleanup() { if [[ ${#TMP_DIRS[@]} -gt 0 ]]; then rm -rf "${TMP_DIRS[@]}"; fi; }
trap cleanup EXIT
make_tmp() { # creates a temp dir removed on exit; name in $TMP
    TMP="$(mktemp -d)"
    TMP_DIRS+=("$TMP")
}

native_cc() {
    if [[ -n "${CC:-}" ]]; then echo "$CC"
    elif command -v gcc >/dev/null; then echo gcc
    elif command -v clang >/dev/null; then echo clang
    else echo clang-14; fi
}

programs() {
    local f
    for f in c/*.c; do basename "$f" .c; done
}

build_wasm_programs() {
    mkdir -p wasm
    local p
    for p in $(programs); do
        echo "wasm   c/$p.c -> wasm/$p.wasm"
        "$WASM_CC" "${WASM_FLAGS[@]}" "${COMMON_CFLAGS[@]}" -o "wasm/$p.wasm" "c/$p.c"
    done
}

build_native() {
    local out="$1" cc p
    cc="$(native_cc)"
    mkdir -p "$out"
    for p in $(programs); do
        echo "native c/$p.c -> $out/$p ($cc)" >&2
        "$cc" "${COMMON_CFLAGS[@]}" -o "$out/$p" "c/$p.c" -lm
    done
}

write_expected() {
    local tmp p rc
    make_tmp; tmp="$TMP"
    build_native "$tmp"
    mkdir -p expected
    for p in $(programs); do
        rc=0
        "$tmp/$p" > "expected/$p.out" || rc=$?
        if [[ $rc -ne 0 ]]; then echo "error: native $p exited with $rc" >&2; return 1; fi
        echo "expected/$p.out ($(wc -l < "expected/$p.out") lines)"
    done
}

# Adds deb-src entries mirroring the configured Debian deb entries.
add_deb_src() {
    if [[ $(id -u) -ne 0 ]]; then
        echo "error: apt-get source needs a deb-src entry; run as root or set BZIP2_TARBALL" >&2
        return 1
    fi
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
            > /etc/apt/sources.list.d/debian-src.sources
    elif [[ -f /etc/apt/sources.list ]]; then
        sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/debian-src.list
    else
        echo "error: no Debian apt sources found" >&2
        return 1
    fi
    apt-get update -qq
}

# Prints the path of a verified bzip2-1.0.8 upstream tarball inside dir $1.
fetch_bzip2_tarball() {
    local dir="$1" tarball
    if [[ -n "${BZIP2_TARBALL:-}" ]]; then
        tarball="$BZIP2_TARBALL"
    else
        # The Debian orig tarball is the pristine upstream release (no Debian patches).
        if ! (cd "$dir" && apt-get source --download-only bzip2 >&2); then
            add_deb_src >&2
            (cd "$dir" && apt-get source --download-only bzip2 >&2)
        fi
        tarball="$(ls "$dir"/bzip2_1.0.8.orig.tar.gz)"
    fi
    echo "$BZIP2_SHA256  $tarball" | sha256sum -c --quiet - >&2
    echo "$tarball"
}

build_bzip2() {
    local tmp tarball
    make_tmp; tmp="$TMP"
    tarball="$(fetch_bzip2_tarball "$tmp")"
    tar -xzf "$tarball" -C "$tmp"
    echo "wasm   bzip2 1.0.8 -> wasm/bzip2.wasm"
    # Unpatched upstream source. WASI has no signals, times(), fchmod or fchown:
    # signal() and times() come from wasi-libc's emulation libraries, and
    # fchmod/fchown (only used to copy file attributes, never for stdin/stdout)
    # are defined away. The sources are compiled from inside their directory so
    # that no temp path can end up in the binary.
    mkdir -p wasm
    (cd "$tmp/bzip2-1.0.8" &&
        "$WASM_CC" "${WASM_FLAGS[@]}" -O2 -D_FILE_OFFSET_BITS=64 \
            -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS \
            '-Dfchmod(fd,mode)=0' '-Dfchown(fd,uid,gid)=0' \
            -o bzip2.wasm "${BZIP2_SOURCES[@]}" \
            -lwasi-emulated-signal -lwasi-emulated-process-clocks)
    cp "$tmp/bzip2-1.0.8/bzip2.wasm" wasm/bzip2.wasm
}

build_lua() {
    local tmp tarball src
    make_tmp; tmp="$TMP"
    if [[ -n "${LUA_TARBALL:-}" ]]; then
        tarball="$LUA_TARBALL"
    else
        if ! (cd "$tmp" && apt-get source --download-only lua5.4 >&2); then
            add_deb_src >&2
            (cd "$tmp" && apt-get source --download-only lua5.4 >&2)
        fi
        tarball="$(ls "$tmp"/lua5.4_5.4.4.orig.tar.gz)" # pristine upstream lua-5.4.4.tar.gz
    fi
    echo "$LUA_SHA256  $tarball" | sha256sum -c --quiet - >&2
    tar -xzf "$tarball" -C "$tmp"
    src="$tmp/lua-5.4.4/src"
    # Unpatched upstream source; the interpreter (lua.c) and the libraries, not luac.c.
    # wasm32-wasi has no setjmp without the exception-handling proposal: a Lua error aborts
    # (LUAI_THROW), so scripts that raise errors cannot run, and setjmp.h is an empty stub.
    # os.tmpname, os.execute and io.tmpfile fail (wasi-stubs.c); signals and clock() come from
    # wasi-libc's emulation libraries.
    mkdir -p "$tmp/stub" wasm ../../../target/lua
    echo '/* empty: Lua errors abort here, nothing of setjmp is used */' > "$tmp/stub/setjmp.h"
    cp lua/wasi-stubs.c "$src/"
    echo "wasm   lua 5.4.4 -> wasm/lua.wasm"
    (cd "$src" &&
        "$WASM_CC" "${WASM_FLAGS[@]}" -O2 -I"$tmp/stub" \
            -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS \
            '-DLUAI_THROW(L,c)=abort()' '-DLUAI_TRY(L,c,a)={a}' -Dluai_jmpbuf=int \
            -DLUA_TMPNAMBUFSIZE=32 '-Dlua_tmpnam(b,e)={e=1;}' \
            -o lua.wasm $(ls *.c | grep -v '^luac.c$') \
            -lwasi-emulated-signal -lwasi-emulated-process-clocks)
    cp "$src/lua.wasm" wasm/lua.wasm
    echo "native lua 5.4.4 -> runtime/target/lua/lua ($WASM_CC, upstream's Linux configuration)"
    (cd "$src" && rm wasi-stubs.c &&
        "$WASM_CC" -O2 -DLUA_USE_LINUX -o lua $(ls *.c | grep -v '^luac.c$') -lm)
    cp "$src/lua" ../../../target/lua/lua
}

write_imports() {
    local f
    {
        echo "# WASI imports of each module (generated by build.sh from wasm-objdump -x)"
        for f in wasm/*.wasm; do
            echo
            echo "$(basename "$f") ($(stat -c %s "$f") bytes):"
            wasm-objdump -x -j Import "$f" | sed -n 's/.* <- \([^ ]*\)$/  \1/p'
        done
    } > wasm/IMPORTS.txt
    if grep '^  ' wasm/IMPORTS.txt | grep -v '^  wasi_snapshot_preview1\.' >&2; then
        echo "error: imports from a module other than wasi_snapshot_preview1" >&2
        return 1
    fi
}

verify_with_node() {
    local runner p rc fail=0
    make_tmp; runner="$TMP/run-wasi.js"
    cat > "$runner" <<'EOF'
const { WASI } = require('node:wasi');
const fs = require('node:fs');
const wasi = new WASI({ version: 'preview1', args: process.argv.slice(2), env: {}, returnOnExit: true });
const mod = new WebAssembly.Module(fs.readFileSync(process.argv[2]));
process.exitCode = wasi.start(new WebAssembly.Instance(mod, wasi.getImportObject()));
EOF
    for p in $(programs); do
        rc=0
        node --no-warnings "$runner" "wasm/$p.wasm" | cmp -s - "expected/$p.out" || rc=$?
        if [[ $rc -eq 0 ]]; then echo "ok     $p"; else echo "FAIL   $p"; fail=1; fi
    done
    return $fail
}

case "${1:-}" in
    "")
        build_wasm_programs
        [[ -f wasm/bzip2.wasm ]] || build_bzip2
        write_imports
        ;;
    --native)
        [[ $# -eq 2 ]] || { echo "usage: $0 --native OUTDIR" >&2; exit 2; }
        build_native "$2"
        ;;
    --expected) write_expected ;;
    --bzip2) build_bzip2; write_imports ;;
    --verify) verify_with_node ;;
    --lua) build_lua; write_imports ;;
    *)
        sed -n '2,18p' "$0" >&2
        exit 2
        ;;
esac
