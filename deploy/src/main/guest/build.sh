#!/bin/sh
# Rebuilds the demo guest (needs clang-14, lld-14, wasi-libc; see STACK.md). The .wasm is committed
# so that `./pm demo` needs only a JDK and Maven; CI rebuilds it and checks it is unchanged.
set -eu
cd "$(dirname "$0")"
mkdir -p wasm
clang-14 --target=wasm32-wasi -O2 -Wall -Wextra -Wl,--strip-debug -o wasm/demo.wasm demo.c
