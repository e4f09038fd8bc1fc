#!/bin/sh
# Runs the bench from this bundle with its own Node, pigz and zstd (bin/ goes
# first on PATH). Options are `npm run bench`'s; without any, the speed
# comparisons at 1 GiB: ./run.sh  ==  ./run.sh --speed-only
# The result goes to $OUT (default ./bench-result.json), the log to stderr.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PATH="$here/bin:$PATH"
export PATH
[ "$#" -gt 0 ] || set -- --speed-only
version() { "$@" --version 2>&1 | head -n 1 | sed 's/^[* ]*//; s/[* ]*$//'; }
echo "node $(version "$here/bin/node"), $(version pigz) ($(command -v pigz)), $(version zstd) ($(command -v zstd))" >&2
exec "$here/bin/node" "$here/bench.mjs" --out "${OUT:-$PWD/bench-result.json}" "$@"
