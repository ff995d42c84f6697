# Sourced by versitygw.sh, dynalite.sh and moto-sqs.sh: what starting, waiting for and stopping a test server on
# loopback has in common. Each script sets VERSION and defines its install and start functions, then calls
# service_main.
#
#   <script> install            install the server under $EKV_CI_BIN (skipped when that version is already there)
#   <script> start STATE_DIR    start it; writes STATE_DIR/env (export lines for the tests) and STATE_DIR/pid
#   <script> stop STATE_DIR     stop the server started with that STATE_DIR and remove STATE_DIR

BIN_DIR="${EKV_CI_BIN:-${HOME}/.cache/elastickv-snapshot-ci/bin}"
SERVICE="$(basename "$0")"

# up_to_date PATH STAMP: PATH exists and STAMP records $VERSION.
up_to_date() {
  [[ -e "$1" && -f "$2" && "$(cat "$2")" == "$VERSION" ]]
}

# free_port: a TCP port free on 127.0.0.1 right now.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

# wait_listening STATE_DIR PORT TRIES: waits (0.1 s a try) until the server whose pid is in STATE_DIR/pid accepts
# connections on 127.0.0.1:PORT; if it exits first, prints its log; if it never listens, stops it. Exits 1 on both.
wait_listening() {
  local state="$1" port="$2" tries="$3"
  for _ in $(seq 1 "$tries"); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then return 0; fi
    if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then
      echo "${SERVICE}: the server exited:" >&2
      cat "$state/log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "${SERVICE}: the server did not listen on 127.0.0.1:${port}" >&2
  stop_service "$state"
  exit 1
}

# stop_service STATE_DIR: stops the server started with STATE_DIR (TERM, then KILL after 5 s) and removes STATE_DIR.
stop_service() {
  local state="$1"
  if [[ -f "$state/pid" ]]; then
    local pid
    pid="$(cat "$state/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$state"
}

# service_main INSTALL_FN START_FN ARGS...: runs the command line of the script.
service_main() {
  local install="$1" start="$2"
  shift 2
  case "${1:-}" in
    install) "$install" ;;
    start) "$start" "${2:?state directory required}" ;;
    stop) stop_service "${2:?state directory required}" ;;
    *) echo "usage: $0 install | start STATE_DIR | stop STATE_DIR" >&2; exit 1 ;;
  esac
}
