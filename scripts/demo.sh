#!/usr/bin/env bash
# npm run demo: sets everything up, brings the stack up and runs the TrackOps demo.
# Until the reference app exists (issue 8) this runs the stack's smoke path and says so.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_deps
cd "$ROOT"
say "bringing the stack up"
stack up
"$ROOT/infra/node_modules/.bin/tsx" "$ROOT/examples/trackops/src/smokeDemo.ts" "$@"
