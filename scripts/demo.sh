#!/usr/bin/env bash
# npm run demo: sets everything up, brings the stack up and runs the TrackOps demo (the three
# services, the Debezium connectors, a scripted scenario and its summary). `--once` exits after
# the summary; otherwise the services run until Ctrl-C.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_deps
cd "$ROOT/examples/trackops"
say "running the TrackOps demo (first run: the stack's packages and jars are fetched)"
exec node --conditions=@trackops/source --import tsx src/demo/main.ts "$@"
