#!/usr/bin/env bash
# `npm test`: every check, in the order a failure is cheapest to read. The type check, the layer
# rules and the browser tests' production build need neither the GPU nor the browser, so they run
# beside Vitest (which spends much of its time on one core: a test file at a time, many of them
# host-side) and print their output only when they fail. So do the PyTorch tests, a second Vitest
# of their own: they wait on Python's start-up and a gloo rendezvous as much as they compute, and
# run in about 30 s beside the engine's tests instead of after them. The browser tests then serve
# that build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-test-env.sh

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
declare -A jobs
run_beside() { local name=$1; shift; "$@" > "$logs/$name.log" 2>&1 & jobs[$name]=$!; }
run_beside typecheck npx tsc --noEmit
run_beside layers npm run -s lint:layers
run_beside e2e-build npx vite build --mode e2e --logLevel warn
run_beside python npx vitest run tests/python

failed=0
npx vitest run --exclude 'tests/python/**' || failed=1
for name in "${!jobs[@]}"; do
  if ! wait "${jobs[$name]}"; then
    echo "--- $name failed:" >&2
    cat "$logs/$name.log" >&2
    failed=1
  elif [ "$name" = python ]; then
    echo "--- python (beside):"; grep -E '\[(torchrun|parity)\]|Test Files|Tests ' "$logs/$name.log" || true
  fi
done
[ "$failed" -eq 0 ] || exit 1
E2E_BUILT=1 npx playwright test
