#!/bin/sh
# with_pg.sh COMMAND...: starts a throwaway PostgreSQL cluster (initdb in a temp dir, server on a
# Unix socket in that dir, no TCP), runs COMMAND with ILC_TEAM_PG_URL pointing at a fresh database,
# then stops the server and removes the dir, also when COMMAND fails or the script is interrupted.
# initdb refuses to run as root, so under root the cluster runs as the 'postgres' user of the
# Debian package (or 'nobody' when it is missing). A missing PostgreSQL is a failure, not a skip:
# CI installs it (scripts/setup.sh).
set -u
PGBIN=${ILC_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
    echo "with_pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
    exit 1
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/ilc-pg.XXXXXX") || exit 1
as=""
if [ "$(id -u)" = 0 ]; then
    if id postgres >/dev/null 2>&1; then pguser=postgres; else pguser=nobody; fi
    chown "$pguser" "$dir"
    as="runuser -u $pguser --"
fi
cleanup() {
    $as "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! $as "$PGBIN/initdb" -D "$dir/data" -A trust -U ilc -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    exit 1
fi
# fsync off: the cluster lives for one test run; max_connections covers the 50-rep benchmark.
if ! $as "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -h '' -F -c max_connections=${ILC_PG_MAX_CONNECTIONS:-120}" start >/dev/null; then
    cat "$dir/server.log" >&2
    exit 1
fi
if ! "$PGBIN/createdb" -h "$dir" -U ilc ilc_team; then
    cat "$dir/server.log" >&2
    exit 1
fi
export ILC_TEAM_PG_URL="postgresql://ilc@/ilc_team?host=$dir"
export ILC_PG_SOCKET_DIR="$dir"
"$@"
status=$?
exit $status
