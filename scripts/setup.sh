#!/usr/bin/env bash
# Sets up what is missing: a supported Node, pnpm, the workspace's packages.
# Pass --emulators to also build the storage emulators the tests use.
source "$(dirname "$0")/tools.sh"
ensure_workspace
if [ "${1:-}" = "--emulators" ]; then
  bash "$repo_root/scripts/emulators/install.sh"
fi
say "ready: node $(node --version), pnpm $(pnpm --version)"
