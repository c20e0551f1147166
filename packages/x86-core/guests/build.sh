#!/bin/sh
# Rebuilds every guest binary listed in guests.json from its nasm source.
#
#   ./build.sh            assemble all guests (writes the .bin files next to the sources)
#   ./build.sh --check    assemble into a scratch folder and compare with the committed binaries
#   ./build.sh NAME...    assemble only the named guests
#
# Needs nasm (Debian: apt-get install nasm; built with NASM 2.16.01) and node. Tests never run
# this: the binaries are committed, and guests/expected/*.json records their sha256.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lib="$here/../../x86-core/guests/lib/"
[ -d "$lib" ] || lib="$here/lib/"
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
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
    if cmp -s "$out" "$here/$binary"; then echo "same    $binary"; else echo "DIFFERS $binary"; status=1; fi
  else
    echo "built   $binary ($(wc -c < "$out") bytes)"
  fi
  [ $status -eq 0 ] || exit 1
done
