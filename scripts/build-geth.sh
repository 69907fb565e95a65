#!/usr/bin/env bash
# Builds go-ethereum's geth and devp2p commands once, into a cache outside the repository,
# and prints the directory that holds them. Reused when the binaries are already there.
set -euo pipefail
export HOME="${HOME:-$(cd ~ 2>/dev/null && pwd || echo /root)}"
version="${GETH_VERSION:-v1.17.5}"
cache="${RLPX_GETH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rlpx}"
bin="$cache/geth-$version/bin"
if [ -x "$bin/geth" ] && [ -x "$bin/devp2p" ]; then
  echo "$bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  for d in /usr/local/go/bin "$HOME/go/bin"; do [ -x "$d/go" ] && PATH="$d:$PATH"; done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-geth: no Go toolchain on PATH; install Go >= 1.24 to build geth $version" >&2
  exit 3
fi
mkdir -p "$bin"
start=$(date +%s)
echo "build-geth: building geth and devp2p $version with $(go version) into $bin" >&2
GOBIN="$bin" GOFLAGS="${GOFLAGS:-} -trimpath" go install \
  "github.com/ethereum/go-ethereum/cmd/geth@$version" \
  "github.com/ethereum/go-ethereum/cmd/devp2p@$version" >&2
echo "build-geth: done in $(( $(date +%s) - start ))s" >&2
echo "$bin"
