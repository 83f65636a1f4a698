# Shared by scripts/dev and scripts/test: install what is missing, start real PostgreSQL and
# sockudo, stop what was started. Source it; it sets no options of its own.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where cargo puts binaries: CARGO_TARGET_DIR when set (relative to the project), else target/.
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
SOCKUDO_VERSION="5.2.0"
export PATH="$HOME/.cargo/bin:$PATH"
STARTED_PIDS=()
PRIVATE_PG_DATA=""
PRIVATE_PG_USER=""

log() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi
}

APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null || die "missing $*; install it with your package manager"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  log "installing $* (apt)"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for_port() { # host port what [seconds]
  local i
  for ((i = 0; i < ${4:-60} * 10; i++)); do port_open "$1" "$2" && return 0; sleep 0.1; done
  die "$3 did not start on $1:$2"
}

# Set by a script to run after its processes stop and before a private PostgreSQL stops.
BEFORE_POSTGRES_STOPS=""

cleanup() {
  local pid="" i
  for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  # sockudo may wait for undeliverable webhook retries on shutdown: give everything 3 s, then stop it.
  for ((i = 0; i < 30; i++)); do
    for pid in "${STARTED_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && break; pid=""; done
    [ -z "$pid" ] && break
    sleep 0.1
  done
  for pid in "${STARTED_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${STARTED_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  forget_redis_keys || true
  [ -n "$BEFORE_POSTGRES_STOPS" ] && { $BEFORE_POSTGRES_STOPS || true; }
  if [ -n "$PRIVATE_PG_DATA" ]; then
    run_as_pg_user "$PG_BIN/pg_ctl" -D "$PRIVATE_PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

# --- Node packages (pusher-js for the page; pusher, vercel, playwright for tests) ----------------
# public/vendor/ gets pusher-js's encryption build (it also opens private-encrypted- channels,
# PUSHER_ENCRYPTION_MASTER_KEY_BASE64) and the product's own client: client/pusher-chat.js and its
# modules, client/src/. The copy is package.json's `vendor` script, which Vercel's build runs too.
ensure_node_modules() {
  command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    log "npm ci"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  fi
  (cd "$ROOT" && npm run --silent vendor) || die "copying the client into public/vendor failed"
}

# --- sockudo, the Pusher-protocol server ---------------------------------------------------------
ensure_sockudo() {
  if command -v sockudo >/dev/null && sockudo --version 2>/dev/null | grep -q "$SOCKUDO_VERSION"; then return; fi
  log "installing sockudo $SOCKUDO_VERSION (cargo install, a few minutes once)"
  command -v protoc >/dev/null || apt_install protobuf-compiler
  command -v pkg-config >/dev/null || apt_install pkg-config
  dpkg -s libssl-dev >/dev/null 2>&1 || apt_install libssl-dev
  cargo install "sockudo@$SOCKUDO_VERSION" --locked --no-default-features --features local,redis \
    || RUSTFLAGS="--cfg tokio_unstable" cargo install "sockudo@$SOCKUDO_VERSION" --locked --no-default-features --features local,redis \
    || die "cargo install sockudo failed"
}

# start_sockudo <port> <metrics-port> <webhook-url> <logfile> [<config template>]; uses
# PUSHER_APP_ID/KEY/SECRET. The template is scripts/sockudo.toml unless given (sockudo_cluster_template).
start_sockudo() {
  local port=$1 metrics_port=$2 webhook_url=$3 logfile=$4 template=${5:-$ROOT/scripts/sockudo.toml} config
  port_open 127.0.0.1 "$port" && die "port $port is taken; choose another with the *_SOCKUDO_PORT variable"
  config="$(mktemp -d)/sockudo.toml"
  sed -e "s|@APP_ID@|$PUSHER_APP_ID|; s|@KEY@|$PUSHER_KEY|; s|@SECRET@|$PUSHER_SECRET|" \
    -e "s|@WEBHOOK_URL@|$webhook_url|; s|@PORT@|$port|; s|@METRICS_PORT@|$metrics_port|" \
    "$template" >"$config"
  # sockudo reads ./config/config.toml when present: start it from the temporary folder. PORT and
  # HOST from the environment would win over the file (PORT=4000 scripts/dev is the dev server's).
  (cd "$(dirname "$config")" && exec env -u SOCKUDO_DEFAULT_APP_ID -u SOCKUDO_DEFAULT_APP_KEY \
    -u SOCKUDO_DEFAULT_APP_SECRET -u PORT -u HOST sockudo --config "$config") >"$logfile" 2>&1 &
  STARTED_PIDS+=($!)
  wait_for_port 127.0.0.1 "$port" "sockudo (log: $logfile)" 30
  # A config mistake makes sockudo fall back to its defaults silently: check it really is ours.
  curl -fsS "http://127.0.0.1:$port/up/$PUSHER_APP_ID" >/dev/null 2>&1 \
    || die "sockudo on $port does not serve app $PUSHER_APP_ID (log: $logfile)"
}

# --- A real S3 server: s3s-fs (SigV4, expiry and signed lengths checked) behind a CORS front ------
S3S_FS_VERSION="0.14.1"
# Local credentials and bucket, the same names production uses (docs/storage.md); never deploy them.
LOCAL_S3_ACCESS_KEY_ID=local-s3-access-key
LOCAL_S3_SECRET_ACCESS_KEY=local-s3-secret-key-0123456789
LOCAL_S3_BUCKET=chat-files

ensure_s3() {
  if command -v s3s-fs >/dev/null && s3s-fs --version 2>/dev/null | grep -q "$S3S_FS_VERSION"; then return; fi
  log "installing s3s-fs $S3S_FS_VERSION (cargo install, about 4 minutes once)"
  # Its own build folder, not the project's CARGO_TARGET_DIR.
  env -u CARGO_TARGET_DIR cargo install s3s-fs --version "$S3S_FS_VERSION" --features binary --locked \
    || die "cargo install s3s-fs failed"
}

# start_s3 <port> <data dir> [<allowed origins>]: s3s-fs on <port>+1 serving <data dir> (kept
# between runs), and scripts/s3-cors.mjs on <port> in front of it, which answers browsers'
# preflights for <allowed origins> (comma-separated, "*" by default) and forwards everything else
# unchanged. Creates the bucket LOCAL_S3_BUCKET (a folder of the data dir) and exports the
# STORAGE_S3_* variables for the servers started after it.
start_s3() {
  local port=$1 data=$2 origins=${3:-*} inner=$(($1 + 1))
  ensure_s3
  port_open 127.0.0.1 "$port" && die "port $port is taken; choose another with the *_S3_PORT variable"
  port_open 127.0.0.1 "$inner" && die "port $inner (the S3 server behind the CORS front on $port) is taken"
  mkdir -p "$data/$LOCAL_S3_BUCKET"
  s3s-fs --host 127.0.0.1 --port "$inner" --access-key "$LOCAL_S3_ACCESS_KEY_ID" \
    --secret-key "$LOCAL_S3_SECRET_ACCESS_KEY" "$data" >"$data.log" 2>&1 &
  STARTED_PIDS+=($!)
  wait_for_port 127.0.0.1 "$inner" "s3s-fs (log: $data.log)" 30
  node "$ROOT/scripts/s3-cors.mjs" --port "$port" --upstream "127.0.0.1:$inner" --origins "$origins" >"$data.cors.log" 2>&1 &
  STARTED_PIDS+=($!)
  wait_for_port 127.0.0.1 "$port" "the S3 CORS front (log: $data.cors.log)" 30
  export STORAGE_S3_ENDPOINT="http://127.0.0.1:$port" STORAGE_S3_REGION=us-east-1 STORAGE_S3_BUCKET="$LOCAL_S3_BUCKET"
  export STORAGE_S3_ACCESS_KEY_ID="$LOCAL_S3_ACCESS_KEY_ID" STORAGE_S3_SECRET_ACCESS_KEY="$LOCAL_S3_SECRET_ACCESS_KEY"
  export STORAGE_S3_PATH_STYLE=true
}

# --- Redis, shared by sockudo nodes that serve one app together -----------------------------------
# ensure_redis <private-port> <key prefix>: the machine's Redis on 127.0.0.1:6379 when it answers a
# PING, else Debian's redis-server (installed when missing) started privately on <private-port>
# without persistence. Sets REDIS_PORT and REDIS_PREFIX: every key and pub/sub channel of these
# nodes starts with the prefix, so runs on one Redis never see each other (pub/sub ignores database
# numbers); on the shared server, cleanup deletes this prefix's keys and nothing else.
REDIS_PREFIX=""
REDIS_SHARED=""
redis_answers() { # port
  (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'PING\r\n' >&3 && read -r -t 2 reply <&3 && [[ "$reply" == "+PONG"* ]]) 2>/dev/null
}
ensure_redis() {
  local private_port=$1 dir
  REDIS_PREFIX=$2
  if redis_answers 6379; then REDIS_PORT=6379; REDIS_SHARED=1; return; fi
  command -v redis-server >/dev/null || apt_install redis-server
  redis_answers "$private_port" && die "a Redis already answers on $private_port; choose another port"
  port_open 127.0.0.1 "$private_port" && die "port $private_port is taken; choose another Redis port"
  dir=$(mktemp -d)
  log "starting private Redis on 127.0.0.1:$private_port"
  redis-server --port "$private_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    --logfile "$dir/redis.log" &
  STARTED_PIDS+=($!)
  wait_for_port 127.0.0.1 "$private_port" "redis-server (log: $dir/redis.log)" 15
  REDIS_PORT=$private_port
}

# Deletes this run's keys (REDIS_PREFIX*) from the machine's Redis; a private one just stops.
forget_redis_keys() {
  [ -n "$REDIS_SHARED" ] && [ -n "$REDIS_PREFIX" ] && command -v redis-cli >/dev/null || return 0
  redis-cli -p "$REDIS_PORT" --scan --pattern "${REDIS_PREFIX}*" | xargs -r -n 100 redis-cli -p "$REDIS_PORT" del >/dev/null
}

# sockudo_cluster_template: scripts/sockudo.toml with the adapter, cache and webhook queue on the
# Redis of ensure_redis, on stdout. Nodes started from it share channels, presence members,
# /channels counts and webhooks: an event published through any node reaches every node's clients.
sockudo_cluster_template() {
  sed -e '/^\[\(adapter\|cache\|queue\)\]$/,/^$/d' "$ROOT/scripts/sockudo.toml"
  cat <<TOML

[database.redis]
host = "127.0.0.1"
port = $REDIS_PORT
db = 0
key_prefix = "${REDIS_PREFIX}"

[adapter]
driver = "redis"
# Without Redis a node must not start alone and serve a view of the app the others do not share.
fallback_to_local = false

[adapter.redis]
prefix = "${REDIS_PREFIX}adapter"

# A node that stops answering is dropped from the others' presence and counts within 3 s.
[adapter.cluster_health]
enabled = true
heartbeat_interval_ms = 1000
node_timeout_ms = 3000
cleanup_interval_ms = 1000

[cache]
driver = "redis"

[cache.redis]
prefix = "${REDIS_PREFIX}cache:"

# Webhooks go through one queue in Redis: any node's worker may deliver any node's webhook.
[queue]
driver = "redis"

[queue.redis]
prefix = "${REDIS_PREFIX}queue:"
TOML
}

# --- A push service for Web Push tests ----------------------------------------------------------
# ensure_push_venv: tests/push/requirements.txt (http-ece, py-vapid, websockets; pinned) in
# .local/venv-push, installed by pip when missing or when the list changed.
PUSH_VENV="$ROOT/.local/venv-push"
ensure_push_venv() {
  local requirements="$ROOT/tests/push/requirements.txt"
  if [ -x "$PUSH_VENV/bin/python" ] && [ ! "$requirements" -nt "$PUSH_VENV/.installed" ]; then return; fi
  log "installing the test push service's packages into .local/venv-push (pip)"
  command -v python3 >/dev/null || apt_install python3
  python3 -m venv "$PUSH_VENV" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$PUSH_VENV"; } \
    || die "cannot create a Python virtualenv"
  "$PUSH_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" || die "pip install failed"
  touch "$PUSH_VENV/.installed"
}

# start_push_service <port> <logfile> [<websocket port>]: tests/push/push_service.py, a push
# service that verifies VAPID and decrypts what it receives (and, with a websocket port, speaks
# Mozilla's push protocol to Firefox).
start_push_service() {
  local port=$1 logfile=$2 ws_port=${3:-}
  ensure_push_venv
  port_open 127.0.0.1 "$port" && die "port $port is taken; choose another with TEST_PUSH_PORT"
  "$PUSH_VENV/bin/python" "$ROOT/tests/push/push_service.py" --port "$port" ${ws_port:+--ws-port "$ws_port"} >"$logfile" 2>&1 &
  STARTED_PIDS+=($!)
  wait_for_port 127.0.0.1 "$port" "the test push service (log: $logfile)" 30
}

# --- PostgreSQL ----------------------------------------------------------------------------------
find_pg_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/initdb" ] && { PG_BIN=$dir; return 0; }
  done
  return 1
}

run_as_pg_user() {
  if [ -n "$PRIVATE_PG_USER" ]; then runuser -u "$PRIVATE_PG_USER" -- "$@"; else "$@"; fi
}

# Sets PG_ADMIN_URL (a superuser URL on the maintenance database) and PG_URL_BASE (URL without
# the database name). Order: $DATABASE_URL; the local server on 127.0.0.1:5432; a private
# cluster started here with the system binaries on port <private-port>, in .local/<folder>.
ensure_postgres() {
  local private_port=$1 folder=${2:-pg}
  if [ -n "${DATABASE_URL:-}" ]; then
    PG_ADMIN_URL="$DATABASE_URL"; PG_URL_BASE="${DATABASE_URL%/*}"; return
  fi
  command -v psql >/dev/null || apt_install postgresql-client
  if [ -z "${PUSHER_CHAT_PRIVATE_PG:-}" ] && psql "postgres://postgres@127.0.0.1:5432/postgres" -qtAc 'select 1' >/dev/null 2>&1; then
    PG_URL_BASE="postgres://postgres@127.0.0.1:5432"; PG_ADMIN_URL="$PG_URL_BASE/postgres"; return
  fi
  find_pg_bin || { apt_install postgresql; find_pg_bin || die "no PostgreSQL server binaries found"; }
  PRIVATE_PG_DATA="$ROOT/.local/$folder"
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root: run the private cluster as an unprivileged user, in a
    # folder that user can reach.
    PRIVATE_PG_USER=postgres
    id -u "$PRIVATE_PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home "$PRIVATE_PG_USER"
    runuser -u "$PRIVATE_PG_USER" -- test -x "$ROOT" 2>/dev/null || PRIVATE_PG_DATA="/tmp/pusher-chat-$folder-$(echo "$ROOT" | md5sum | cut -c1-8)"
  fi
  mkdir -p "$PRIVATE_PG_DATA"
  [ -n "$PRIVATE_PG_USER" ] && chown -R "$PRIVATE_PG_USER" "$PRIVATE_PG_DATA"
  if [ ! -f "$PRIVATE_PG_DATA/PG_VERSION" ]; then
    log "creating a private PostgreSQL cluster in $PRIVATE_PG_DATA"
    run_as_pg_user "$PG_BIN/initdb" -D "$PRIVATE_PG_DATA" -U postgres --auth=trust -E UTF8 >/dev/null \
      || die "initdb failed"
  fi
  log "starting private PostgreSQL on 127.0.0.1:$private_port"
  run_as_pg_user "$PG_BIN/pg_ctl" -D "$PRIVATE_PG_DATA" -l "$PRIVATE_PG_DATA/server.log" -w \
    -o "-p $private_port -c listen_addresses=127.0.0.1 -k $PRIVATE_PG_DATA -c max_connections=300 -c fsync=off" start >/dev/null \
    || die "private PostgreSQL did not start (log: $PRIVATE_PG_DATA/server.log)"
  PG_URL_BASE="postgres://postgres@127.0.0.1:$private_port"; PG_ADMIN_URL="$PG_URL_BASE/postgres"
}

# start_pgbouncer <port>: a transaction-mode pooler that requires TLS from clients, in front of
# PG_URL_BASE's server, as Supabase's Supavisor (port 6543) runs in production; sets
# PGBOUNCER_URL_BASE.
start_pgbouncer() {
  local port=$1 dir pg_host pg_port user=postgres
  command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || apt_install pgbouncer
  port_open 127.0.0.1 "$port" && die "port $port is taken; choose another with TEST_PGBOUNCER_PORT"
  pg_host=$(echo "$PG_URL_BASE" | sed -E 's|^postgres(ql)?://([^@]*@)?([^:/]+).*|\3|')
  pg_port=$(echo "$PG_URL_BASE" | sed -E 's|^.*:([0-9]+)$|\1|')
  dir=$(mktemp -d)
  # Clients must use TLS, as with Supabase's pooler: a throwaway self-signed certificate.
  command -v openssl >/dev/null || apt_install openssl
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 || die "openssl could not make a certificate"
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$pg_host port=$pg_port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,application_name
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
client_tls_sslmode = require
client_tls_key_file = $dir/key.pem
client_tls_cert_file = $dir/cert.pem
INI
  echo '"postgres" ""' >"$dir/users.txt"
  # PgBouncer refuses to run as root.
  if [ "$(id -u)" = 0 ]; then
    id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user"
    chown -R "$user" "$dir"
    runuser -u "$user" -- "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" "$dir/pgbouncer.ini" >"$dir/stdout.log" 2>&1 &
  else
    "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" "$dir/pgbouncer.ini" >"$dir/stdout.log" 2>&1 &
  fi
  STARTED_PIDS+=($!)
  wait_for_port 127.0.0.1 "$port" "pgbouncer (log: $dir/pgbouncer.log)" 15
  PGBOUNCER_URL_BASE="postgres://postgres@127.0.0.1:$port"
}

# create_database <name>: creates it when missing, on the server of PG_ADMIN_URL.
create_database() {
  psql "$PG_ADMIN_URL" -qtAc "select 1 from pg_database where datname = '$1'" | grep -q 1 \
    || psql "$PG_ADMIN_URL" -qc "create database \"$1\"" >/dev/null
}

# Local Pusher app and token secret: the same names production uses, with local values.
local_env_defaults() {
  export PUSHER_APP_ID="${PUSHER_APP_ID:-local-app}"
  export PUSHER_KEY="${PUSHER_KEY:-local-key}"
  export PUSHER_SECRET="${PUSHER_SECRET:-local-secret}"
  export PUSHER_HOST="${PUSHER_HOST:-127.0.0.1}"
  export PUSHER_USE_TLS="${PUSHER_USE_TLS:-false}"
  export SUPABASE_JWT_SECRET="${SUPABASE_JWT_SECRET:-local-only-jwt-secret-for-development-0123456789}"
}

# A VAPID key pair for local use only (scripts/dev, the tests' dev servers); never deploy it:
# generate your own (docs/push.md).
LOCAL_VAPID_PUBLIC_KEY=BL0LjdyHjMCykDxJd4A1hqPtmngEo6s5NpryJLLQgDI6yrAd6EPeIcUE-N2UyICS_PXkriQyq_te-sxLekpvKFM
LOCAL_VAPID_PRIVATE_KEY=ryhgoMPbpFFhiVroXRo1ul9tKd-M6rQ_DSqEeAzxgbQ
