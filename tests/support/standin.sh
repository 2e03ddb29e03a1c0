#!/usr/bin/env bash
# Builds a local stand-in for a public base image that cannot be pulled here, from the same
# Debian packages the real image is made of, and labels it as a stand-in.
#
#   tests/support/standin.sh debian:trixie-slim
#   tests/support/standin.sh rust:1.95-bookworm
#   tests/support/standin.sh gcr.io/distroless/cc-debian13:nonroot
#   tests/support/standin.sh gcr.io/distroless/cc-debian12        (the untagged image runs as root)
#   tests/support/standin.sh postgres:17-trixie                    (the major the release ships)
#
# Needs root, debootstrap and a Docker engine. Hosts without a registry only: where one is
# reachable, pull the real image instead.
set -euo pipefail

image=$1
label="org.cargo-microservice.stand-in"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

codename_of() { case "$1" in 12|bookworm) echo bookworm ;; 13|trixie) echo trixie ;; *) echo "unknown Debian release $1" >&2; exit 2 ;; esac; }

ensure() { docker image inspect "$1" >/dev/null 2>&1 || "$0" "$1"; }

# One build of an image at a time: CI builds the stand-ins in the background while the suites,
# which build any they miss, already run. Every caller looks for the image first; one that
# finds it made once it holds the lock (another run built it meanwhile) stops there.
# STANDIN_REBUILD=1 builds it again anyway.
lock=/tmp/cargo-microservice-standin-${image//[^A-Za-z0-9._-]/_}.lock
exec 9>"$lock"
flock 9
if [ -z "${STANDIN_REBUILD:-}" ] && docker image inspect "$image" >/dev/null 2>&1; then
    echo "stand-in $image: already here, not built again (STANDIN_REBUILD=1 builds it anew)"
    exit 0
fi

case "$image" in
debian:*-slim)
    codename=${image#debian:}; codename=${codename%-slim}
    debootstrap --variant=minbase "$codename" "$work/rootfs" http://deb.debian.org/debian >"$work/log" 2>&1 \
        || { tail -20 "$work/log"; exit 1; }
    # What the official -slim images drop: docs, man pages, apt lists.
    rm -rf "$work"/rootfs/usr/share/{doc,man,info}/* "$work"/rootfs/var/lib/apt/lists/* \
        "$work"/rootfs/var/cache/apt/*.bin "$work"/rootfs/var/cache/apt/archives/*.deb
    tar -C "$work/rootfs" -c . | docker import \
        --change "LABEL $label=\"debootstrap --variant=minbase $codename\"" \
        --change 'CMD ["bash"]' - "$image" >/dev/null
    ;;
rust:*-bookworm | rust:*-trixie)
    version=${image#rust:}; codename=${version##*-}; version=${version%-*}
    host_version=$(rustc --version | cut -d' ' -f2)
    case "$host_version" in "$version" | "$version".*) ;; *)
        echo "the host toolchain is $host_version; a stand-in for $image needs rust $version" >&2; exit 2 ;;
    esac
    ensure "debian:$codename-slim"
    mkdir -p "$work/ctx"
    cp -r "$(rustc --print sysroot)" "$work/ctx/rust"
    rm -rf "$work/ctx/rust/share/doc"
    # The host's bundle carries the CA of the proxy that containers reach crates.io through.
    cp /etc/ssl/certs/ca-certificates.crt "$work/ctx/host-ca.crt"
    cat >"$work/ctx/Dockerfile" <<DOCKERFILE
FROM debian:$codename-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        gcc libc6-dev make pkg-config libssl-dev ca-certificates git curl \
    && rm -rf /var/lib/apt/lists/*
COPY host-ca.crt /etc/ssl/certs/ca-certificates.crt
COPY rust /usr/local/rust
ENV PATH=/usr/local/cargo/bin:/usr/local/rust/bin:\$PATH CARGO_HOME=/usr/local/cargo RUST_VERSION=$host_version
RUN mkdir -p /usr/local/cargo/bin && rustc --version && cargo --version
LABEL $label="debian:$codename-slim + Debian build packages + the host's rust $host_version toolchain"
DOCKERFILE
    DOCKER_BUILDKIT=1 /usr/bin/docker build -q -t "$image" "$work/ctx" >/dev/null
    ;;
gcr.io/distroless/cc-debian*)
    release=${image#gcr.io/distroless/cc-debian}; release=${release%%:*}
    # Untagged and :latest run as root, like the real images; :nonroot as uid 65532.
    user=0:0; case "$image" in *:nonroot) user=65532:65532 ;; esac
    codename=$(codename_of "$release")
    ensure "debian:$codename-slim"
    libssl=libssl3; [ "$codename" = trixie ] && libssl=libssl3t64
    packages="base-files netbase tzdata ca-certificates libc6 libgcc-s1 libstdc++6 libgomp1 $libssl"
    mkdir -p "$work/debs" "$work/rootfs"
    docker run --rm -v "$work/debs:/debs" -w /debs "debian:$codename-slim" \
        sh -c "apt-get update -qq && apt-get download -qq $packages 2>/dev/null && chmod 644 /debs/*" >/dev/null
    for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/rootfs"; done
    # ca-certificates ships the certificates; distroless ships the bundle they make.
    mkdir -p "$work/rootfs/etc/ssl/certs"
    cat "$work"/rootfs/usr/share/ca-certificates/*/*.crt > "$work/rootfs/etc/ssl/certs/ca-certificates.crt"
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$work/rootfs/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > "$work/rootfs/etc/group"
    mkdir -p "$work/rootfs/home/nonroot" "$work/rootfs/tmp" "$work/rootfs/root"
    chown 65532:65532 "$work/rootfs/home/nonroot"; chmod 1777 "$work/rootfs/tmp"
    # Distroless has no shell, no package manager, no docs.
    rm -rf "$work"/rootfs/usr/share/{doc,man,info,lintian} "$work"/rootfs/bin/sh "$work"/rootfs/usr/bin/sh
    tar -C "$work/rootfs" -c . | docker import \
        --change "LABEL $label=\"dpkg -x of $packages ($codename)\"" \
        --change "USER $user" --change 'WORKDIR /home/nonroot' - "$image" >/dev/null
    ;;
postgres:*-bookworm | postgres:*-trixie)
    major=${image#postgres:}; codename=${major#*-}; major=${major%%-*}
    ships=$(case "$codename" in trixie) echo 17 ;; bookworm) echo 15 ;; esac)
    if [ "$major" != "$ships" ]; then
        echo "Debian $codename ships PostgreSQL $ships, not $major: no stand-in for $image can be built from its packages" >&2
        exit 2
    fi
    ensure "debian:$codename-slim"
    mkdir -p "$work/ctx"
    cp "$(dirname "$0")/postgres-entrypoint.sh" "$work/ctx/docker-entrypoint.sh"
    chmod 755 "$work/ctx/docker-entrypoint.sh"
    # What the official image promises a compose file: the postgres user as uid/gid 999, PGDATA
    # as a volume, the entrypoint's variables, SIGINT (a fast shutdown) to stop.
    cat >"$work/ctx/Dockerfile" <<DOCKERFILE
FROM debian:$codename-slim
RUN groupadd --system --gid 999 postgres \
    && useradd --system --uid 999 --gid postgres --home-dir /var/lib/postgresql --shell /bin/bash postgres \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-common \
    && sed -i 's/^#create_main_cluster = true/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf \
    && apt-get install -y --no-install-recommends postgresql-$major \
    && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/$major/bin:\$PATH PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
RUN mkdir -p /var/run/postgresql "\$PGDATA" \
    && chown postgres:postgres /var/run/postgresql "\$PGDATA" \
    && chmod 3777 /var/run/postgresql && chmod 1777 "\$PGDATA"
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
LABEL $label="debian:$codename-slim + Debian $codename's postgresql-$major + an entrypoint for POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB and PGDATA"
DOCKERFILE
    DOCKER_BUILDKIT=1 /usr/bin/docker build -q -t "$image" "$work/ctx" >/dev/null
    ;;
*)
    echo "no stand-in recipe for $image (alpine images need Alpine's package source, which is not reachable here)" >&2
    exit 2
    ;;
esac
echo "built stand-in $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.1f MB", $1/1e6}'))"
