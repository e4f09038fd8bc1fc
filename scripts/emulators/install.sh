#!/usr/bin/env bash
# Builds the storage emulators the provider tests run against, once, into a
# cache outside the repository (pinned versions; a new pin builds anew):
#   MinIO            (S3)   go install, ~4 min the first time on 2 cores
#   fake-gcs-server  (GCS)  go install, ~2 min the first time
# Azurite (Azure) is an npm devDependency of tools/test-emulators, installed
# with the workspace. OpenSSH's sshd (the SFTP provider's tests) comes from
# apt-get (openssh-server), installed here when missing and run as root. Docker users can use docker-compose.test.yml instead.
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

# The SFTP provider's tests start a real sshd of their own (no service is enabled).
ensure_sshd() {
  if [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing openssh-server (sshd, ssh-keygen) with apt-get for the SFTP provider's tests"
    if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server >/dev/null 2>&1 ||
      { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server >/dev/null 2>&1; }; then
      return 0
    fi
  fi
  say "the SFTP provider's tests need OpenSSH sshd and ssh-keygen: apt-get install -y openssh-server (as root), then run npm test again"
  return 1
}

pids=()
ensure_sshd & pids+=($!)
build minio github.com/minio/minio "$MINIO_VERSION" & pids+=($!)
build fake-gcs-server github.com/fsouza/fake-gcs-server "$FAKE_GCS_SERVER_VERSION" & pids+=($!)
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
