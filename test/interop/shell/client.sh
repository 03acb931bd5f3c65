#!/usr/bin/env bash
# zaccel service interop client: the shell, with curl, gzip and cmp (plus bash 4.4+ and coreutils:
# mktemp, head, tail, od, cat, cp, wc, tr, cut).
#
# Usage: bash client.sh [BASE_URL]   (default: $ZACCEL_URL, else http://127.0.0.1:8080)
#
# Checks, one line each ("ok NAME" or "FAIL NAME: why"), then exactly "N passed, M failed"; the exit
# status is 1 when any check failed.
#
# gzip only reads the gzip format, so the other two are brought to it:
#   raw    a raw DEFLATE stream D is checked as the gzip member  header + D + trailer, the trailer
#          (CRC-32 and length) taken from `gzip -c` of the expected bytes: gzip inflates D and checks
#          the CRC-32 and the length, cmp compares the bytes.
#   zlib   the 2-byte header is checked (CM 8, FCHECK, no FDICT), the DEFLATE data between it and the
#          Adler-32 is checked as raw, and the Adler-32 is compared with one computed here in bash.
#   gzip   `gzip -dc`, which also refuses trailing garbage (exit 2) here.
#
#   deflate  /v1/deflate on both engines, raw/zlib/gzip, levels 1/6/9, every corpus kind, decoded as
#            above; the x-zaccel-* headers, and the counts (headers, or the HTTP trailers that curl -D
#            records), must match.
#   oracle   engine=dfltcc at level 1 differs from engine=zlib (the z15 shape), at levels 6/9 equals it.
#   inflate  `gzip -c -n -L` output inflated by /v1/inflate on both engines (for raw and zlib, gzip's
#            DEFLATE data rewrapped, with an Adler-32 computed here).
#   stream   a deflate stream fed 4 KiB pages with flush=sync: after every write, the answers so far
#            plus a final empty stored block (01 00 00 ff ff: valid only if the data ends at a sync
#            point) must gunzip to exactly the bytes sent so far. An inflate stream fed hand-made
#            sync-flushed data (one stored block per page, the shape zlib gives at level 0) must answer
#            every write with exactly that page; another is fed gzip's Huffman-coded output in 32 KiB
#            pieces (gzip cannot sync-flush, so only the whole is compared).
#   error    malformed input (400 + ZACCEL_* code), over-limit output (413), unknown or deleted
#            stream (404), a failed stream (409).
#
# The corpus is generated here from xorshift32 (x ^= x << 13; x ^= x >> 17; x ^= x << 5, mod 2^32 in
# bash's 64-bit arithmetic); test/interop/README.md defines it, and every client in test/interop
# builds the same bytes.
set -euo pipefail
shopt -s inherit_errexit
export LC_ALL=C

BASE=${1:-${ZACCEL_URL:-http://127.0.0.1:8080}}
BASE=${BASE%/}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/zaccel-interop-shell.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ENGINES=(zlib dfltcc)
FORMATS=(raw zlib gzip)
LEVELS=(1 6 9)
KINDS=(empty zeros text random binary large)
STREAM_PAGES=32
D=$WORK/data
mkdir -p "$D"

# ---------------------------------------------------------------- corpus

# le32 V...: each value as 4 bytes, little-endian.
le32() {
  local v fmt='' out
  local -a bytes=()
  for v in "$@"; do
    bytes+=($((v & 255)) $((v >> 8 & 255)) $((v >> 16 & 255)) $((v >> 24 & 255)))
    fmt+='\\x%02x\\x%02x\\x%02x\\x%02x'
  done
  printf -v out "$fmt" "${bytes[@]}"
  printf '%b' "$out"
}

# XS: the xorshift32 state; next_x advances it.
XS=0
next_x() {
  XS=$((XS ^ ((XS << 13) & 0xffffffff)))
  XS=$((XS ^ (XS >> 17)))
  XS=$((XS ^ ((XS << 5) & 0xffffffff)))
}

make_random() { # SIZE SEED (SIZE a multiple of 1024)
  local size=$1 i j
  local -a chunk
  XS=$2
  for ((i = 0; i < size; i += 1024)); do
    chunk=()
    for ((j = 0; j < 256; j++)); do next_x; chunk+=("$XS"); done
    le32 "${chunk[@]}"
  done
}

WORDS=(the zaccel deflate inflate stream page block huffman window accelerator z15 level sync flush channel migration)
make_text() { # SIZE SEED
  local size=$1 n=0 word
  local -a parts=()
  XS=$2
  while ((n < size)); do
    next_x
    word=${WORDS[XS & 15]}
    if (((XS >> 4) & 7)); then parts+=("$word "); else parts+=("$word"$'\n'); fi
    n=$((n + ${#word} + 1))
  done
  printf '%s' "${parts[@]}" >"$WORK/words"
  head -c "$size" "$WORK/words"
}

make_binary() { # RECORDS SEED: u32le i, u32le x, u32le i*2654435761, u32le 0
  local records=$1 i
  local -a chunk=()
  XS=$2
  for ((i = 0; i < records; i++)); do
    next_x
    chunk+=("$i" "$XS" $(((i * 2654435761) & 0xffffffff)) 0)
    if ((${#chunk[@]} == 256)); then le32 "${chunk[@]}"; chunk=(); fi
  done
  if ((${#chunk[@]})); then le32 "${chunk[@]}"; fi
}

: >"$D/empty"
head -c $((256 * 1024)) /dev/zero >"$D/zeros"
make_text $((128 * 1024)) $((0x9E3779B9)) >"$D/text"
make_random $((64 * 1024)) $((0x2545F491)) >"$D/random"
make_binary 4096 $((0x01234567)) >"$D/binary"
SOURCES=(zeros text random binary)
# page P: 4 KiB of SOURCES[P % 4] at offset (P * 4096) mod its length. page(P + 32) = page(P).
for ((p = 0; p < 32; p++)); do
  src=$D/${SOURCES[p % 4]}
  size=$(wc -c <"$src")
  head -c $(((p * 4096) % size + 4096)) "$src" | tail -c 4096 >"$D/page.$p"
done
for ((r = 0; r < 24; r++)); do for ((p = 0; p < 32; p++)); do cat "$D/page.$p"; done; done >"$D/large" # 3 MiB

# ---------------------------------------------------------------- checks, HTTP, codecs

passed=0
failed=0
check() { # NAME COMMAND...: runs the command in a subshell with set -e; its last output line is the reason
  local name=$1 status
  shift
  set +e
  (set -e; "$@") >"$WORK/check.log" 2>&1
  status=$?
  set -e
  if ((status == 0)); then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    reason=$(tail -n 1 "$WORK/check.log" | tr -c '[:print:]' '.')
    echo "FAIL $name: ${reason:0:400}"
  fi
}

die() { echo "$*" >&2; exit 1; }

# http METHOD PATH BODYFILE|- OUT [CONTENT-TYPE]: the answer in OUT, its headers and trailers in
# OUT.h; prints the status.
http() {
  local method=$1 path=$2 body=$3 out=$4 type=${5:-application/octet-stream}
  local -a args=(-sS --max-time 120 -X "$method" -D "$out.h" -o "$out" -w '%{http_code}')
  if [[ $body != - ]]; then args+=(--data-binary "@$body" -H "content-type: $type"); fi
  curl "${args[@]}" "$BASE$path" || echo " curl failed"
}

# header NAME FILE.h: the value of a header or trailer ('' when absent).
header() {
  local line
  while IFS= read -r line; do
    line=${line%$'\r'}
    if [[ ${line,,} == "$1:"* ]]; then printf '%s' "${line#*: }"; return 0; fi
  done <"$2"
}

ok200() { # STATUS OUT
  [[ $1 == 200 ]] || die "HTTP $1 $(head -c 200 "$2")"
}

same() { # GOT WANT WHAT
  cmp -s "$1" "$2" || die "$3 differs: $(wc -c <"$1") bytes, expected $(wc -c <"$2") ($(cmp "$1" "$2" 2>&1 || true))"
}

size() { echo $(($(wc -c <"$1"))); }

GZIP_HEADER='\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff' # no flags, no mtime, OS unknown

# the gzip trailer (CRC-32, ISIZE) of FILE's bytes, by gzip itself (cached in FILE.trailer)
gzip_trailer() {
  if [[ ! -e $1.trailer ]]; then gzip -c -n -1 <"$1" | tail -c 8 >"$1.trailer"; fi
  cat "$1.trailer"
}

# adler32 FILE: 8 hex digits, computed in bash (64 bytes a line: a += sum v, b += 64 a + sum (64-k) v_k),
# cached in FILE.adler
adler32() {
  if [[ -e $1.adler ]]; then cat "$1.adler"; return; fi
  local a=1 b=0 k s1=0 s2=0 x
  local -a v
  for ((k = 0; k < 64; k++)); do s1+="+v[$k]"; s2+="+$((64 - k))*v[$k]"; done
  od -An -v -w64 -tu1 "$1" >"$1.od"
  while read -r -a v; do
    if ((${#v[@]} == 64)); then
      b=$(((b + 64 * a + s2) % 65521))
      a=$(((a + s1) % 65521))
    else
      for x in "${v[@]}"; do a=$(((a + x) % 65521)); b=$(((b + a) % 65521)); done
    fi
  done <"$1.od"
  rm -f "$1.od"
  printf '%08x' $(((b << 16) | a)) >"$1.adler"
  cat "$1.adler"
}
# What a stream has been sent after page P: prefix.P, with its trailer, for every stream check.
: >"$WORK/prefix"
for ((p = 0; p < STREAM_PAGES; p++)); do
  cat "$D/page.$p" >>"$WORK/prefix"
  cp "$WORK/prefix" "$D/prefix.$p"
  gzip_trailer "$D/prefix.$p" >/dev/null
done
for kind in "${KINDS[@]}"; do
  adler32 "$D/$kind" >/dev/null
  gzip_trailer "$D/$kind" >/dev/null
done

hex_bytes() { od -An -v -tx1 "$@" | tr -d ' \n'; }

# check_raw RAW PLAIN: RAW is one complete raw DEFLATE stream that inflates to exactly PLAIN
check_raw() {
  { printf '%b' "$GZIP_HEADER"; cat "$1"; gzip_trailer "$2"; } >"$1.gz"
  gzip -dc <"$1.gz" >"$1.out" || die "gzip could not inflate the DEFLATE data (or its CRC-32/length is wrong)"
  same "$1.out" "$2" "decoded output"
}

# decode_check FORMAT COMPRESSED PLAIN [ADLER]: the whole stream decodes to PLAIN and ends exactly
decode_check() {
  local format=$1 file=$2 plain=$3 adler=${4:-} n
  case $format in
  gzip)
    gzip -dc <"$file" >"$file.out" || die "gzip -dc failed"
    same "$file.out" "$plain" "decoded output"
    ;;
  raw) check_raw "$file" "$plain" ;;
  zlib)
    n=$(size "$file")
    ((n >= 6)) || die "$n bytes is too short for a zlib stream"
    local head
    head=$(head -c 2 "$file" | hex_bytes)
    (((0x${head:0:2} & 15) == 8 && (0x$head % 31) == 0 && (0x${head:2:2} & 0x20) == 0)) || die "bad zlib header $head"
    head -c $((n - 4)) "$file" | tail -c +3 >"$file.raw"
    check_raw "$file.raw" "$plain"
    [[ -n $adler ]] || adler=$(adler32 "$plain")
    [[ $(tail -c 4 "$file" | hex_bytes) == "$adler" ]] || die "Adler-32 $(tail -c 4 "$file" | hex_bytes), expected $adler"
    ;;
  esac
}

# own_deflate PLAIN FORMAT LEVEL OUT: gzip's output, rewrapped for raw and zlib
own_deflate() {
  local plain=$1 format=$2 level=$3 out=$4 n
  gzip -c -n "-$level" <"$plain" >"$out.gz"
  n=$(size "$out.gz")
  case $format in
  gzip) cp "$out.gz" "$out" ;;
  raw) head -c $((n - 8)) "$out.gz" | tail -c +11 >"$out" ;;
  zlib)
    local adler
    adler=$(adler32 "$plain")
    { printf '\x78\x9c'; head -c $((n - 8)) "$out.gz" | tail -c +11; printf '%b' "\\x${adler:0:2}\\x${adler:2:2}\\x${adler:4:2}\\x${adler:6:2}"; } >"$out"
    ;;
  esac
}

counts() { # OUT.h ENGINE IN OUT: engine header, and the counts where present (headers or trailers)
  local got
  [[ $(header x-zaccel-engine "$1") == "$2" ]] || die "x-zaccel-engine '$(header x-zaccel-engine "$1")'"
  got=$(header x-zaccel-bytes-in "$1")
  [[ $got == "$3" ]] || die "x-zaccel-bytes-in '$got', sent $3"
  got=$(header x-zaccel-bytes-out "$1")
  [[ $got == "$4" ]] || die "x-zaccel-bytes-out '$got', got $4"
}

json_field() { # NAME FILE: a string or number field of a flat JSON answer
  local body
  body=$(cat "$2")
  if [[ $body =~ \"$1\":\"([^\"]*)\" ]] || [[ $body =~ \"$1\":([0-9]+) ]]; then printf '%s' "${BASH_REMATCH[1]}"; fi
}

curl_version=$(curl --version)
gzip_version=$(gzip --version)
echo "# bash $BASH_VERSION, $(cut -d ' ' -f 1-2 <<<"${curl_version%%$'\n'*}"), ${gzip_version%%$'\n'*}, server $BASE"

# ---------------------------------------------------------------- 1. /v1/deflate, decoded here

deflate_check() { # ENGINE FORMAT LEVEL KIND
  local engine=$1 format=$2 level=$3 kind=$4 out=$WORK/out.$1.$2.$3.$4 status want
  status=$(http POST "/v1/deflate?engine=$engine&format=$format&level=$level" "$D/$kind" "$out")
  ok200 "$status" "$out"
  decode_check "$format" "$out" "$D/$kind"
  [[ $(header x-zaccel-format "$out.h") == "$format" ]] || die "x-zaccel-format '$(header x-zaccel-format "$out.h")'"
  counts "$out.h" "$engine" "$(size "$D/$kind")" "$(size "$out")"
  want=false
  if [[ $engine == dfltcc && $level != 1 ]]; then want=true; fi
  [[ $(header x-zaccel-fallback "$out.h") == "$want" ]] || die "x-zaccel-fallback '$(header x-zaccel-fallback "$out.h")', expected $want"
}

for engine in "${ENGINES[@]}"; do
  for format in "${FORMATS[@]}"; do
    for level in "${LEVELS[@]}"; do
      for kind in "${KINDS[@]}"; do
        check "deflate engine=$engine format=$format level=$level kind=$kind" deflate_check "$engine" "$format" "$level" "$kind"
      done
    done
  done
done

oracle_check() { # FORMAT LEVEL KIND
  local accelerated=$WORK/out.dfltcc.$1.$2.$3 software=$WORK/out.zlib.$1.$2.$3
  [[ -s $accelerated && -s $software ]] || die "no deflate outputs to compare"
  if [[ $2 == 1 ]]; then
    ! cmp -s "$accelerated" "$software" || die "engine=dfltcc level 1 gave software zlib's exact bytes"
  else
    same "$accelerated" "$software" "engine=dfltcc (software fallback) vs engine=zlib"
  fi
}
for format in "${FORMATS[@]}"; do
  for level in "${LEVELS[@]}"; do
    for kind in text binary large; do
      if [[ $level == 1 ]]; then relation='differs from'; else relation=equals; fi
      check "oracle engine=dfltcc format=$format level=$level kind=$kind $relation engine=zlib" oracle_check "$format" "$level" "$kind"
    done
  done
done

# ---------------------------------------------------------------- 2. compressed here, /v1/inflate

inflate_check() { # ENGINE FORMAT LEVEL KIND QUERY-FORMAT
  local engine=$1 format=$2 level=$3 kind=$4 out=$WORK/inflated status
  own_deflate "$D/$kind" "$format" "$level" "$WORK/own"
  status=$(http POST "/v1/inflate?engine=$engine&format=$5" "$WORK/own" "$out")
  ok200 "$status" "$out"
  same "$out" "$D/$kind" "inflated output"
  counts "$out.h" "$engine" "$(size "$WORK/own")" "$(size "$out")"
}
for engine in "${ENGINES[@]}"; do
  for format in "${FORMATS[@]}"; do
    for kind in "${KINDS[@]}"; do
      check "inflate engine=$engine format=$format level=6 kind=$kind" inflate_check "$engine" "$format" 6 "$kind" "$format"
    done
    for level in 1 9; do
      check "inflate engine=$engine format=$format level=$level kind=text" inflate_check "$engine" "$format" "$level" text "$format"
    done
  done
  for format in zlib gzip; do
    check "inflate engine=$engine format=$format as auto kind=binary" inflate_check "$engine" "$format" 6 binary auto
  done
done

# ---------------------------------------------------------------- 3. stateful streams

open_stream() { # JSON: prints the id
  local status
  printf '%s' "$1" >"$WORK/open.json"
  status=$(http POST /v1/streams "$WORK/open.json" "$WORK/opened" application/json)
  [[ $status == 201 ]] || die "open: HTTP $status $(head -c 200 "$WORK/opened")"
  local id
  id=$(json_field id "$WORK/opened")
  [[ -n $id ]] || die "open: no id in $(head -c 200 "$WORK/opened")"
  printf '%s' "$id"
}

stream_write() { # ID BODYFILE FLUSH OUT
  local status
  status=$(http POST "/v1/streams/$1/write?flush=$3" "$2" "$4")
  ok200 "$status" "$4"
  [[ $(header x-zaccel-stream "$4.h") == "$1" ]] || die "x-zaccel-stream '$(header x-zaccel-stream "$4.h")'"
}

finish_stream() { # ID IN OUT
  local status
  status=$(http GET "/v1/streams/$1" - "$WORK/info")
  ok200 "$status" "$WORK/info"
  [[ $(json_field state "$WORK/info") == ended ]] || die "state '$(json_field state "$WORK/info")' after finish"
  [[ $(json_field bytesIn "$WORK/info") == "$2" && $(json_field bytesOut "$WORK/info") == "$3" ]] ||
    die "totals $(cat "$WORK/info"), expected in $2 out $3"
  status=$(http DELETE "/v1/streams/$1" - "$WORK/deleted")
  ok200 "$status" "$WORK/deleted"
}

deflate_stream() { # ENGINE FORMAT LEVEL
  local engine=$1 format=$2 level=$3 id p all=$WORK/stream.all sent
  id=$(open_stream "{\"mode\":\"deflate\",\"engine\":\"$engine\",\"format\":\"$format\",\"level\":$level}")
  : >"$all"
  for ((p = 0; p < STREAM_PAGES; p++)); do
    stream_write "$id" "$D/page.$p" sync "$WORK/part"
    cat "$WORK/part" >>"$all"
    sent=$D/prefix.$p
    # Decodable so far: close the stream with an empty final stored block and gunzip it.
    case $format in
    gzip) { cat "$all"; printf '\x01\x00\x00\xff\xff'; gzip_trailer "$sent"; } >"$WORK/sofar.gz" ;;
    raw) { printf '%b' "$GZIP_HEADER"; cat "$all"; printf '\x01\x00\x00\xff\xff'; gzip_trailer "$sent"; } >"$WORK/sofar.gz" ;;
    zlib) { printf '%b' "$GZIP_HEADER"; tail -c +3 "$all"; printf '\x01\x00\x00\xff\xff'; gzip_trailer "$sent"; } >"$WORK/sofar.gz" ;;
    esac
    gzip -dc <"$WORK/sofar.gz" >"$WORK/sofar" || die "after write $((p + 1)): the answers so far do not inflate to the bytes sent (not at a sync point?)"
    same "$WORK/sofar" "$sent" "after write $((p + 1)), what gzip produced"
  done
  stream_write "$id" "$D/empty" finish "$WORK/part"
  [[ $(header x-zaccel-ended "$WORK/part.h") == true ]] || die "x-zaccel-ended '$(header x-zaccel-ended "$WORK/part.h")' after finish"
  cat "$WORK/part" >>"$all"
  decode_check "$format" "$all" "$sent"
  finish_stream "$id" "$(size "$sent")" "$(size "$all")"
}

# stored_block FILE: a non-final stored block holding FILE (at most 65535 bytes)
stored_block() {
  local n
  n=$(size "$1")
  printf '%b' "\\x00$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((n & 255)) $((n >> 8)) $((~n & 255)) $((~n >> 8 & 255)))"
  cat "$1"
}

inflate_stream() { # ENGINE FORMAT: one stored block per page, each write sync-flushed
  local engine=$1 format=$2 id p in=0 out=0 sent=$D/prefix.$((STREAM_PAGES - 1)) adler
  id=$(open_stream "{\"mode\":\"inflate\",\"engine\":\"$engine\",\"format\":\"$format\"}")
  for ((p = 0; p < STREAM_PAGES; p++)); do
    {
      if ((p == 0)); then
        case $format in gzip) printf '%b' "$GZIP_HEADER" ;; zlib) printf '\x78\x01' ;; esac
      fi
      stored_block "$D/page.$p"
    } >"$WORK/in"
    stream_write "$id" "$WORK/in" sync "$WORK/part"
    in=$((in + $(size "$WORK/in")))
    out=$((out + $(size "$WORK/part")))
    same "$WORK/part" "$D/page.$p" "the answer to write $((p + 1))"
  done
  {
    printf '\x01\x00\x00\xff\xff'
    case $format in
    gzip) gzip_trailer "$sent" ;;
    zlib) adler=$(adler32 "$sent"); printf '%b' "\\x${adler:0:2}\\x${adler:2:2}\\x${adler:4:2}\\x${adler:6:2}" ;;
    esac
  } >"$WORK/in"
  stream_write "$id" "$WORK/in" finish "$WORK/part"
  in=$((in + $(size "$WORK/in")))
  [[ $(size "$WORK/part") == 0 ]] || die "$(size "$WORK/part") bytes answered to the final write"
  [[ $(header x-zaccel-ended "$WORK/part.h") == true ]] || die "x-zaccel-ended '$(header x-zaccel-ended "$WORK/part.h")' after finish"
  finish_stream "$id" "$in" "$out"
}

inflate_stream_gzip_pieces() { # ENGINE: gzip -6 output of the large input in 32 KiB pieces
  local engine=$1 id in=$WORK/large.gz n offset got=$WORK/got
  id=$(open_stream "{\"mode\":\"inflate\",\"engine\":\"$engine\",\"format\":\"gzip\"}")
  gzip -c -n -6 <"$D/large" >"$in"
  n=$(size "$in")
  : >"$got"
  for ((offset = 0; offset < n; offset += 32768)); do
    head -c $((offset + 32768)) "$in" | tail -c +$((offset + 1)) >"$WORK/in"
    if ((offset + 32768 >= n)); then flush=finish; else flush=none; fi
    stream_write "$id" "$WORK/in" "$flush" "$WORK/part"
    cat "$WORK/part" >>"$got"
  done
  [[ $(header x-zaccel-ended "$WORK/part.h") == true ]] || die "x-zaccel-ended '$(header x-zaccel-ended "$WORK/part.h")' after finish"
  same "$got" "$D/large" "the answers put together"
  finish_stream "$id" "$n" "$(size "$got")"
}

for engine in "${ENGINES[@]}"; do
  for format in "${FORMATS[@]}"; do
    check "stream deflate engine=$engine format=$format level=1 pages=$STREAM_PAGES flush=sync" deflate_stream "$engine" "$format" 1
  done
  check "stream deflate engine=$engine format=zlib level=6 pages=$STREAM_PAGES flush=sync" deflate_stream "$engine" zlib 6
  for format in "${FORMATS[@]}"; do
    check "stream inflate engine=$engine format=$format pages=$STREAM_PAGES flush=sync stored blocks" inflate_stream "$engine" "$format"
  done
  check "stream inflate engine=$engine format=gzip kind=large gzip -6 in 32 KiB pieces flush=none" inflate_stream_gzip_pieces "$engine"
done

# ---------------------------------------------------------------- 4. errors

expect_error() { # STATUS-GOT OUT STATUS CODE
  [[ $1 == "$3" ]] || die "HTTP $1 $(head -c 200 "$2"), expected $3"
  local body code
  body=$(cat "$2")
  [[ $body == '{"error":'* ]] || die "not a JSON error answer: ${body:0:200}"
  code=$(json_field code "$2")
  [[ $code == "$4" ]] || die "code '$code', expected $4"
  [[ -n $(json_field message "$2") ]] || die "no message"
}

error_check() { # METHOD PATH BODYFILE|- STATUS CODE [CONTENT-TYPE]
  local status
  status=$(http "$1" "$2" "$3" "$WORK/err" "${6:-application/octet-stream}")
  expect_error "$status" "$WORK/err" "$4" "$5"
}

E=$WORK/errors
mkdir -p "$E"
printf 'this is not zlib data' >"$E/garbage"
own_deflate "$D/text" zlib 6 "$E/good.zz"
own_deflate "$D/text" gzip 6 "$E/good.gz"
flip() { # FILE OFFSET-FROM-END: the file with that byte's low bit flipped
  local n at byte
  n=$(size "$1")
  at=$((n - $2))
  byte=$(od -An -tu1 -j "$at" -N 1 "$1" | tr -d ' ')
  head -c "$at" "$1"
  printf '%b' "$(printf '\\x%02x' $((byte ^ 1)))"
  tail -c +$((at + 2)) "$1"
}
flip "$E/good.zz" 1 >"$E/bad-adler.zz"
flip "$E/good.gz" 8 >"$E/bad-crc.gz"
head -c -100 "$E/good.gz" >"$E/truncated.gz"
{ cat "$E/good.zz"; printf 'tail'; } >"$E/trailing.zz"
head -c $((4 << 20)) /dev/zero | gzip -c -n -9 >"$E/bomb.gz"    # 4 MiB of zeros in a few KiB
head -c $((1 << 20)) /dev/zero | gzip -c -n -9 >"$E/bomb1m.gz"
printf 'data' >"$E/data"
head -c 8192 "$D/random" >"$E/random8k"
printf '{"format":"zlib"}' >"$E/no-mode.json"

failed_stream() { # ENGINE
  local id
  id=$(open_stream "{\"mode\":\"inflate\",\"engine\":\"$1\",\"format\":\"zlib\"}")
  error_check POST "/v1/streams/$id/write?flush=sync" "$E/garbage" 400 ZACCEL_DATA_ERROR
  error_check POST "/v1/streams/$id/write?flush=sync" "$E/good.zz" 409 ZACCEL_STREAM_CLOSED
  http DELETE "/v1/streams/$id" - "$WORK/deleted" >/dev/null
}
stream_limit() { # ENGINE
  local id
  id=$(open_stream "{\"mode\":\"inflate\",\"engine\":\"$1\",\"format\":\"gzip\",\"maxOutput\":65536}")
  error_check POST "/v1/streams/$id/write?flush=sync" "$E/bomb1m.gz" 413 ZACCEL_OUTPUT_LIMIT
  http DELETE "/v1/streams/$id" - "$WORK/deleted" >/dev/null
}
deleted_stream() {
  local id status
  id=$(open_stream '{"mode":"deflate","format":"raw"}')
  status=$(http DELETE "/v1/streams/$id" - "$WORK/deleted")
  ok200 "$status" "$WORK/deleted"
  error_check POST "/v1/streams/$id/write?flush=sync" "$E/data" 404 ZACCEL_NOT_FOUND
}

for engine in "${ENGINES[@]}"; do
  q="engine=$engine"
  check "error engine=$engine inflate garbage -> 400 ZACCEL_DATA_ERROR" error_check POST "/v1/inflate?$q&format=zlib" "$E/garbage" 400 ZACCEL_DATA_ERROR
  check "error engine=$engine inflate bad adler32 -> 400 ZACCEL_DATA_ERROR" error_check POST "/v1/inflate?$q&format=zlib" "$E/bad-adler.zz" 400 ZACCEL_DATA_ERROR
  check "error engine=$engine inflate bad gzip crc -> 400 ZACCEL_DATA_ERROR" error_check POST "/v1/inflate?$q&format=gzip" "$E/bad-crc.gz" 400 ZACCEL_DATA_ERROR
  check "error engine=$engine inflate truncated gzip -> 400 ZACCEL_TRUNCATED" error_check POST "/v1/inflate?$q&format=gzip" "$E/truncated.gz" 400 ZACCEL_TRUNCATED
  check "error engine=$engine inflate trailing bytes -> 400 ZACCEL_TRAILING_DATA" error_check POST "/v1/inflate?$q&format=zlib" "$E/trailing.zz" 400 ZACCEL_TRAILING_DATA
  check "error engine=$engine inflate bomb maxOutput=65536 -> 413 ZACCEL_OUTPUT_LIMIT" error_check POST "/v1/inflate?$q&format=gzip&maxOutput=65536" "$E/bomb.gz" 413 ZACCEL_OUTPUT_LIMIT
  # A small body: the server reads it whole before it answers (see README.md, "early answers").
  check "error engine=$engine deflate 8 KiB random maxOutput=1024 -> 413 ZACCEL_OUTPUT_LIMIT" error_check POST "/v1/deflate?$q&level=1&maxOutput=1024" "$E/random8k" 413 ZACCEL_OUTPUT_LIMIT
  check "error engine=$engine deflate level=42 -> 400 ZACCEL_BAD_OPTION" error_check POST "/v1/deflate?$q&level=42" "$D/text" 400 ZACCEL_BAD_OPTION
  check "error engine=$engine stream fed garbage -> 400, then 409 ZACCEL_STREAM_CLOSED" failed_stream "$engine"
  check "error engine=$engine stream inflate over maxOutput -> 413 ZACCEL_OUTPUT_LIMIT" stream_limit "$engine"
done
UNKNOWN=/v1/streams/00000000-0000-4000-8000-000000000000
check "error unknown stream write -> 404 ZACCEL_NOT_FOUND" error_check POST "$UNKNOWN/write?flush=sync" "$E/data" 404 ZACCEL_NOT_FOUND
check "error unknown stream GET -> 404 ZACCEL_NOT_FOUND" error_check GET "$UNKNOWN" - 404 ZACCEL_NOT_FOUND
check "error unknown stream DELETE -> 404 ZACCEL_NOT_FOUND" error_check DELETE "$UNKNOWN" - 404 ZACCEL_NOT_FOUND
check "error deleted stream write -> 404 ZACCEL_NOT_FOUND" deleted_stream
check "error unknown engine -> 400 ZACCEL_BAD_OPTION" error_check POST "/v1/deflate?engine=nonesuch" "$D/text" 400 ZACCEL_BAD_OPTION
check "error stream without mode -> 400 ZACCEL_BAD_OPTION" error_check POST /v1/streams "$E/no-mode.json" 400 ZACCEL_BAD_OPTION application/json

echo "$passed passed, $failed failed"
((failed == 0))
