#!/usr/bin/env bash
# The bench's throughput comparison by hand, with `docker run`, `curl` and `wrk` and nothing of
# the bench's code: the seed article's service, the no-logging ceiling and the default variant,
# started as the bench starts them (host network, 127.0.0.1, 0.5 CPU, 128 MiB, pinned to CPU 1),
# all three at once, each on its own port with 50 users stored. Then, round after round, each
# takes its turn: a 1 s warm-up, then `wrk -t1 -c64` on GET /users/42 from CPU 0. Each round
# starts one service later than the round before. Then, as many rounds again, duets: ours and
# the ceiling loaded at the same moment (both on CPU 1, a wrk each on CPU 0), each charged its
# own cgroup's CPU time, then ours and the seed's; the other's CPU per request over ours is the
# throughput ratio at equal CPU, with the host's slow seconds falling on both. Prints every
# turn, the medians, and the two ratios the issues set targets on, each way.
#
#   bench/reproduce.sh [ROUNDS]        # 5 rounds unless told; 1 is one round of the bench
#
# The images are the bench's: build them with
#   cargo run --release -p cargo-microservice-bench -- --only ceiling,distroless-trixie-none --no-cold --no-rebuild --runs 1
# or name others: BASELINE=... CEILING=... OURS=... bench/reproduce.sh
# PIN=no lets the scheduler place the services and wrk, and WRK_THREADS=2 gives wrk two
# threads: how the bench ran before 2026-12-07 (bench/RESULTS.md compares the two).
set -euo pipefail

rounds=${1:-5}
load_seconds=${LOAD_SECONDS:-8}
wrk_threads=${WRK_THREADS:-1}
first_port=${PORT:-18080}
pin=(--cpuset-cpus "${SERVICE_CPUS:-1}")
on_load_cpus=(taskset --cpu-list "${LOAD_CPUS:-0}")
if [ "${PIN:-yes}" = no ]; then
    pin=()
    on_load_cpus=()
fi
names=(baseline ceiling ours)
declare -A image=(
    [baseline]=${BASELINE:-cargo-microservice-bench/baseline:latest}
    [ceiling]=${CEILING:-cargo-microservice-bench/ceiling:latest}
    [ours]=${OURS:-cargo-microservice-bench/distroless-trixie-none:latest}
)

for name in "${names[@]}"; do
    docker image inspect "${image[$name]}" >/dev/null 2>&1 || {
        echo "no image ${image[$name]}: build it first (see the top of $0)" >&2
        exit 1
    }
done
for tool in wrk taskset curl; do
    command -v "$tool" >/dev/null || {
        echo "$tool is not installed: apt-get install wrk util-linux curl" >&2
        exit 1
    }
done

containers=()
trap '[ ${#containers[@]} -eq 0 ] || docker rm --force "${containers[@]}" >/dev/null' EXIT

declare -A url=() id=()
port=$first_port
for name in "${names[@]}"; do
    # Main and admin ports: two a service, from PORT (18080) up.
    id[$name]=$(docker run --detach --network host --cpus 0.5 --memory 128m --read-only \
        --cap-drop ALL --security-opt no-new-privileges:true "${pin[@]}" \
        --env HOST=127.0.0.1 --env PORT="$port" --env ADMIN_PORT="$((port + 1))" \
        --env BIND="127.0.0.1:$port" "${image[$name]}")
    containers+=("${id[$name]}")
    url[$name]="http://127.0.0.1:$port"
    port=$((port + 2))
    for _ in $(seq 600); do
        curl --silent --fail --output /dev/null "${url[$name]}/health" && break
        sleep 0.05
    done
    # 50 users, as the bench stores them; the seed article's service and the ceiling answer
    # every id already.
    if ! curl --silent --fail --output /dev/null "${url[$name]}/users/50"; then
        for n in $(seq 50); do
            curl --silent --fail --output /dev/null --header 'Content-Type: application/json' \
                --data "{\"name\":\"User $n\",\"email\":\"user$n@example.com\"}" "${url[$name]}/users"
        done
    fi
done

wrk_on() { # seconds url: wrk's report
    "${on_load_cpus[@]}" wrk --threads "$wrk_threads" --connections 64 --duration "$1s" \
        --timeout 5s "$2/users/42"
}
load() { # seconds url: wrk's requests per second
    wrk_on "$1" "$2" | awk '/^Requests\/sec:/ { print $2 }'
}
cpu_ns() { # container: the CPU time its cgroup has counted, ns (cgroup v1, else v2)
    cat "/sys/fs/cgroup/cpuacct/docker/$1/cpuacct.usage" 2>/dev/null ||
        awk '/^usage_usec/ { print $2 * 1000 }' "/sys/fs/cgroup/system.slice/docker-$1.scope/cpu.stat"
}
duet() { # a b seconds: "µs of CPU a request of a, of b", both loaded at the same moment
    local a0 b0 a1 b1 reports
    reports=$(mktemp -d)
    a0=$(cpu_ns "${id[$1]}")
    b0=$(cpu_ns "${id[$2]}")
    wrk_on "$3" "${url[$1]}" >"$reports/a" &
    wrk_on "$3" "${url[$2]}" >"$reports/b" &
    wait
    a1=$(cpu_ns "${id[$1]}")
    b1=$(cpu_ns "${id[$2]}")
    awk -v a="$((a1 - a0))" -v b="$((b1 - b0))" \
        -v ra="$(awk '/ requests in / { print $1 }' "$reports/a")" \
        -v rb="$(awk '/ requests in / { print $1 }' "$reports/b")" \
        'BEGIN { printf "%.2f %.2f\n", a / 1000 / ra, b / 1000 / rb }'
    rm -r "$reports"
}

declare -A samples=()
per_round_ceiling=""
per_round_seed=""
for round in $(seq "$rounds"); do
    declare -A this_round=()
    for turn in 0 1 2; do
        name=${names[$(((turn + round - 1) % 3))]}
        load 1 "${url[$name]}" >/dev/null
        sleep 0.5
        rps=$(load "$load_seconds" "${url[$name]}")
        printf 'round %s  %-8s  %s req/s\n' "$round" "$name" "$rps"
        samples[$name]+="$rps "
        this_round[$name]=$rps
    done
    per_round_ceiling+="$(awk -v a="${this_round[ours]}" -v b="${this_round[ceiling]}" 'BEGIN { print a / b }') "
    per_round_seed+="$(awk -v a="${this_round[ours]}" -v b="${this_round[baseline]}" 'BEGIN { print a / b }') "
done

duet_ceiling=""
duet_seed=""
for round in $(seq "$rounds"); do
    for other in ceiling baseline; do
        duet ours "$other" 1 >/dev/null
        sleep 0.5
        read -r ours_us other_us < <(duet ours "$other" "$load_seconds")
        printf 'duet %s  ours %s µs, %-8s %s µs a request\n' "$round" "$ours_us" "$other" "$other_us"
        ratio=$(awk -v a="$ours_us" -v b="$other_us" 'BEGIN { print b / a }')
        if [ "$other" = ceiling ]; then duet_ceiling+="$ratio "; else duet_seed+="$ratio "; fi
    done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A middle=()
for name in "${names[@]}"; do
    middle[$name]=$(median <<<"${samples[$name]}")
    printf 'median %-8s %.0f req/s (turns: %s)\n' "$name" "${middle[$name]}" "${samples[$name]% }"
done
awk -v ours="${middle[ours]}" -v ceiling="${middle[ceiling]}" -v baseline="${middle[baseline]}" \
    -v by_ceiling="$(median <<<"$per_round_ceiling")" -v by_seed="$(median <<<"$per_round_seed")" \
    -v duet_ceiling="$(median <<<"$duet_ceiling")" -v duet_seed="$(median <<<"$duet_seed")" \
    'BEGIN {
        printf "ours / ceiling: %.3f per round (median), %.3f of the medians, %.3f at equal CPU in duets (median)\n", by_ceiling, ours / ceiling, duet_ceiling
        printf "ours / seed:    %.3f per round (median), %.3f of the medians, %.3f at equal CPU in duets (median)\n", by_seed, ours / baseline, duet_seed
    }'
