#!/usr/bin/env bash
# `npm test`: sets up what is missing (Node, pnpm, packages, emulator binaries),
# type-checks every package, runs every package's tests (each starts the
# emulators it needs) and ends with one line: `N passed, N failed`.
# Extra arguments go to vitest, e.g. `npm test -- --project provider-s3`.
source "$(dirname "$0")/tools.sh"
ensure_workspace
bash "$repo_root/scripts/emulators/install.sh"
cd "$repo_root"

failed_steps=0
say "type-checking every package"
if ! pnpm exec turbo run typecheck --output-logs=errors-only; then
  say "type check FAILED"
  failed_steps=1
fi

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
set +e
BACKUP_TEST_SUMMARY_FILE="$summary" pnpm exec vitest run "$@"
vitest_status=$?
set -e

passed=0 failed=0 skipped=0
if [ -s "$summary" ]; then
  read -r passed failed skipped < <(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(s.passed, s.failed, s.skipped)' "$summary")
elif [ "$vitest_status" -ne 0 ]; then
  failed=1 # vitest stopped before any test ran (e.g. an emulator did not start)
fi
failed=$((failed + failed_steps))
if [ "$vitest_status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

line="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then line="$line, $skipped skipped"; fi
echo "$line"
[ "$failed" -eq 0 ]
