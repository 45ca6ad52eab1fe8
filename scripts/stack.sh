#!/usr/bin/env bash
# npm run stack -- up | down [component...] | status | env | reset   (see infra/README.md)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_deps
stack "$@"
