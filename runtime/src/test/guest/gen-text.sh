#!/usr/bin/env bash
# Deterministic English-like text for the bzip2 benchmark.
# Usage: gen-text.sh [BYTES]   (default 4194304 = 4 MiB), writes to stdout.
#
# Algorithm (simple to reproduce in Java): Park-Miller generator
#   x0 = 12345; next() = x = x * 16807 % 2147483647      (exact in 64-bit / doubles)
# Each line: n = 6 + next() % 10 words; each word is WORDS[next() % 64]; a word
# is followed by "," when next() % 8 == 0 (not after the last word); words are
# separated by " " and the line ends with ".\n". Lines are generated until at
# least BYTES bytes exist; the output is the first BYTES bytes.
set -euo pipefail
bytes="${1:-4194304}"
awk -v bytes="$bytes" 'BEGIN {
  split("the of and to in is was that for it with as his on be at by had are but " \
        "from or have an they which one you were all her she there would their we " \
        "him been has when who will more no if out so said what up its about into " \
        "than them can only other new some could time these two", W, " ")
  x = 12345; total = 0
  while (total < bytes) {
    x = (x * 16807) % 2147483647; n = 6 + x % 10; line = ""
    for (i = 0; i < n; i++) {
      x = (x * 16807) % 2147483647; w = W[x % 64 + 1]
      x = (x * 16807) % 2147483647
      if (i > 0) line = line " "
      line = line w
      if (x % 8 == 0 && i < n - 1) line = line ","
    }
    line = line ".\n"
    if (total + length(line) > bytes) line = substr(line, 1, bytes - total)
    printf "%s", line; total += length(line)
  }
}'
