#!/usr/bin/env bash
# Checks that src/scripting/lua.wasm is what tools/lua_wasm/build.sh makes from Debian's
# Lua 5.1 and lua-cjson sources: installs the toolchain and the sources' deb-src line
# when missing, rebuilds into a temporary file, and compares byte for byte.
# Prints "lua.wasm: 1 passed, 0 failed" (or 0 passed, 1 failed).
set -uo pipefail
cd "$(dirname "$0")/.."

fail() { echo "lua.wasm: $1"; echo "lua.wasm: 0 passed, 1 failed"; exit 1; }

export DEBIAN_FRONTEND=noninteractive
if ! command -v clang-14 >/dev/null || ! command -v wasm-ld-14 >/dev/null \
  || [ ! -f /usr/lib/wasm32-wasi/libc.a ] || ! command -v dpkg-source >/dev/null; then
  echo "--- installing clang-14, lld-14, wasi-libc and the wasm32 runtime with apt"
  (apt-get update -qq && apt-get install -y -qq clang-14 lld-14 wasi-libc \
    libclang-rt-14-dev-wasm32 dpkg-dev) >/dev/null || fail "could not install the toolchain"
fi
# apt-get source needs a deb-src line for the mirror the machine already uses.
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  src=/etc/apt/sources.list.d/debian.sources
  [ -f "$src" ] || fail "no $src to derive a deb-src entry from"
  sed 's/^Types: deb$/Types: deb-src/' "$src" > /etc/apt/sources.list.d/redeno-deb-src.sources
  apt-get update -qq >/dev/null || fail "apt-get update failed"
fi

built=$(mktemp /tmp/lua.XXXXXX.wasm)
trap 'rm -f "$built" "${built%.wasm}.LICENSES.txt"' EXIT
tools/lua_wasm/build.sh --out "$built" || fail "the build failed"
if cmp -s "$built" src/scripting/lua.wasm; then
  echo "lua.wasm: the committed module matches tools/lua_wasm/build.sh"
  echo "lua.wasm: 1 passed, 0 failed"
  exit 0
fi
fail "src/scripting/lua.wasm differs from what tools/lua_wasm/build.sh builds"
