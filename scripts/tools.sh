# Sourced by every root script. Puts a Node that runs this repository (22.18+
# or 24+: zstd in node:zlib and TypeScript run without a build step) and pnpm 10
# on PATH, fetching them from the npm registry into .tools/ when the machine
# lacks them (Node 20, still shipped by many images, is end-of-life and too old
# for vitest 5, the Azure and GCS SDKs, and zstd in node:zlib). The published
# packages need less: see `node_floor_version`.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools_dir="$repo_root/.tools"
node_major_wanted=24
pnpm_version=$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$repo_root/package.json")

export TURBO_TELEMETRY_DISABLED=1
export DO_NOT_TRACK=1
export npm_config_update_notifier=false
export npm_config_fund=false
export npm_config_audit=false

say() { printf '[setup] %s\n' "$*" >&2; }

node_is_supported() {
  command -v "$1" >/dev/null 2>&1 &&
    "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a >= 24 || (a === 22 && b >= 18) ? 0 : 1)' 2>/dev/null
}

ensure_node() {
  if [ -x "$tools_dir/bin/node" ]; then export PATH="$tools_dir/bin:$PATH"; fi
  if node_is_supported node; then return; fi
  local platform
  platform=$(node -p 'process.platform + "-" + process.arch' 2>/dev/null || echo linux-x64)
  say "Node $(node --version 2>/dev/null || echo '(none)') is not supported; fetching node-$platform@$node_major_wanted from the npm registry"
  mkdir -p "$tools_dir/bin"
  npm install --prefix "$tools_dir/node" --no-save --no-package-lock --loglevel=error "node-$platform@$node_major_wanted" >/dev/null
  ln -sf "$tools_dir/node/node_modules/node-$platform/bin/node" "$tools_dir/bin/node"
  export PATH="$tools_dir/bin:$PATH"
  node_is_supported node || { say "could not install a supported Node"; exit 1; }
}

# The oldest Node the published packages support: the first range of
# @backup/core's `engines.node` (`^22.15.0 || >=23.8.0` gives 22.15.0). Every
# published package declares the same range (packages/core/test/engines.test.ts).
node_floor_version() {
  sed -n 's/.*"node": *"^\([0-9][0-9.]*\).*/\1/p' "$repo_root/packages/core/package.json" | head -1
}

# Fetches that Node into .tools/ (once) and prints the path of its binary.
ensure_floor_node() {
  local version platform
  version=$(node_floor_version)
  [ -n "$version" ] || { say "package.json has no engines.node of the form ^X.Y.Z"; return 1; }
  platform=$(node -p 'process.platform + "-" + process.arch')
  local prefix="$tools_dir/node-floor-$version"
  local binary="$prefix/node_modules/node-$platform/bin/node"
  if [ ! -x "$binary" ]; then
    say "fetching node-$platform@$version (the oldest supported Node) from the npm registry"
    npm install --prefix "$prefix" --no-save --no-package-lock --loglevel=error "node-$platform@$version" >/dev/null || return 1
  fi
  [ "$("$binary" --version)" = "v$version" ] || return 1
  echo "$binary"
}

ensure_pnpm() {
  if [ -x "$tools_dir/bin/pnpm" ]; then export PATH="$tools_dir/bin:$PATH"; fi
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$pnpm_version" ]; then return; fi
  say "fetching pnpm@$pnpm_version from the npm registry"
  mkdir -p "$tools_dir/bin"
  npm install --prefix "$tools_dir/pnpm" --no-save --no-package-lock --loglevel=error "pnpm@$pnpm_version" >/dev/null
  ln -sf "$tools_dir/pnpm/node_modules/pnpm/bin/pnpm.cjs" "$tools_dir/bin/pnpm"
  export PATH="$tools_dir/bin:$PATH"
}

ensure_workspace() {
  cd "$repo_root"
  # Up to date: pnpm keeps a copy of the lockfile it installed, and no manifest changed since.
  local installed=node_modules/.pnpm/lock.yaml
  if cmp -s pnpm-lock.yaml "$installed" &&
    [ -z "$(find . -name node_modules -prune -o -name package.json -newer "$installed" -print -quit)" ]; then
    return
  fi
  local frozen=()
  if [ "${CI:-}" = "true" ]; then frozen=(--frozen-lockfile); fi
  pnpm install --prefer-offline "${frozen[@]}" >&2
}

# The standard tools `npm run bench` measures us against, which its harness test
# (part of `npm test`) runs too.
baseline_tools=(tar pigz zstd)

missing_baseline_tools() {
  local tool
  for tool in "${baseline_tools[@]}"; do command -v "$tool" >/dev/null 2>&1 || printf '%s\n' "$tool"; done
}

# Installs the missing baseline tools from the OS packages when we may (root,
# or passwordless sudo). Leaves `missing_tools` set to what is still missing.
install_baseline_tools() {
  mapfile -t missing_tools < <(missing_baseline_tools)
  [ "${#missing_tools[@]}" -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else return 0; fi
  fi
  local log="$tools_dir/os-packages.log"
  mkdir -p "$tools_dir"
  say "installing ${missing_tools[*]} from the OS packages (log: $log)"
  if command -v apt-get >/dev/null 2>&1; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing_tools[@]}" >"$log" 2>&1 ||
      { "${sudo[@]}" apt-get update >>"$log" 2>&1 &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing_tools[@]}" >>"$log" 2>&1; } || true
  elif command -v dnf >/dev/null 2>&1; then
    "${sudo[@]}" dnf install -y "${missing_tools[@]}" >"$log" 2>&1 || true
  elif command -v apk >/dev/null 2>&1; then
    "${sudo[@]}" apk add "${missing_tools[@]}" >"$log" 2>&1 || true
  fi
  mapfile -t missing_tools < <(missing_baseline_tools)
  if [ "${#missing_tools[@]}" -gt 0 ] && [ -s "$log" ]; then tail -5 "$log" >&2; fi
  return 0
}

ensure_node
ensure_pnpm
