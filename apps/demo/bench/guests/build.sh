#!/bin/sh
# Rebuilds the benchmark guests (guests.json) with the shared nasm library of
# packages/x86-core/guests/lib. Same options as packages/x86-core/guests/build.sh.
exec "$(cd "$(dirname "$0")" && pwd)/../../../../packages/x86-core/guests/build.sh" --dir "$(cd "$(dirname "$0")" && pwd)" "$@"
