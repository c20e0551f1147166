#!/bin/sh
# Rebuilds the guest binaries of kernel-nova's tests and benchmarks from their nasm sources.
#
#   ./build.sh [--check]
#
# Needs nasm (Debian: apt-get install nasm; built with NASM 2.16.01). Tests never run this
# script: the binaries are committed next to the sources. --check assembles into a scratch
# folder and compares with the committed binaries.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
check=0
[ "${1:-}" = "--check" ] && check=1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for src in "$here"/*.asm; do
  name=$(basename "$src" .asm)
  out="$here/$name.bin"
  [ $check -eq 1 ] && out="$scratch/$name.bin"
  nasm -f bin -I "$here/" -o "$out" "$src"
  if [ $check -eq 1 ]; then
    if cmp -s "$out" "$here/$name.bin"; then echo "same    $name.bin"; else echo "DIFFERS $name.bin"; exit 1; fi
  else
    echo "built   $name.bin ($(wc -c < "$out") bytes)"
  fi
done
