#!/bin/sh
# Rebuilds the VMM's focused guests (guests.json) with the shared nasm library of
# packages/x86-core/guests/lib. Same options as packages/x86-core/guests/build.sh.
exec "$(cd "$(dirname "$0")" && pwd)/../../x86-core/guests/build.sh" --dir "$(cd "$(dirname "$0")" && pwd)" "$@"
