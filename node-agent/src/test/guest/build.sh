#!/bin/sh
# Rebuilds the node agent's guest programs (needs clang-14, lld-14, wasi-libc; see STACK.md).
set -eu
cd "$(dirname "$0")"
mkdir -p wasm
for src in *.c; do
    clang-14 --target=wasm32-wasi -O2 -mbulk-memory -Wall -Wextra -Wl,--strip-debug -o "wasm/${src%.c}.wasm" "$src"
done
