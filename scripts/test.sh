#!/usr/bin/env bash
# `npm test`: sets up what is missing (Node, pnpm, packages, emulator binaries,
# the client matrix's Python venvs and Go/Java programs,
# the benchmark's baseline tools), type-checks and lints every package, runs every
# package's tests (each starts the emulators it needs) and, alongside, the unit
# tests of @backup/core and @backup/lsm on the oldest Node the packages declare,
# and ends with one line: `N passed, N failed`.
# Extra arguments go to vitest, e.g. `npm test -- --project provider-s3`; the
# run on the oldest Node is left out then (it says so).
source "$(dirname "$0")/tools.sh"

# A setup step that cannot be done is one named failure, and the run still ends
# with the line CI reads.
setup_failed() {
  say "setup FAILED: $*"
  echo "0 passed, 1 failed"
  exit 1
}

ensure_workspace
bash "$repo_root/scripts/emulators/install.sh" || setup_failed "the storage emulators could not be built (see above)"
bash "$repo_root/scripts/clients/install.sh" || setup_failed "the client matrix's programs (Python, Go, Java clients) could not be built (see above)"
install_baseline_tools
if [ "${#missing_tools[@]}" -gt 0 ]; then
  setup_failed "the benchmark harness test needs ${missing_tools[*]}; install it (e.g. apt-get install -y ${missing_tools[*]}) and run npm test again"
fi
floor_node=""
if [ "$#" -eq 0 ]; then
  floor_node=$(ensure_floor_node) || setup_failed "could not fetch Node $(node_floor_version), the oldest the packages declare"
fi
cd "$repo_root"

passed=0 failed=0 skipped=0
if ! pnpm exec turbo run typecheck --output-logs=errors-only; then
  say "type check FAILED"
  failed=1
fi
# Lint and format (Biome, biome.json): a violation is one failure in the final line, like the type check.
if ! pnpm exec biome check .; then
  say "lint or format check FAILED (npm run lint; npm run format fixes the format)"
  failed=$((failed + 1))
fi

# Runs vitest with `node` ($1) and writes "passed failed skipped" to the file $2.
run_vitest() {
  local node_bin=$1 counts=$2
  shift 2
  local summary
  summary=$(mktemp)
  set +e
  BACKUP_TEST_SUMMARY_FILE="$summary" "$node_bin" "$repo_root/node_modules/vitest/vitest.mjs" run "$@"
  local status=$?
  set -e
  local p=0 f=0 s=0
  if [ -s "$summary" ]; then
    read -r p f s < <(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(s.passed, s.failed, s.skipped)' "$summary")
  fi
  rm -f "$summary"
  # vitest failed without a failed test (e.g. an emulator did not start): still a failure.
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  echo "$p $f $s" >"$counts"
}

# Adds the counts run_vitest wrote to $1 to the totals (a run that wrote none failed).
add_counts() {
  local p=0 f=1 s=0
  if [ -s "$1" ]; then read -r p f s <"$1"; fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  rm -f "$1"
}

floor_pid=""
if [ -n "$floor_node" ]; then
  # The packages promise to work on this Node (`engines`); prove it where it matters most, in the
  # background while the main run waits on emulators and child processes (its own log, its counts
  # in the total). Before 22.18 Node strips TypeScript types only when asked (the tests' child
  # processes run .ts). Left out there: the tests that kill processes, compare with a model or
  # measure memory (long, and about the machine rather than the Node API; memory-bound also builds
  # the dist/ it measures, which two runs at once would both write); they run in the main run.
  floor_log="$tools_dir/floor-node-tests.log"
  floor_counts=$(mktemp)
  say "meanwhile: the unit tests of @backup/core and @backup/lsm on Node $("$floor_node" --version | tr -d v), the oldest the packages declare (log: $floor_log)"
  (
    export NODE_OPTIONS="--experimental-strip-types" PATH="$(dirname "$floor_node"):$PATH"
    # --exclude patterns are relative to each project's root (packages/core, packages/lsm).
    run_vitest "$floor_node" "$floor_counts" --project core --project lsm \
      --exclude 'test/crash.test.ts' --exclude 'test/model.test.ts' \
      --exclude 'test/compaction-memory.test.ts' --exclude 'test/store-lock.test.ts' \
      --exclude 'test/memory-bound.test.ts'
  ) >"$floor_log" 2>&1 &
  floor_pid=$!
else
  say "the run on the oldest supported Node is left out: it runs only when npm test gets no arguments"
fi

say "every test, on Node $(node --version | tr -d v)"
main_counts=$(mktemp)
run_vitest "$(command -v node)" "$main_counts" "$@"
add_counts "$main_counts"

if [ -n "$floor_pid" ]; then
  wait "$floor_pid" || true
  read -r floor_passed floor_failed _ <"$floor_counts" 2>/dev/null || floor_failed=1
  if [ "${floor_failed:-1}" -ne 0 ]; then
    say "on the oldest supported Node, tests FAILED; the end of $floor_log:"
    tail -150 "$floor_log"
  else
    say "on the oldest supported Node: ${floor_passed:-0} passed (log: $floor_log)"
  fi
  add_counts "$floor_counts"
fi

line="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then line="$line, $skipped skipped"; fi
echo "$line"
[ "$failed" -eq 0 ]
