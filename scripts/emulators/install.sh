#!/usr/bin/env bash
# Builds the storage emulators the provider tests run against, once, into a
# cache outside the repository (pinned versions; a new pin builds anew):
#   MinIO            (S3)   go install, ~4 min the first time on 2 cores
#   fake-gcs-server  (GCS)  go install, ~2 min the first time
# Azurite (Azure) is an npm devDependency of tools/test-emulators, installed
# with the workspace. Docker users can use docker-compose.test.yml instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.sh"

say() { printf '[emulators] %s\n' "$*" >&2; }

build() {
  local name=$1 module=$2 version=$3
  local target="$emulator_cache/$name-$version"
  if [ -x "$target/$name" ]; then return 0; fi
  if ! command -v go >/dev/null 2>&1; then
    say "Go is needed to build $name (the $name emulator); install Go >= 1.24 and run npm test again"
    return 1
  fi
  say "building $name $version with go install (cached in $target)"
  mkdir -p "$target.tmp"
  if GOBIN="$target.tmp" GOFLAGS=-mod=mod go install "$module@$version" >"$target.log" 2>&1; then
    rm -rf "$target" && mv "$target.tmp" "$target"
  else
    say "building $name failed; see $target.log"; tail -20 "$target.log" >&2
    rm -rf "$target.tmp"
    return 1
  fi
}

pids=()
build minio github.com/minio/minio "$MINIO_VERSION" & pids+=($!)
build fake-gcs-server github.com/fsouza/fake-gcs-server "$FAKE_GCS_SERVER_VERSION" & pids+=($!)
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
