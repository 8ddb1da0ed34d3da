#!/usr/bin/env bash
# Serve Attention Explorer with N Streamlit replicas behind nginx (Debian's package), on one machine.
#
#   scripts/serve.sh --replicas 2 --port 8080                 # http://127.0.0.1:8080
#   scripts/serve.sh --replicas 2 --port 80 --address 0.0.0.0 # a school server's LAN
#
# Each replica is `python -m streamlit run app.py` on its own loopback port (--replica-port, default
# port+1, port+2, ...).  nginx runs in the foreground as the invoking user with a configuration
# rendered from deploy/nginx/*.template into the run directory (--run-dir, default a fresh temp
# dir): pid file, logs and temp files all live there; no system configuration is read or written.
# nginx pins each browser to one replica with a cookie (see deploy/nginx/site.conf.template).
# Ctrl-C / SIGTERM stops nginx and every replica this script started.  A replica that dies is not
# restarted (nginx routes its sessions to the others; use Compose or Kubernetes for restarts).
#
# Other modes:
#   --config-only                      render the configuration into --run-dir, check it with
#                                      `nginx -t`, print the run dir, exit
#   --print-site --upstreams "h:p ..." [--listen L] [--access-log PATH]
#                                      print the site configuration for other hosts (Compose)
# Options: --expose-upstream adds an `X-Upstream: <replica address>` response header (tests use it
# to see which replica served a session; leave it off in production).
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true     # '&' in a replacement stays literal
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PYTHON:-python3}"
NGINX="${NGINX:-/usr/sbin/nginx}"

REPLICAS=2
PORT=8080
ADDRESS=127.0.0.1
REPLICA_PORT=""
RUN_DIR=""
EXPOSE_UPSTREAM=0
MODE=serve
UPSTREAMS=""
LISTEN=""
ACCESS_LOG=""

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "serve.sh: $*" >&2; exit 2; }
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) need_value "$@"; REPLICAS="$2"; shift 2 ;;
    --port) need_value "$@"; PORT="$2"; shift 2 ;;
    --address) need_value "$@"; ADDRESS="$2"; shift 2 ;;
    --replica-port) need_value "$@"; REPLICA_PORT="$2"; shift 2 ;;
    --run-dir) need_value "$@"; RUN_DIR="$2"; shift 2 ;;
    --expose-upstream) EXPOSE_UPSTREAM=1; shift ;;
    --config-only) MODE=config; shift ;;
    --print-site) MODE=print; shift ;;
    --upstreams) need_value "$@"; UPSTREAMS="$2"; shift 2 ;;
    --listen) need_value "$@"; LISTEN="$2"; shift 2 ;;
    --access-log) need_value "$@"; ACCESS_LOG="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

is_int() { [[ "$1" =~ ^[0-9]+$ ]]; }
is_int "$REPLICAS" && [ "$REPLICAS" -ge 1 ] && [ "$REPLICAS" -le 32 ] || die "--replicas must be 1..32"
is_int "$PORT" && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "--port must be 1..65535"
REPLICA_PORT="${REPLICA_PORT:-$((PORT + 1))}"
is_int "$REPLICA_PORT" && [ $((REPLICA_PORT + REPLICAS - 1)) -le 65535 ] || die "--replica-port out of range"

# The upload limit: Streamlit's server.maxUploadSize (MiB), read from the one place it is set.
MAX_BODY_MB="$("$PY" - "$ROOT/.streamlit/config.toml" <<'PYEOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    print(int(tomllib.load(f).get("server", {}).get("maxUploadSize", 200)))
PYEOF
)"

render_site() {  # $1 = upstream "host:port" list, $2 = listen, $3 = access log
  local servers="" hp header=""
  for hp in $1; do
    servers+="    server $hp max_fails=3 fail_timeout=10s;"$'\n'
  done
  [ "$EXPOSE_UPSTREAM" = 1 ] && header='    add_header X-Upstream $upstream_addr always;'
  local t
  t="$(<"$ROOT/deploy/nginx/site.conf.template")"
  t="${t//@UPSTREAM_SERVERS@$'\n'/$servers}"
  t="${t//@UPSTREAM_HEADER@/$header}"
  t="${t//@LISTEN@/$2}"
  t="${t//@ACCESS_LOG@/$3}"
  t="${t//@MAX_BODY_MB@/$MAX_BODY_MB}"
  printf '%s\n' "$t"
}

if [ "$MODE" = print ]; then
  [ -n "$UPSTREAMS" ] || die "--print-site needs --upstreams \"host:port ...\""
  render_site "$UPSTREAMS" "${LISTEN:-80}" "${ACCESS_LOG:-/var/log/nginx/access.log}"
  exit 0
fi

[ -x "$NGINX" ] || die "$NGINX not found: install Debian's nginx (apt-get install nginx)"
if [ -z "$RUN_DIR" ]; then
  RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/attention-explorer-serve.XXXXXX")"
else
  mkdir -p "$RUN_DIR"
  RUN_DIR="$(cd "$RUN_DIR" && pwd)"
fi
mkdir -p "$RUN_DIR/tmp"

ports=()
upstreams=""
for ((i = 0; i < REPLICAS; i++)); do
  ports+=($((REPLICA_PORT + i)))
  upstreams+="127.0.0.1:$((REPLICA_PORT + i)) "
done

user_line=""
if [ "$(id -u)" -eq 0 ]; then
  # As root, nginx would start its workers as "nobody" anyway: say so, and let them use the
  # temp dirs (never run the workers as root).
  user_line="user nobody nogroup;"
  chmod 711 "$RUN_DIR"
  chown -R nobody:nogroup "$RUN_DIR/tmp"
fi
render_site "$upstreams" "$ADDRESS:$PORT" "$RUN_DIR/access.log" >"$RUN_DIR/site.conf"
t="$(<"$ROOT/deploy/nginx/nginx.conf.template")"
t="${t//@RUN_DIR@/$RUN_DIR}"
t="${t//@USER_LINE@/$user_line}"
printf '%s\n' "$t" >"$RUN_DIR/nginx.conf"

nginx_args=(-p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e "$RUN_DIR/error.log")
"$NGINX" "${nginx_args[@]}" -t -q || die "nginx rejected $RUN_DIR/nginx.conf (see above)"
if [ "$MODE" = config ]; then
  echo "$RUN_DIR"
  exit 0
fi

# --- serve -------------------------------------------------------------------------------------
port_free() {  # $1 = address, $2 = port
  "$PY" - "$1" "$2" <<'PYEOF'
import socket, sys
with socket.socket() as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((sys.argv[1], int(sys.argv[2])))
    except OSError:
        sys.exit(1)
PYEOF
}
port_free "$ADDRESS" "$PORT" || die "port $PORT on $ADDRESS is in use (choose another with --port)"
for p in "${ports[@]}"; do
  port_free 127.0.0.1 "$p" || die "replica port $p is in use (choose others with --replica-port)"
done

replica_pids=()
nginx_pid=""
cleanup() {
  trap - EXIT INT TERM
  local p
  [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null || true
  for p in "${replica_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${replica_pids[@]}" $nginx_pid; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  echo "serve.sh: stopped (logs in $RUN_DIR)" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One cookie secret for all replicas (signed cookies, e.g. st.login, then verify on any replica).
export STREAMLIT_SERVER_COOKIE_SECRET="${STREAMLIT_SERVER_COOKIE_SECRET:-$("$PY" -c 'import secrets; print(secrets.token_hex(32))')}"
export STREAMLIT_BROWSER_GATHER_USAGE_STATS=false PYTHONUNBUFFERED=1
: >"$RUN_DIR/replicas.tsv"
for ((i = 0; i < REPLICAS; i++)); do
  (cd "$ROOT" && exec "$PY" -m streamlit run app.py --server.port "${ports[$i]}" \
     --server.address 127.0.0.1 --server.headless true) >"$RUN_DIR/replica-$i.log" 2>&1 </dev/null &
  replica_pids+=($!)
  printf '%s\t%s\t%s\n' "$i" "${ports[$i]}" "$!" >>"$RUN_DIR/replicas.tsv"
done

wait_healthy() {  # $1 = base URL, $2 = seconds
  "$PY" - "$1" "$2" <<'PYEOF'
import sys, time, urllib.request
url, deadline = sys.argv[1] + "/_stcore/health", time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            if r.read().strip() == b"ok":
                sys.exit(0)
    except Exception:
        time.sleep(0.3)
sys.exit(1)
PYEOF
}
for ((i = 0; i < REPLICAS; i++)); do
  kill -0 "${replica_pids[$i]}" 2>/dev/null || die "replica $i exited at start (see $RUN_DIR/replica-$i.log)"
  wait_healthy "http://127.0.0.1:${ports[$i]}" 180 || die "replica $i not healthy (see $RUN_DIR/replica-$i.log)"
done

"$NGINX" "${nginx_args[@]}" -g 'daemon off;' </dev/null &
nginx_pid=$!
host="$ADDRESS"; [ "$host" = 0.0.0.0 ] && host=127.0.0.1
wait_healthy "http://$host:$PORT" 30 || die "nginx not answering (see $RUN_DIR/error.log)"
touch "$RUN_DIR/ready"
echo "serve.sh: http://$ADDRESS:$PORT -> $REPLICAS replica(s) on 127.0.0.1:${ports[*]} (run dir $RUN_DIR)" >&2

declare -A reported=()
while kill -0 "$nginx_pid" 2>/dev/null; do
  for ((i = 0; i < REPLICAS; i++)); do
    if [ -z "${reported[$i]:-}" ] && ! kill -0 "${replica_pids[$i]}" 2>/dev/null; then
      echo "serve.sh: replica $i (pid ${replica_pids[$i]}, port ${ports[$i]}) exited;" \
           "nginx sends its sessions to the others" >&2
      reported[$i]=1
    fi
  done
  sleep 1 &
  wait $! || true
done
echo "serve.sh: nginx exited (see $RUN_DIR/error.log)" >&2
exit 1
