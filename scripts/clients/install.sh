#!/usr/bin/env bash
# Builds the client matrix's programs (clients/, see clients/README.md), pinned
# versions from each folder's own manifest:
#   python-v3, python-v4  a venv each, pip install -r requirements.txt (PyPI)
#   go                    go build (Go module proxy; go.mod / go.sum)
#   java                  mvn dependency:build-classpath (Maven Central) + javac
# The TypeScript clients are workspace devDependencies (pnpm install).
# Each build lands in a cache outside the repository keyed by a hash of its
# folder and toolchain, so a warm run only hashes; the paths the test uses go to
# clients/.build/manifest.json. A missing toolchain is installed from the OS
# packages when we may (root or passwordless sudo), else the run fails naming it.
set -euo pipefail
repo_root=$(cd "$(dirname "$0")/../.." && pwd)
clients="$repo_root/clients"
cache=${BACKUP_CLIENTS_CACHE:-$HOME/.cache/backup-clients}
say() { printf '[clients] %s\n' "$*" >&2; }

# command -> Debian package that provides it.
declare -A os_package=([python3]=python3 [javac]=default-jdk-headless [java]=default-jdk-headless [mvn]=maven)

python_ok() { command -v python3 >/dev/null 2>&1 && python3 -c 'import venv, ensurepip' 2>/dev/null; }
missing_tools() {
  python_ok || echo python3
  local tool
  for tool in java javac mvn; do command -v "$tool" >/dev/null 2>&1 || echo "$tool"; done
}

mapfile -t missing < <(missing_tools)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); fi
  if { [ "$(id -u)" = 0 ] || [ "${#sudo[@]}" -gt 0 ]; } && command -v apt-get >/dev/null 2>&1; then
    packages=()
    for tool in "${missing[@]}"; do packages+=("${os_package[$tool]}"); done
    [[ " ${missing[*]} " == *" python3 "* ]] && packages+=(python3-venv)
    mkdir -p "$cache"
    say "installing ${packages[*]} from the OS packages (log: $cache/os-packages.log)"
    { "${sudo[@]}" apt-get update && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"; } >"$cache/os-packages.log" 2>&1 || true
    mapfile -t missing < <(missing_tools)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    say "the client matrix needs ${missing[*]} (python3 with venv, a JDK, Maven); install them and run again"
    exit 1
  fi
fi
if ! command -v go >/dev/null 2>&1; then
  say "the client matrix needs Go (>= 1.24) to build the Go client's program; install Go and run again"
  exit 1
fi

# A hash of the files that go into a build (a folder's, or the one given) and of the toolchain.
key_of() {
  local path=$1 toolchain=$2
  { if [ -d "$path" ]; then (cd "$path" && find . -type f ! -path './target/*' | LC_ALL=C sort | xargs sha256sum); else sha256sum <"$path"; fi
    echo "$toolchain"; } | sha256sum | cut -c1-16
}

# Builds into $cache/<name>-<key> through a temporary folder, once; prints the folder.
build_python() {
  local name=$1 target
  # Only the pins make the venv: the program runs from the repository.
  target="$cache/$name-$(key_of "$clients/$name/requirements.txt" "$(python3 --version 2>&1)")"
  if [ ! -x "$target/venv/bin/python" ]; then
    say "$name: pip install -r clients/$name/requirements.txt into $target (log: $target.log)"
    rm -rf "$target.tmp" && mkdir -p "$target.tmp"
    if ! { python3 -m venv "$target.tmp/venv" && "$target.tmp/venv/bin/pip" install --disable-pip-version-check -q -r "$clients/$name/requirements.txt"; } >"$target.log" 2>&1; then
      say "$name: pip install failed; see $target.log"; tail -20 "$target.log" >&2; return 1
    fi
    rm -rf "$target" && mv "$target.tmp" "$target"
    # A venv records its own path; the moved one must still find its packages.
    sed -i "s#$target.tmp#$target#g" "$target/venv/bin/"* "$target/venv/pyvenv.cfg" 2>/dev/null || true
  fi
  echo "$target"
}

build_go() {
  local target
  target="$cache/go-$(key_of "$clients/go" "$(go version)")"
  if [ ! -x "$target/backup" ]; then
    say "go: go build clients/go into $target (log: $target.log)"
    rm -rf "$target.tmp" && mkdir -p "$target.tmp"
    if ! (cd "$clients/go" && go build -o "$target.tmp/backup" .) >"$target.log" 2>&1; then
      say "go: go build failed; see $target.log"; tail -20 "$target.log" >&2; return 1
    fi
    rm -rf "$target" && mv "$target.tmp" "$target"
  fi
  echo "$target"
}

# The cached classpath points into Maven's local repository, which may have been cleaned since.
classpath_present() {
  [ -s "$1" ] || return 1
  local entry
  while IFS= read -r -d: entry; do [ -e "$entry" ] || return 1; done < <(tr -d '\n' <"$1"; echo -n :)
}

build_java() {
  local target
  # The JDK's release file names its version without starting a JVM (a warm run stays cheap).
  local jdk
  jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  target="$cache/java-$(key_of "$clients/java" "$jdk $(cat "$jdk/release" 2>/dev/null) $(readlink -f "$(command -v mvn)")")"
  if ! classpath_present "$target/classpath"; then
    say "java: Maven dependencies and javac for clients/java into $target (log: $target.log)"
    rm -rf "$target.tmp" && mkdir -p "$target.tmp/classes"
    if ! { (cd "$clients/java" && mvn -B -q dependency:build-classpath -Dmdep.outputFile="$target.tmp/deps") &&
      javac -d "$target.tmp/classes" -cp "$(cat "$target.tmp/deps")" $(find "$clients/java/src/main/java" -name '*.java'); } >"$target.log" 2>&1; then
      say "java: the Maven/javac build failed; see $target.log"; tail -20 "$target.log" >&2; return 1
    fi
    rm -rf "$target" && mv "$target.tmp" "$target"
    echo "$target/classes:$(cat "$target/deps")" >"$target/classpath"
  fi
  echo "$target"
}

mkdir -p "$cache" "$clients/.build"
out="$clients/.build"
pids=()
build_python python-v3 >"$out/python-v3.path" & pids+=($!)
build_python python-v4 >"$out/python-v4.path" & pids+=($!)
build_go >"$out/go.path" & pids+=($!)
build_java >"$out/java.path" & pids+=($!)
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[ "$status" -eq 0 ] || exit 1

cat >"$out/manifest.json" <<JSON
{
  "python-v3": ["$(cat "$out/python-v3.path")/venv/bin/python", "$clients/python-v3/backup.py"],
  "python-v4": ["$(cat "$out/python-v4.path")/venv/bin/python", "$clients/python-v4/backup.py"],
  "go": ["$(cat "$out/go.path")/backup"],
  "java": ["java", "-cp", "$(cat "$(cat "$out/java.path")/classpath")", "io.weaviate.App"]
}
JSON
rm -f "$out"/*.path
