#!/usr/bin/env bash
# npm test: sets everything up, brings the stack up, then lint, type-check, package checks,
# API docs, unit and integration tests, the packages installed from their tarballs (packaging)
# and the disruptive tests. Each step stops the run when it fails.
#   TRACKOPS_STACK=attach          use the running stack (or env URLs) as is, start nothing
#   TRACKOPS_STACK=testcontainers  let the integration tests start containers (needs Docker)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
started=$SECONDS
ensure_deps
cd "$ROOT"

case "${TRACKOPS_STACK:-native}" in
  attach)
    say "checking the running stack (TRACKOPS_STACK=attach)"
    stack check ;;
  testcontainers)
    say "the integration tests will start their servers with Testcontainers" ;;
  *)
    say "bringing the stack up"
    stack up ;;
esac

step() {
  local name="$1"
  shift
  say "$name"
  local t=$SECONDS
  "$@"
  say "$name: done in $((SECONDS - t)) s"
}

results="$ROOT/.stack/test-results"
rm -rf "$results" && mkdir -p "$results"
step lint pnpm run lint
step typecheck pnpm run typecheck
step "package checks (publint, attw)" pnpm run check:packages
step "API docs (typedoc)" pnpm run docs
TRACKOPS_TEST_REPORT="$results/unit.json" step "unit tests" pnpm exec vitest run --project unit
TRACKOPS_TEST_REPORT="$results/integration.json" step "integration tests" pnpm exec vitest run --project integration
# The package checks above built every package; the packaging test packs that build.
TRACKOPS_PACKAGES_BUILT=1 TRACKOPS_TEST_REPORT="$results/packaging.json" step "packaging (packed, installed with npm outside the workspace; changesets)" \
  pnpm exec vitest run --project packaging
TRACKOPS_TEST_REPORT="$results/disruptive.json" step "disruptive tests (servers stopped and restarted, one file at a time)" \
  pnpm exec vitest run --project disruptive --no-file-parallelism

say "all checks passed in $((SECONDS - started)) s"
node "$ROOT/scripts/summarize-tests.mjs" "$results"/*.json
