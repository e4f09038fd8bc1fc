#!/usr/bin/env bash
# Runs a workspace binary (turbo, changeset, vitest, ...) with the project's Node and pnpm.
source "$(dirname "$0")/tools.sh"
ensure_workspace
cd "$repo_root"
exec pnpm exec "$@"
