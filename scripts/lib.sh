# Shared by the README's commands: brings in the pinned pnpm and the workspace's packages.
# Nothing is installed globally: pnpm lives in .stack/tools, packages in node_modules.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.stack/tools"

say() { printf '\033[1m[trackops]\033[0m %s\n' "$*"; }

require_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "Node.js 20 or newer is required (node was not found on PATH)" >&2
    exit 1
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 20 ]; then
    echo "Node.js 20 or newer is required (found $(node --version))" >&2
    exit 1
  fi
}

# The pnpm version pinned in package.json's packageManager field, installed with npm into
# .stack/tools (corepack would work too, but its signature keys lag behind pnpm releases).
ensure_pnpm() {
  require_node
  local wanted have=""
  wanted="$(node -p "require('$ROOT/package.json').packageManager.split('@')[1]")"
  if [ -x "$TOOLS/node_modules/.bin/pnpm" ]; then
    have="$("$TOOLS/node_modules/.bin/pnpm" --version 2>/dev/null || true)"
  fi
  if [ "$have" != "$wanted" ]; then
    say "installing pnpm $wanted into .stack/tools"
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "pnpm@$wanted" >/dev/null
  fi
}

# On PATH, so package scripts that call pnpm themselves find the same one.
export PATH="$TOOLS/node_modules/.bin:$PATH"

# Installs the workspace exactly as locked. Quick when nothing changed.
ensure_deps() {
  ensure_pnpm
  say "pnpm install (frozen lockfile)"
  (cd "$ROOT" && pnpm install --frozen-lockfile --prefer-offline)
}

stack() { (cd "$ROOT" && "$ROOT/infra/node_modules/.bin/tsx" "$ROOT/infra/stack/cli.ts" "$@"); }
