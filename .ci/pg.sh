#!/usr/bin/env bash
# A throwaway PostgreSQL for tests: a fresh cluster in a temp dir, on a free loopback port, fsync off.
# It is stopped and its directory deleted when this script ends, however it ends.
#
#   .ci/pg.sh CMD [ARG...]   runs CMD with CALLPERMIT_TEST_PG_URL set; exits with CMD's status
#   .ci/pg.sh                prints the URL on stdout, then keeps the server until stdin closes
#                            (Enter or Ctrl-D in a terminal) or a signal; vitest's globalSetup uses this
#
# Needs Debian's PostgreSQL binaries (/usr/lib/postgresql/N/bin); as root it installs them when missing
# and runs the server as the `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail

log() { echo "pg.sh: $*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

PGBIN=$(pg_bin)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  if [ "$(id -u)" != 0 ]; then
    log "PostgreSQL binaries not found under /usr/lib/postgresql and not root to install them"
    exit 1
  fi
  log "installing postgresql with apt-get"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  PGBIN=$(pg_bin)
fi

if [ "$(id -u)" = 0 ]; then
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

PGDATA=$(mktemp -d "${TMPDIR:-/tmp}/callpermit-pg.XXXXXX")
stop() {
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap stop EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"

if ! as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$PGDATA.initdb.log" 2>&1; then
  cat "$PGDATA.initdb.log" >&2
  rm -f "$PGDATA.initdb.log"
  exit 1
fi
rm -f "$PGDATA.initdb.log"

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Another run may take the port between asking and binding: try a few.
PORT=
for _ in 1 2 3 4 5; do
  candidate=$(free_port)
  if as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 -o \
    "-p $candidate -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null 2>&1; then
    PORT=$candidate
    break
  fi
done
if [ -z "$PORT" ]; then
  log "the server did not start:"
  cat "$PGDATA/server.log" >&2 || true
  exit 1
fi

export CALLPERMIT_TEST_PG_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
log "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') at $CALLPERMIT_TEST_PG_URL (data $PGDATA)"

if [ $# -gt 0 ]; then
  "$@"
else
  echo "$CALLPERMIT_TEST_PG_URL"
  # Wait for stdin to close; `read` returns non-zero at EOF.
  while read -r _; do :; done
fi
