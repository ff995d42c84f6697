#!/usr/bin/env bash
# A real SQS-compatible server for the tests: moto's server mode (Apache-2.0, PyPI `moto[server]`), on loopback.
# (goaws v0.4.5, the Go module, speaks only SQS's query protocol; the AWS SDK v3 speaks the JSON protocol.)
#
#   moto-sqs.sh install            pip install moto[server]==5.2.5 into a venv under $EKV_CI_BIN/moto (skipped when there)
#   moto-sqs.sh start STATE_DIR    start it; writes STATE_DIR/env (export lines for the tests) and STATE_DIR/pid
#   moto-sqs.sh stop STATE_DIR     stop the server started with that STATE_DIR and remove STATE_DIR
#
# The tests find the server through EKV_TEST_SQS_ENDPOINT (http://127.0.0.1:PORT) in STATE_DIR/env; any
# credentials are accepted. Each test uses its own queue names.
set -euo pipefail

VERSION=5.2.5
BIN_DIR="${EKV_CI_BIN:-${HOME}/.cache/elastickv-snapshot-ci/bin}"
VENV="${BIN_DIR}/moto"
SERVER="${VENV}/bin/moto_server"
STAMP="${VENV}/moto.version"

install_moto() {
  if [[ -x "$SERVER" && -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" ]]; then
    return 0
  fi
  if ! command -v python3 >/dev/null 2>&1; then
    echo "moto-sqs.sh: python3 is required to install moto" >&2
    exit 1
  fi
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "moto[server]==${VERSION}"
  echo "$VERSION" > "$STAMP"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

start_moto() {
  local state="$1"
  install_moto
  mkdir -p "$state"
  local port
  port="$(free_port)"
  "$SERVER" -H 127.0.0.1 -p "$port" >"$state/log" 2>&1 &
  echo $! > "$state/pid"
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      echo "export EKV_TEST_SQS_ENDPOINT=http://127.0.0.1:${port}" > "$state/env"
      return 0
    fi
    if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then
      echo "moto-sqs.sh: moto_server exited:" >&2
      cat "$state/log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "moto-sqs.sh: moto_server did not listen on 127.0.0.1:${port}" >&2
  stop_moto "$state"
  exit 1
}

stop_moto() {
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

case "${1:-}" in
  install) install_moto ;;
  start) start_moto "${2:?state directory required}" ;;
  stop) stop_moto "${2:?state directory required}" ;;
  *) echo "usage: $0 install | start STATE_DIR | stop STATE_DIR" >&2; exit 1 ;;
esac
