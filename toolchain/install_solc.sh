#!/usr/bin/env bash
# Install the solc-js facade where py-solc-x looks for compilers: $SOLCX_BINARY_PATH, else this
# checkout's .solcx/ (never the home directory: two clones on one machine must not share a compiler;
# the Makefile exports SOLCX_BINARY_PATH=<checkout>/.solcx for every tool it runs).
# The version comes from the installed npm package `solc` (pinned in package.json), so the
# executable's name can never disagree with the compiler behind it. Idempotent.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
node_bin="$(command -v node)" || { echo "install_solc: node is not on PATH" >&2; exit 1; }
version="$("$node_bin" -p "require('$repo/node_modules/solc/package.json').version")"
dest="${SOLCX_BINARY_PATH:-$repo/.solcx}"
target="$dest/solc-v$version"
mkdir -p "$dest"
script="#!/bin/sh
# Written by protocol_model's toolchain/install_solc.sh: solc $version from solc-js.
exec \"$node_bin\" \"$repo/toolchain/solc_facade.cjs\" --expect-version $version \"\$@\"
"
if [ ! -f "$target" ] || [ "$(cat "$target")" != "$script" ]; then
  printf '%s' "$script" > "$target.tmp"
  chmod +x "$target.tmp"
  mv "$target.tmp" "$target"
  echo "install_solc: $target -> solc-js $version"
fi
"$target" --version >/dev/null
