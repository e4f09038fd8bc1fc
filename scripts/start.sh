#!/usr/bin/env bash
# `npm start`: sets up what is missing, then runs the backup server on the
# reference store with the filesystem provider (no cloud account needed).
source "$(dirname "$0")/tools.sh"
ensure_workspace
cd "$repo_root"
export ENABLE_MODULES="${ENABLE_MODULES:-backup-filesystem}"
export BACKUP_FILESYSTEM_PATH="${BACKUP_FILESYSTEM_PATH:-$repo_root/backups}"
export PERSISTENCE_DATA_PATH="${PERSISTENCE_DATA_PATH:-$repo_root/data}"
exec node --conditions=@backup/source packages/server/bin/backup-server.cjs "$@"
