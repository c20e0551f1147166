#!/bin/sh
# Rebuilds the bzImage-format test guest (boot-info.bin) from its nasm source; --check assembles
# into a scratch file and compares with the committed binary. Needs nasm (Debian: apt-get install
# nasm; built with NASM 2.16.01). Tests never run this script: the binary is committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/boot-info.bin"
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp)
  trap 'rm -f "$out"' EXIT
fi
nasm -f bin -o "$out" "$here/boot-info.asm"
if [ "${1:-}" = "--check" ]; then
  if cmp -s "$out" "$here/boot-info.bin"; then echo "same    boot-info.bin"; else echo "DIFFERS boot-info.bin"; exit 1; fi
else
  echo "built   boot-info.bin ($(wc -c < "$out") bytes)"
fi
