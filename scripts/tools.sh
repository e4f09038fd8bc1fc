# Sourced by every root script. Puts a supported Node (>= 22.12) and pnpm 10 on
# PATH, fetching them from the npm registry into .tools/ when the machine lacks
# them (Node 20, still shipped by many images, is end-of-life and too old for
# vitest 5, the Azure and GCS SDKs, and zstd in node:zlib).
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
    "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) ? 0 : 1)' 2>/dev/null
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

ensure_node
ensure_pnpm
