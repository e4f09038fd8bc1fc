#!/usr/bin/env bash
# `npm test`: sets up what is missing (Node, pnpm, packages, emulator binaries,
# the benchmark's baseline tools), type-checks every package, runs every
# package's tests (each starts the emulators it needs), runs the unit tests of
# @backup/core and @backup/lsm again on the oldest Node the packages declare,
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

# Runs vitest with `node` ($1) and adds its counts to the totals.
run_vitest() {
  local node_bin=$1
  shift
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
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

say "every test, on Node $(node --version | tr -d v)"
run_vitest "$(command -v node)" "$@"

if [ -n "$floor_node" ]; then
  # The packages promise to work on this Node (`engines`); prove it where it matters most.
  # Before 22.18 Node strips TypeScript types only when asked (the tests' child processes run .ts).
  say "the unit tests of @backup/core and @backup/lsm again, on Node $("$floor_node" --version | tr -d v), the oldest the packages declare"
  NODE_OPTIONS="--experimental-strip-types" PATH="$(dirname "$floor_node"):$PATH" \
    run_vitest "$floor_node" --project core --project lsm
else
  say "the run on the oldest supported Node is left out: it runs only when npm test gets no arguments"
fi

line="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then line="$line, $skipped skipped"; fi
echo "$line"
[ "$failed" -eq 0 ]
