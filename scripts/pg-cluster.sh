# A throwaway PostgreSQL cluster for the benchmarks (sourced: `. scripts/pg-cluster.sh; pg_cluster_start DIR`).
# Like the tests' PostgresCluster: initdb in DIR, the server on 127.0.0.1 on a free port, run as the
# `postgres` user when this shell is root (the server refuses root). Sets PG_URL (database "truc") and
# PG_BIN (PG_LOCALE, when set, is the cluster's locale; PG_OPTS, when set, more server options such as
# "-c shared_preload_libraries=pg_stat_statements"); pg_cluster_stop stops it. Durable settings (fsync and synchronous_commit on): figures mean what
# a production server would do on this disk.
pg_cluster_start() {
  local dir=$1
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)" >&2; return 1; }
  PG_DIR=$dir
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$dir"
  PG_AS=()
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir"; PG_AS=(runuser -u postgres --); fi
  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$dir/data" -U truc -A trust -E UTF8 ${PG_LOCALE:+--locale=$PG_LOCALE} >"$dir/initdb.log"
  "${PG_AS[@]}" "$PG_BIN/postgres" -D "$dir/data" -p "$PG_PORT" -k "$dir" -c listen_addresses=127.0.0.1 \
    -c max_connections=200 -c shared_buffers=256MB -c max_wal_size=4GB ${PG_OPTS:-} >"$dir/server.log" 2>&1 &
  PG_PID=$!
  for _ in $(seq 100); do "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.2; done
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U truc truc
  PG_URL="postgres://truc@127.0.0.1:$PG_PORT/truc"
}

pg_cluster_stop() {
  [ -n "${PG_PID:-}" ] || return 0
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || kill -INT "$PG_PID" 2>/dev/null || true
  wait "$PG_PID" 2>/dev/null || true
  PG_PID=
}
