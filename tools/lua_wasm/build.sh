#!/usr/bin/env bash
# Builds src/scripting/lua.wasm: Lua 5.1.5 and lua-cjson (Debian's sources), our
# patches (tools/lua_wasm/patches) and our C (tools/lua_wasm/c), compiled by clang-14
# to WebAssembly, with setjmp/longjmp on wasm exception handling (so JSPI can suspend
# a running script).
#
# Usage: tools/lua_wasm/build.sh [--src DIR] [--out FILE]
#   --src DIR  a folder holding lua5.1-5.1.5/ and lua-cjson-2.1.0+dfsg/ as
#              `apt-get source lua5.1 lua-cjson` unpacks them (default: fetch them
#              into a temporary folder; needs a deb-src line in the apt sources)
#   --out FILE where to write the module (default: src/scripting/lua.wasm)
# Needs: clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 (Debian packages).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
src=""
out="$root/src/scripting/lua.wasm"
while [ $# -gt 0 ]; do
  case "$1" in
    --src) src="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -z "$src" ]; then
  src="$work/sources"
  mkdir -p "$src"
  (cd "$src" && apt-get source -qq lua5.1 lua-cjson >/dev/null 2>&1)
fi
lua_dir="$(ls -d "$src"/lua5.1-5.1.5 | head -1)"
cjson_dir="$(ls -d "$src"/lua-cjson-2.1.0* | grep -v '\.' | head -1 || true)"
[ -n "$cjson_dir" ] || cjson_dir="$(ls -d "$src"/lua-cjson-2.1.0*/ | head -1)"

# Fresh copies, with our patches on top of Debian's.
cp -r "$lua_dir" "$work/lua"
cp -r "${cjson_dir%/}" "$work/cjson"
shopt -s nullglob
for p in "$here"/patches/lua-*.patch; do patch -s -d "$work/lua" -p1 < "$p"; done
for p in "$here"/patches/cjson-*.patch; do patch -s -d "$work/cjson" -p1 < "$p"; done

CC="clang-14"
CFLAGS=(
  --target=wasm32-wasi -O2 -std=gnu99
  -mllvm -wasm-enable-sjlj -mexception-handling -mnontrapping-fptoint -mbulk-memory
  -ftls-model=local-exec
  -isystem "$here/c/include" -I "$work/lua/src" -I "$here/c"
  -ffile-prefix-map="$work"=. -ffile-prefix-map="$here"=.
  -Wno-deprecated-declarations
)

lua_core=(lapi lcode ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser lstate
  lstring ltable ltm lundump lvm lzio lauxlib lbaselib ltablib lstrlib lmathlib ldblib)
objects=()
for name in "${lua_core[@]}"; do
  "$CC" "${CFLAGS[@]}" -c "$work/lua/src/$name.c" -o "$work/$name.o"
  objects+=("$work/$name.o")
done
for name in lua_cjson strbuf fpconv; do
  "$CC" "${CFLAGS[@]}" -I "$work/cjson" -c "$work/cjson/$name.c" -o "$work/cjson_$name.o"
  objects+=("$work/cjson_$name.o")
done
for file in "$here"/c/*.c; do
  name="$(basename "$file" .c)"
  "$CC" "${CFLAGS[@]}" -c "$file" -o "$work/own_$name.o"
  objects+=("$work/own_$name.o")
done

mkdir -p "$(dirname "$out")"
wasm-ld-14 --no-entry --strip-all --gc-sections \
  -z stack-size=1048576 --initial-memory=4194304 --max-memory=2147483648 \
  --export-if-defined=malloc --export-if-defined=free \
  /usr/lib/wasm32-wasi/crt1-reactor.o "${objects[@]}" \
  -L/usr/lib/wasm32-wasi -lc -lm \
  "$(clang-14 --target=wasm32-wasi -print-libgcc-file-name)" \
  -o "$out"
# The upstream licence notices travel with the module.
{
  echo "lua.wasm holds code from these projects, under these licences."
  echo
  echo "== Lua 5.1.5 (https://www.lua.org), from Debian's lua5.1 source package =="
  echo
  sed -n '/Copyright/,$p' "$work/lua/COPYRIGHT"
  echo
  echo "== lua-cjson 2.1.0, from Debian's lua-cjson source package =="
  echo
  cat "$work/cjson/LICENSE"
  echo
  echo "== Redeno's own C (tools/lua_wasm/c) and patches: the licence of Redeno =="
} > "${out%.wasm}.LICENSES.txt"
echo "wrote $out ($(stat -c %s "$out") bytes) and ${out%.wasm}.LICENSES.txt"
