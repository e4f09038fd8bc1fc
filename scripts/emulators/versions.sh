# Pinned emulator versions and where their binaries are cached. Sourced by
# install.sh; tools/test-emulators reads the same file.
# docker-compose.test.yml builds the same MinIO commit: change both together.
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
FAKE_GCS_SERVER_VERSION=v1.56.1
emulator_cache=${BACKUP_EMULATORS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/backup-emulators}
