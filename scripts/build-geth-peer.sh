#!/usr/bin/env bash
# Builds bench/geth-peer (the benchmark's echo protocol on go-ethereum's p2p stack, go-ethereum
# v1.17.5 as a library) once per version of its Go sources, into a cache outside the repository,
# and prints the binary's path. The cache key is a hash of go.mod, go.sum, the .go files and the
# Go toolchain's version, so an edit to any of them builds afresh.
set -euo pipefail
export HOME="${HOME:-$(cd ~ 2>/dev/null && pwd || echo /root)}"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../bench/geth-peer" && pwd)"
cache="${RLPX_GETH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rlpx}"
if ! command -v go >/dev/null 2>&1; then
  for d in /usr/local/go/bin "$HOME/go/bin"; do [ -x "$d/go" ] && PATH="$d:$PATH"; done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-geth-peer: no Go toolchain on PATH; install Go >= 1.24 to build bench/geth-peer" >&2
  exit 3
fi
key="$( (cd "$src" && cat go.mod go.sum $(ls *.go | LC_ALL=C sort); go version) | sha256sum | cut -c1-16)"
bin="$cache/geth-peer-$key/geth-peer"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$(dirname "$bin")"
start=$(date +%s)
echo "build-geth-peer: building $src with $(go version) into $bin" >&2
(cd "$src" && GOFLAGS="${GOFLAGS:-} -trimpath" go build -o "$bin.tmp" . >&2)
mv "$bin.tmp" "$bin"
echo "build-geth-peer: done in $(( $(date +%s) - start ))s" >&2
echo "$bin"
