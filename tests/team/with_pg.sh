#!/bin/sh
# with_pg.sh COMMAND...: starts a throwaway PostgreSQL cluster (initdb in a temp dir, server on a
# Unix socket in that dir, no TCP), runs COMMAND with ILC_TEAM_PG_URL pointing at a fresh database,
# then stops the server and removes the dir, also when COMMAND fails or the script is interrupted.
# initdb refuses to run as root, so under root the cluster runs as the 'postgres' user of the
# Debian package (or 'nobody' when it is missing). A missing PostgreSQL is a failure, not a skip:
# CI installs it (scripts/setup.sh).
#
# The postmaster is a direct child of this script (not detached by pg_ctl), so a ctest TIMEOUT,
# which kills the test's whole process tree, takes the server down with it. A cluster an earlier
# run left behind anyway (the script SIGKILLed before its trap ran) is stopped at start: each temp
# dir records the pid of the script that owns it, and a live server whose owner is gone is stopped.
# Tests may restart the server (ILC_PG_CTL restart -D ILC_PG_DATA): the trap stops whatever
# postmaster runs on the data directory at the end.
set -u
PGBIN=${ILC_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ] || [ ! -x "$PGBIN/postgres" ]; then
    echo "with_pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
    exit 1
fi
tmp=${TMPDIR:-/tmp}
as=""
if [ "$(id -u)" = 0 ]; then
    if id postgres >/dev/null 2>&1; then pguser=postgres; else pguser=nobody; fi
    # setpriv executes the program in place (runuser forks and stays the parent), so the pid of
    # the background job below is the postmaster itself and the trap's signal reaches it.
    as="setpriv --reuid=$pguser --regid=$(id -g "$pguser") --init-groups --"
fi

# Leftovers of earlier runs: a postmaster still alive in an ilc-pg.* dir whose owner script died.
for old in "$tmp"/ilc-pg.*; do
    [ -f "$old/owner.pid" ] || continue
    owner=$(cat "$old/owner.pid" 2>/dev/null)
    if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then continue; fi  # another run in progress
    if [ -f "$old/data/postmaster.pid" ]; then
        pid=$(head -n 1 "$old/data/postmaster.pid")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            echo "with_pg.sh: stopping a leftover cluster of an earlier run ($old, pid $pid)" >&2
            kill -QUIT "$pid" 2>/dev/null
            i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    rm -rf "$old"
done

dir=$(mktemp -d "$tmp/ilc-pg.XXXXXX") || exit 1
echo $$ >"$dir/owner.pid"
[ -n "$as" ] && chown "$pguser" "$dir"
pgpid=""
cmdpid=""
cleanup() {
    trap - EXIT INT TERM
    [ -n "$cmdpid" ] && kill -TERM "$cmdpid" 2>/dev/null
    # SIGQUIT is PostgreSQL's immediate shutdown; then whatever a restart left on the data dir.
    if [ -n "$pgpid" ]; then
        kill -QUIT "$pgpid" 2>/dev/null
        wait "$pgpid" 2>/dev/null
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
        $as "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if ! $as "$PGBIN/initdb" -D "$dir/data" -A trust -U ilc -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    exit 1
fi
# fsync off: the cluster lives for one test run; max_connections covers the 50-rep benchmark.
$as "$PGBIN/postgres" -D "$dir/data" -k "$dir" -h '' -F -c max_connections=${ILC_PG_MAX_CONNECTIONS:-120} \
    >"$dir/server.log" 2>&1 &
pgpid=$!
i=0
until "$PGBIN/pg_isready" -q -h "$dir" -U ilc -d postgres; do
    if ! kill -0 "$pgpid" 2>/dev/null || [ $i -ge 600 ]; then
        echo "with_pg.sh: the PostgreSQL server did not start:" >&2
        cat "$dir/server.log" >&2
        exit 1
    fi
    sleep 0.1
    i=$((i + 1))
done
if ! "$PGBIN/createdb" -h "$dir" -U ilc ilc_team; then
    cat "$dir/server.log" >&2
    exit 1
fi
export ILC_TEAM_PG_URL="postgresql://ilc@/ilc_team?host=$dir"
export ILC_PG_SOCKET_DIR="$dir"
export ILC_PG_DATA="$dir/data"
# How a test restarts the server: $ILC_PG_CTL restart -D "$ILC_PG_DATA" -m fast -w -l FILE.
export ILC_PG_CTL="$as $PGBIN/pg_ctl"
# COMMAND runs in the background so that a TERM from ctest runs the trap at once (a foreground
# command would delay it until the command ends).
"$@" &
cmdpid=$!
wait "$cmdpid"
status=$?
cmdpid=""
exit $status
