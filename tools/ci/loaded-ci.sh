#!/usr/bin/env bash
# The loaded CI check: `.ci/run` from a fresh clone of this worktree's branch while tools/ci/cpu-hog.mjs keeps
# every core busy, as a reviewer's busy CI machine would. Prints one line: the exit status, the duration and the
# last line of the CI log ("N passed, M failed").
#   bash tools/ci/loaded-ci.sh [WORK_DIR]         (default: a new /tmp/zaccel-loaded-ci.XXXXXX)
#   HOG_THREADS (default: the number of cores), HOG_SECONDS (default: 5400, the CI limit; it stops by itself)
# The clone is WORK_DIR/zaccel; logs: WORK_DIR/ci.log and WORK_DIR/hog.log. Nothing outside WORK_DIR is written
# (npm's cache aside).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=${1:-$(mktemp -d /tmp/zaccel-loaded-ci.XXXXXX)}
mkdir -p "$work"
clone=$work/zaccel
[[ ! -e $clone ]] || { echo "loaded-ci: $clone exists already" >&2; exit 2; }

branch=$(git -C "$repo" rev-parse --abbrev-ref HEAD)
git clone -q --branch "$branch" "$repo" "$clone"
# build.sh checks wasm/zlib-1.3.1.sha256 against ../shared when that is there: give the clone the same neighbour.
if [[ -f $repo/../shared/zlib-1.3.1.sha256 ]]; then
  mkdir -p "$work/shared"
  cp "$repo/../shared/zlib-1.3.1.sha256" "$work/shared/"
fi

node "$clone/tools/ci/cpu-hog.mjs" --threads "${HOG_THREADS:-$(nproc)}" --seconds "${HOG_SECONDS:-5400}" >"$work/hog.log" 2>&1 &
hog=$!
trap 'kill "$hog" 2>/dev/null || true' EXIT

echo "loaded-ci: $branch at $(git -C "$clone" rev-parse --short HEAD) in $clone, hog pid $hog; log $work/ci.log"
started=$(date +%s)
status=0
bash "$clone/.ci/run" >"$work/ci.log" 2>&1 || status=$?
seconds=$(($(date +%s) - started))
last=$(tail -n 1 "$work/ci.log")
echo "loaded-ci: exit $status after ${seconds} s; last line: $last"
exit "$status"
