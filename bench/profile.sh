#!/usr/bin/env bash
# Instructions per request, counted by callgrind: what a change to the request path costs, in a
# number the host's drift does not move (the bench's CPU time per request moves by 2x within
# minutes here; an instruction count is the same from one run to the next, within a few tenths
# of a percent).
#
#   bench/profile.sh [SECONDS]                 # 15 s of load a service unless told
#   BREAKDOWN=yes bench/profile.sh [SECONDS]   # and each piece of bench/breakdown/ switched off
#   BEFORE=<project> bench/profile.sh          # and another rendering (an older template) beside
#
# Builds the no-logging ceiling (bench/services/ceiling) and the default variant without a
# database (rendered from template/ as the bench renders it, or OURS=<project folder>) in
# release with line tables, runs each on the host under valgrind's callgrind with one worker,
# stores 50 users, warms up, zeroes the counts, loads `GET /users/42` for SECONDS over one
# keep-alive connection (wrk, from 127.0.0.1), and dumps; the count is divided by the requests wrk
# saw answered. One connection, one request at a time: with more, how many requests one wake-up
# serves depends on how fast the host runs valgrind, and so does the count (8 connections moved
# it by 7% between a quiet host and a busy one); with one, every request takes the same path.
# With BREAKDOWN, each `bench/breakdown/*.patch` is applied to a copy of ours (`git apply`, as
# the bench's `--breakdown` does), built and counted the same way: a piece's cost is ours less
# the copy without it. The dumps stay in $WORK for `callgrind_annotate --inclusive=yes <dump>`.
#
# Instructions are not time (a cache miss costs more than an add, a syscall's kernel side is not
# counted), so the bench's duets stay the judge of throughput; this says where to look and
# whether a change removed work.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

seconds=${1:-15}
work=${WORK:-$(mktemp -d /tmp/profile-XXXX)}
port=${PORT:-18480}
for tool in valgrind callgrind_control wrk curl git; do
    command -v "$tool" >/dev/null || {
        echo "$tool is not installed: apt-get install valgrind wrk curl git" >&2
        exit 1
    }
done

# Line tables and symbols kept, the rest of each project's release profile as shipped.
export CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_PROFILE_RELEASE_STRIP=false

ours=${OURS:-}
if [ -z "$ours" ]; then
    cargo generate --path template --name orders --silent --vcs none --destination "$work" \
        -d base=distroless -d debian=trixie -d database=none -d rust_version=1.95 -d port=8080
    ours=$work/orders
fi
[ -d "$work/ceiling" ] || cp -r bench/services/ceiling "$work/ceiling"

pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true' EXIT

# name binary: runs it under callgrind, loads it, prints and returns its instructions a request.
count() {
    local name=$1 binary=$2 url="http://127.0.0.1:$port" out="$work/callgrind.$1"
    # valgrind names its control pipe after $USER and $HOST, so callgrind_control gets the
    # service's HOST too.
    HOST=127.0.0.1 PORT=$port ADMIN_PORT=$((port + 1)) BIND="127.0.0.1:$port" WORKERS=1 \
        LOG_FORMAT=json valgrind --tool=callgrind --callgrind-out-file="$out.%p" \
        "$binary" >/dev/null 2>"$work/$name.log" &
    pid=$!
    for _ in $(seq 600); do
        curl --silent --fail --output /dev/null "$url/health" && break
        sleep 0.1
    done
    if ! curl --silent --fail --output /dev/null "$url/users/50"; then
        for n in $(seq 50); do
            curl --silent --fail --output /dev/null --header 'Content-Type: application/json' \
                --data "{\"name\":\"User $n\",\"email\":\"user$n@example.com\"}" "$url/users"
        done
    fi
    wrk --threads 1 --connections 1 --duration 3s "$url/users/42" >/dev/null
    HOST=127.0.0.1 callgrind_control --zero "$pid" >/dev/null
    local answered
    answered=$(wrk --threads 1 --connections 1 --duration "${seconds}s" --timeout 10s \
        "$url/users/42" | awk '/ requests in / { print $1 }')
    HOST=127.0.0.1 callgrind_control --dump=load "$pid" >/dev/null
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    # The dump asked for is `<out>.<pid>.1` and holds only the load (its totals line counts every
    # thread's instructions); `<out>.<pid>` is what ran after it, up to the exit.
    mv "$out.$pid.1" "$out"
    rm -f "$out.$pid"
    pid=
    echo "$answered" >"$out.requests"
    awk -v n="$answered" '/^totals:/ { printf "%.0f\n", $2 / n }' "$out"
}

build() { # project target-dir name: builds the project in release, copies its binary to $work/name.bin
    local target=$2
    # Cargo links `release/<bin>` anew only when it compiles: gone first, so a stale one from
    # another copy built into the same directory cannot stand in for this one.
    rm -f "$target/release/ceiling" "$target/release/orders"
    CARGO_TARGET_DIR=$target cargo build --release --quiet --locked --manifest-path "$1/Cargo.toml"
    cp "$(ls "$target"/release/ceiling "$target"/release/orders 2>/dev/null | head -n 1)" "$work/$3.bin"
}

echo "building the ceiling and $ours (release, line tables)"
build "$work/ceiling" "$work/ceiling/target" ceiling
build "$ours" "$ours/target" ours
ceiling=$(count ceiling "$work/ceiling.bin")
all_on=$(count ours "$work/ours.bin")
# The same binary counted again: how far a count moves from one load to the next.
again=$(count ours-again "$work/ours.bin")
printf '%-30s %8s instructions a request\n' ceiling "$ceiling" ours "$all_on" "ours, counted again" "$again"
awk -v c="$ceiling" -v o="$all_on" \
    'BEGIN { printf "ours spends %d more (x%.3f); the ceiling does %.3f of ours at equal instructions\n", o - c, o / c, c / o }'
if [ -n "${BEFORE:-}" ]; then
    build "$BEFORE" "$BEFORE/target" before
    before=$(count before "$work/before.bin")
    awk -v b="$before" -v o="$all_on" -v c="$ceiling" \
        'BEGIN { printf "before: %d instructions a request; ours spends %+d (%+.1f%%); the ceiling did %.3f of it\n", b, o - b, (o - b) * 100 / b, c / b }'
fi

[ "${BREAKDOWN:-}" = yes ] || exit 0
echo
echo "each piece switched off (bench/breakdown/), the same way:"
for patch in bench/breakdown/*.patch; do
    piece=$(basename "$patch" .patch)
    copy=$work/without-$piece
    rm -rf "$copy"
    mkdir "$copy"
    tar --create --directory "$ours" --exclude=./target . | tar --extract --directory "$copy"
    (cd "$copy" && git apply "$repo/$patch")
    # The copies share a target directory of their own: after the first, only the crate itself
    # compiles again.
    build "$copy" "$work/copies-target" "without-$piece"
    without=$(count "without-$piece" "$work/without-$piece.bin")
    printf '%-30s %8s instructions a request, the piece %6d\n' "without $piece" "$without" \
        "$((all_on - without))"
done
