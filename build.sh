#!/usr/bin/env bash
# The one build of zaccel:
#   1. toolchain check (emcc, gcc; Debian's emscripten is installed when missing and we are root)
#   2. zlib 1.3.1's source, fetched from a pinned npm tarball and verified file by file
#   3. emcc: zlib + our glue -> wasm/build/zlib.wasm (standalone, imports a shared memory)
#   4. gcc:  the native reference wasm/build/zref, from the same source
#   5. asc:  the DFLTCC emulator -> asm/build/dfltcc.wasm (when asm/ has sources)
#   6. tsc:  the TypeScript host -> dist/
# Every step is skipped when its inputs have not changed since the last build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
root=$PWD

# --- pinned inputs ---------------------------------------------------------
readonly ZLIB_PACKAGE="zlib-sync@0.1.10"
readonly ZLIB_PACKAGE_INTEGRITY="sha512-t7/pYg5tLBznL1RuhmbAt8rNp5tbhr+TSrJFnMkRtrGIaPJZ6Dc0uR4u3OoQI2d6cGlVI62E3Gy6gwkxyIqr/w=="
readonly ZLIB_DIR_IN_PACKAGE="package/deps/zlib"
readonly ZLIB_SOURCES=(adler32.c crc32.c deflate.c inflate.c inftrees.c inffast.c trees.c zutil.c)
readonly EMSCRIPTEN_EXPECTED="3.1.6"

# Flags the build depends on: the module's contract with the host. Do not override.
readonly EMCC_CONTRACT_FLAGS=(
  -DZ_SOLO                      # no allocator in zlib: our arenas provide zalloc/zfree
  -matomics -mbulk-memory       # required for a shared memory
  -sSTANDALONE_WASM --no-entry  # no JS glue: the host instantiates the module itself
  -sIMPORTED_MEMORY             # env.memory, the Machine's shared memory
  -Wl,--shared-memory
  -sINITIAL_MEMORY=1MB          # the smallest memory the module accepts
  -sMAXIMUM_MEMORY=2GB          # the largest the host may give it
  -sALLOW_MEMORY_GROWTH         # the host grows the memory; views are rebuilt on growth
  -sTOTAL_STACK=16KB            # unused: every instance gets its own stack from the Machine
  "-sEXPORTED_FUNCTIONS=@wasm/exports.txt"
)
# Flags a packager may change.
# -DUNALIGNED_OK: zlib's own switch (deflate.c, longest_match) to compare match starts and ends two bytes at a time;
# WebAssembly loads need no alignment. The output is the same (test/zlib/byte-identity); measured 5-10% faster
# deflate at levels 6 and 9 on the mixed corpus, against native in the same run (tools/bench one-shot suite).
EMCC_OPT_FLAGS=(${ZACCEL_EMCC_OPT_FLAGS:--O3 -msimd128 -DUNALIGNED_OK})
NATIVE_OPT_FLAGS=(${ZACCEL_NATIVE_OPT_FLAGS:--O3})

build_dir="$root/wasm/build"
src_dir="$build_dir/zlib-1.3.1"
mkdir -p "$build_dir"

log() { printf '\033[1mbuild:\033[0m %s\n' "$*"; }
fail() { printf 'build: error: %s\n' "$*" >&2; exit 1; }

# An input fingerprint per step: a step runs only when its fingerprint changed.
fingerprint() { cat "$@" | sha256sum | cut -d' ' -f1; }
up_to_date() { [[ -f "$1" && -f "$1.stamp" && "$(cat "$1.stamp")" == "$2" ]]; }
mark_built() { printf '%s' "$2" >"$1.stamp"; }
# The first line of a command's output. The whole output is captured before it is cut: piping into `head -n1`
# closes the pipe early, and under pipefail the writer (emcc is Python) can die of a broken pipe, depending on timing.
first_line() {
  local text
  text=$("$@") || return
  printf '%s\n' "${text%%$'\n'*}"
}

# --- 1. toolchain ----------------------------------------------------------
is_debian_root() { [[ $(id -u) -eq 0 && -f /etc/debian_version ]] && command -v apt-get >/dev/null; }
apt_updated=0
apt_install() {
  if ((apt_updated == 0)); then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
need_tool() { # tool, Debian package
  command -v "$1" >/dev/null && return 0
  if is_debian_root; then
    log "$1 is missing: installing Debian's $2 package"
    apt_install "$2"
  else
    fail "$1 is missing. Install it (Debian/Ubuntu: sudo apt-get install $2; elsewhere see https://emscripten.org/docs/getting_started/downloads.html for emcc) and run npm run build again."
  fi
}
need_tool emcc emscripten
need_tool gcc gcc
emcc_banner=$(first_line emcc --version)
gcc_banner=$(first_line gcc --version)
emcc_version=$(sed -E 's/.* ([0-9]+\.[0-9]+\.[0-9]+).*/\1/' <<<"$emcc_banner")
[[ "$emcc_version" == "$EMSCRIPTEN_EXPECTED" ]] ||
  log "note: emcc $emcc_version found; zaccel is tested with $EMSCRIPTEN_EXPECTED (Debian bookworm)"
log "toolchain: emcc $emcc_version, $gcc_banner, node $(node --version), asc $(npx --no-install asc --version 2>/dev/null || echo missing), tsc $(npx --no-install tsc --version 2>/dev/null | sed 's/Version //' || echo missing)"

# --- 2. zlib source --------------------------------------------------------
verify_sources() {
  (cd "$src_dir" && sha256sum --quiet -c "$root/wasm/zlib-1.3.1.sha256") ||
    fail "zlib source in $src_dir does not match wasm/zlib-1.3.1.sha256: refusing to build from unverified source"
}
if [[ -f "$src_dir/.verified" ]] && verify_sources 2>/dev/null; then
  log "zlib 1.3.1 source: verified (cached)"
else
  rm -rf "$src_dir" "$build_dir/fetch"
  mkdir -p "$build_dir/fetch"
  log "fetching zlib 1.3.1 source: npm pack $ZLIB_PACKAGE"
  pack_json=$(cd "$build_dir/fetch" && npm pack "$ZLIB_PACKAGE" --json --silent)
  tarball="$build_dir/fetch/$(node -e 'process.stdout.write(JSON.parse(process.argv[1])[0].filename)' "$pack_json")"
  integrity=$(node -e '
    const { createHash } = require("node:crypto");
    const data = require("node:fs").readFileSync(process.argv[1]);
    process.stdout.write("sha512-" + createHash("sha512").update(data).digest("base64"));' "$tarball")
  [[ "$integrity" == "$ZLIB_PACKAGE_INTEGRITY" ]] ||
    fail "$ZLIB_PACKAGE tarball integrity mismatch: expected $ZLIB_PACKAGE_INTEGRITY, got $integrity"
  tar -xzf "$tarball" -C "$build_dir/fetch" "$ZLIB_DIR_IN_PACKAGE"
  mv "$build_dir/fetch/$ZLIB_DIR_IN_PACKAGE" "$src_dir"
  rm -rf "$build_dir/fetch"
  verify_sources
  touch "$src_dir/.verified"
  log "zlib 1.3.1 source: tarball integrity and $(wc -l <"$root/wasm/zlib-1.3.1.sha256") file hashes verified"
fi
# The project's copy of the hash list must agree with the shared one, when it is beside us.
if [[ -f "$root/../shared/zlib-1.3.1.sha256" ]]; then
  cmp -s "$root/../shared/zlib-1.3.1.sha256" "$root/wasm/zlib-1.3.1.sha256" ||
    fail "wasm/zlib-1.3.1.sha256 differs from ../shared/zlib-1.3.1.sha256"
fi

# --- 3. zlib -> WebAssembly ------------------------------------------------
zlib_wasm="$build_dir/zlib.wasm"
zlib_inputs=$(
  {
    fingerprint "$root/wasm/zaccel_glue.c" "$root/wasm/exports.txt" "${ZLIB_SOURCES[@]/#/$src_dir/}"
    echo "$emcc_version ${EMCC_CONTRACT_FLAGS[*]} ${EMCC_OPT_FLAGS[*]}"
  } | sha256sum | cut -d' ' -f1
)
if up_to_date "$zlib_wasm" "$zlib_inputs"; then
  log "zlib.wasm: up to date"
else
  log "emcc: zlib 1.3.1 + glue -> wasm/build/zlib.wasm"
  emcc "${EMCC_OPT_FLAGS[@]}" "${EMCC_CONTRACT_FLAGS[@]}" -I"$src_dir" \
    "${ZLIB_SOURCES[@]/#/$src_dir/}" "$root/wasm/zaccel_glue.c" -o "$zlib_wasm"
  mark_built "$zlib_wasm" "$zlib_inputs"
fi

# --- 4. native reference ---------------------------------------------------
zref="$build_dir/zref"
zref_inputs=$(
  {
    fingerprint "$root/wasm/native/zref.c" "${ZLIB_SOURCES[@]/#/$src_dir/}"
    echo "$gcc_banner ${NATIVE_OPT_FLAGS[*]}"
  } | sha256sum | cut -d' ' -f1
)
if up_to_date "$zref" "$zref_inputs"; then
  log "zref (native reference): up to date"
else
  log "gcc: zlib 1.3.1 + zref -> wasm/build/zref"
  gcc "${NATIVE_OPT_FLAGS[@]}" -I"$src_dir" "${ZLIB_SOURCES[@]/#/$src_dir/}" "$root/wasm/native/zref.c" -o "$zref"
  mark_built "$zref" "$zref_inputs"
fi

# --- 5. the DFLTCC emulator ------------------------------------------------
dfltcc_wasm="$root/asm/build/dfltcc.wasm"
if compgen -G "$root/asm/src/*.ts" >/dev/null; then
  asm_inputs=$(
    {
      fingerprint "$root"/asm/src/*.ts "$root/asm/asconfig.json"
      npx --no-install asc --version
    } | sha256sum | cut -d' ' -f1
  )
  if up_to_date "$dfltcc_wasm" "$asm_inputs"; then
    log "dfltcc.wasm: up to date"
  else
    log "asc: asm/src -> asm/build/dfltcc.wasm"
    mkdir -p "$root/asm/build"
    npx --no-install asc asm/src/index.ts --config asm/asconfig.json --target release
    mark_built "$dfltcc_wasm" "$asm_inputs"
  fi
fi

# --- 6. TypeScript ---------------------------------------------------------
log "tsc: src/ server/ tools/ -> dist/"
npx --no-install tsc -p tsconfig.json
chmod +x dist/tools/cli/main.js

# --- report ----------------------------------------------------------------
for artifact in "$zlib_wasm" "$zref" "$dfltcc_wasm"; do
  [[ -f "$artifact" ]] || continue
  printf 'build: artifact %-28s %9d bytes  sha256 %s\n' "${artifact#"$root"/}" \
    "$(stat -c %s "$artifact")" "$(sha256sum "$artifact" | cut -d' ' -f1)"
done
