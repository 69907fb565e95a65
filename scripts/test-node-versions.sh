#!/usr/bin/env bash
# Runs the tests again under the Node versions users run beside the machine's own (CI's Node 20),
# each pinned in scripts/node-versions.sh and put first on PATH, so that vitest, npm and every
# child `node` are that version:
#
#   Node 24 (active LTS)       the whole suite
#   Node 22 (maintenance LTS)  the installed package (import and require), wire, peer, eth,
#                              and the interop tests against geth, devp2p and @ethereumjs
#
#   bash scripts/test-node-versions.sh          both, 24 first
#   bash scripts/test-node-versions.sh 22       one of them
#
# Each run writes its vitest JSON report to .test-results-node<version>.json (.ci/run adds them
# up). The addons (keccak, secp256k1, snappy) are N-API prebuilds, so the node_modules that
# Node 20's npm installed load as they are; the package test checks that they do (native
# backends) under each version. Exits non-zero if any run fails. Files run one at a time on two
# cores, as vitest does by default there; VITEST_MAX_WORKERS=2 runs two at once.
set -uo pipefail
cd "$(dirname "$0")/.."

NODE22_TESTS=(
  test/package.test.ts test/wire test/peer test/eth test/interop
  test/discovery/interop-devp2p.test.ts test/crawl/crawl-geth.test.ts
)

runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(24 22)
status=0
for name in "${runs[@]}"; do
  case "$name" in
    24) tests=() ; what="the whole suite" ;;
    22) tests=("${NODE22_TESTS[@]}") ; what="package, wire, peer, eth and interop tests" ;;
    *) echo "test-node-versions: no run is defined for Node $name (24 or 22)" >&2; exit 2 ;;
  esac
  if ! bin="$(bash scripts/node-versions.sh "$name")"; then
    echo "test-node-versions: FAILED: no Node $name to run the tests under" >&2
    status=1
    continue
  fi
  version="$("$bin/node" --version)"
  started=$(date +%s)
  echo
  echo "=== Node $version ($bin/node): $what"
  # The native addons as this Node loads them from node_modules (the tests check they are native).
  PATH="$bin:$PATH" "$bin/node" --import tsx src/cli/main.ts --version || status=1
  PATH="$bin:$PATH" RLPX_TEST_RESULTS=".test-results-node${version#v}.json" \
    "$bin/node" node_modules/vitest/vitest.mjs run "${tests[@]}"
  rc=$?
  [ "$rc" -eq 0 ] || status=$rc
  echo "=== Node $version: $what $([ "$rc" -eq 0 ] && echo passed || echo "FAILED (exit $rc)") in $(( $(date +%s) - started ))s"
done
exit "$status"
