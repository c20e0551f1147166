#!/bin/sh
# Rebuilds the guest binaries listed in a corpus's guests.json from their nasm sources.
#
#   ./build.sh [--dir CORPUS] [--check] [NAME...]
#
#   --dir CORPUS   the folder with guests.json (default: this folder); the VMM's and the demo's
#                  build.sh call this script with their own folder
#   --check        assemble into a scratch folder and compare with the committed binaries
#   NAME...        only these guests
#
# Needs nasm (Debian: apt-get install nasm; the binaries were built with NASM 2.16.01) and node.
# The shared library is this folder's lib/. Tests never run this script: the binaries are
# committed, and each corpus's expected/*.json records their sha256.
set -eu
lib="$(cd "$(dirname "$0")" && pwd)/lib/"
here=$(cd "$(dirname "$0")" && pwd)
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) here=$(cd "$2" && pwd); shift 2 ;;
    --check) check=1; shift ;;
    *) break ;;
  esac
done
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
node -e '
  const m = require(process.argv[1]);
  const want = process.argv.slice(2);
  for (const g of m.guests) {
    if (want.length && !want.includes(g.name)) continue;
    console.log([g.name, g.source, g.binary, ...g.defines.map((d) => "-D" + d)].join(" "));
  }' "$here/guests.json" "$@" |
while read -r name source binary defines; do
  out="$here/$binary"
  [ $check -eq 1 ] && out="$scratch/$(echo "$name" | tr / _).bin"
  # shellcheck disable=SC2086
  nasm -f bin -I "$lib" -I "$here/$(dirname "$source")/" $defines -o "$out" "$here/$source"
  if [ $check -eq 1 ]; then
    if cmp -s "$out" "$here/$binary"; then echo "same    $binary"; else echo "DIFFERS $binary"; exit 1; fi
  else
    echo "built   $binary ($(wc -c < "$out") bytes)"
  fi
done
