#!/bin/sh
# Rebuilds the host-input test guest (input-wake.bin) from its nasm source with the shared library
# of packages/x86-core/guests/lib; --check assembles into a scratch file and compares with the
# committed binary. Needs nasm (Debian: apt-get install nasm; built with NASM 2.16.01). Tests
# never run this script: the binary is committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lib="$here/../../../../packages/x86-core/guests/lib"
out="$here/input-wake.bin"
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp)
  trap 'rm -f "$out"' EXIT
fi
nasm -f bin -I "$lib/" -o "$out" "$here/input-wake.asm"
if [ "${1:-}" = "--check" ]; then
  if cmp -s "$out" "$here/input-wake.bin"; then echo "same    input-wake.bin"; else echo "DIFFERS input-wake.bin"; exit 1; fi
else
  echo "built   input-wake.bin ($(wc -c < "$out") bytes)"
fi
