#!/usr/bin/env bash
# `npm run bench`: backup and restore speed, memory and write impact of our
# backup through the real server, as ratios against tar, pigz and zstd
# measured in the same run (see bench/README.md). Sets up what is missing
# (Node, pnpm, packages, emulator binaries, pigz and zstd), then runs the
# harness. Options go after `--`, e.g. `npm run bench -- --quick`.
source "$(dirname "$0")/tools.sh"
ensure_workspace

# The provider benchmarks start the emulators; without them they are reported
# as unavailable rather than failing the whole run.
if ! bash "$repo_root/scripts/emulators/install.sh"; then
  say "emulators could not be built: the provider benchmarks will report them unavailable"
fi

# The baselines. Installed from the OS packages when we may; otherwise the
# harness reports each missing tool as unavailable next to its comparison.
install_baseline_tools
if [ "${#missing_tools[@]}" -gt 0 ]; then
  say "${missing_tools[*]} not installed and cannot be installed here: those baselines will be reported unavailable"
fi

cd "$repo_root/bench"
exec node --conditions=@backup/source src/cli.ts "$@"
