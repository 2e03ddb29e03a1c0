#!/bin/sh
# Entrypoint of the postgres stand-in image (tests/docker/standin.sh): the first-run setup the
# official image's entrypoint does, for the variables a compose file gives it.
#   POSTGRES_PASSWORD  required: the superuser's password (scram-sha-256 over TCP)
#   POSTGRES_USER      the superuser's name (default postgres)
#   POSTGRES_DB        a database created on first run (default: the user's name)
#   PGDATA             the data directory (default /var/lib/postgresql/data, the volume)
# As root it hands the data directory to postgres and drops to it; as postgres (compose's
# `user: postgres`) it needs no capabilities at all.
set -eu

if [ "${1#-}" != "$1" ]; then
    set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
    exec "$@"
fi

PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA"
    chown -R postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "error: the database is not initialised and POSTGRES_PASSWORD is not set" >&2
        exit 1
    fi
    user=${POSTGRES_USER:-postgres}
    database=${POSTGRES_DB:-$user}
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    password_file=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$password_file"
    initdb --username="$user" --pwfile="$password_file" --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$password_file"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
    # Set up through the socket only: nothing can connect over TCP before it is done, so a
    # TCP readiness probe passes only for the real server.
    pg_ctl --wait --silent --options="-c listen_addresses=''" start
    if [ "$database" != postgres ]; then
        psql --quiet --no-psqlrc --set ON_ERROR_STOP=1 --username "$user" --dbname postgres \
            --command "CREATE DATABASE \"$database\""
    fi
    pg_ctl --wait --silent --mode=fast stop
    echo "initialised $PGDATA: user $user, database $database"
fi

exec "$@"
