#!/usr/bin/env bash
# The bench's throughput comparison by hand, with `docker run` and `wrk` and nothing of the
# bench's code: the seed article's service, the no-logging ceiling and the default variant,
# each started as the bench starts it (host network, 127.0.0.1, 0.5 CPU, 128 MiB, pinned to
# CPU 1) with 50 users stored, warmed up 3 s, then `wrk -t1 -c64` on GET /users/42 from CPU 0.
# The services take turns within each round. Prints each round, the medians and the two ratios
# the issues set targets on.
#
#   bench/reproduce.sh [ROUNDS]        # 5 rounds unless told; 1 is one round of the bench
#
# The images are the bench's: build them with
#   cargo run --release -p cargo-microservice-bench -- --only ceiling,distroless-trixie-none --no-cold --no-rebuild --runs 1
# or name others: BASELINE=... CEILING=... OURS=... bench/reproduce.sh
set -euo pipefail

rounds=${1:-5}
load_seconds=${LOAD_SECONDS:-8}
service_cpus=${SERVICE_CPUS:-1}
load_cpus=${LOAD_CPUS:-0}
port=${PORT:-18080}
admin_port=$((port + 1))
names=(baseline ceiling ours)
declare -A image=(
    [baseline]=${BASELINE:-cargo-microservice-bench/baseline:latest}
    [ceiling]=${CEILING:-cargo-microservice-bench/ceiling:latest}
    [ours]=${OURS:-cargo-microservice-bench/distroless-trixie-none:latest}
)
declare -A samples=()

for name in "${names[@]}"; do
    docker image inspect "${image[$name]}" >/dev/null 2>&1 || {
        echo "no image ${image[$name]}: build it first (see the top of $0)" >&2
        exit 1
    }
done
for tool in wrk taskset curl; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed: apt-get install wrk util-linux curl" >&2; exit 1; }
done

container=
trap '[ -z "$container" ] || docker rm --force "$container" >/dev/null' EXIT

url="http://127.0.0.1:$port"
for round in $(seq "$rounds"); do
    for name in "${names[@]}"; do
        container=$(docker run --detach --network host --cpus 0.5 --memory 128m --read-only \
            --cap-drop ALL --security-opt no-new-privileges:true --cpuset-cpus "$service_cpus" \
            --env HOST=127.0.0.1 --env PORT="$port" --env ADMIN_PORT="$admin_port" \
            --env BIND="127.0.0.1:$port" "${image[$name]}")
        for _ in $(seq 600); do
            curl --silent --fail --output /dev/null "$url/health" && break
            sleep 0.05
        done
        # 50 users, as the bench stores them; the seed article's service and the ceiling
        # answer every id already.
        if ! curl --silent --fail --output /dev/null "$url/users/50"; then
            for n in $(seq 50); do
                curl --silent --fail --output /dev/null --header 'Content-Type: application/json' \
                    --data "{\"name\":\"User $n\",\"email\":\"user$n@example.com\"}" "$url/users"
            done
        fi
        sleep 2
        taskset --cpu-list "$load_cpus" wrk --threads 1 --connections 64 --duration 3s \
            --timeout 5s "$url/users/42" >/dev/null
        sleep 0.5
        rps=$(taskset --cpu-list "$load_cpus" wrk --threads 1 --connections 64 \
            --duration "${load_seconds}s" --timeout 5s "$url/users/42" |
            awk '/^Requests\/sec:/ { print $2 }')
        docker rm --force "$container" >/dev/null
        container=
        printf 'round %s  %-8s  %s req/s\n' "$round" "$name" "$rps"
        samples[$name]+="$rps "
    done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A middle=()
for name in "${names[@]}"; do
    middle[$name]=$(median <<<"${samples[$name]}")
    printf 'median %-8s %.0f req/s (rounds: %s)\n' "$name" "${middle[$name]}" "${samples[$name]% }"
done
awk -v ours="${middle[ours]}" -v ceiling="${middle[ceiling]}" -v baseline="${middle[baseline]}" \
    'BEGIN { printf "ours / ceiling %.3f\nours / seed    %.3f\n", ours / ceiling, ours / baseline }'
