#!/usr/bin/env bash
# A real DynamoDB-compatible server for the tests: dynalite (MIT, npm; DynamoDB's API on an in-memory LevelDB),
# on loopback. (DynamoDB Local is not open source and is not used.)
#
#   dynalite.sh install            npm install dynalite@4.0.0 under $EKV_CI_BIN/dynalite (skipped when already there)
#   dynalite.sh start STATE_DIR    start it; writes STATE_DIR/env (export lines for the tests) and STATE_DIR/pid
#   dynalite.sh stop STATE_DIR     stop the server started with that STATE_DIR and remove STATE_DIR
#
# The tests find the server through EKV_TEST_DYNAMODB_ENDPOINT (http://127.0.0.1:PORT) in STATE_DIR/env; any
# credentials are accepted. Each test uses its own table names.
set -euo pipefail

VERSION=4.0.0
BIN_DIR="${EKV_CI_BIN:-${HOME}/.cache/elastickv-snapshot-ci/bin}"
PKG_DIR="${BIN_DIR}/dynalite"
CLI="${PKG_DIR}/node_modules/dynalite/cli.js"
STAMP="${PKG_DIR}/dynalite.version"

install_dynalite() {
  if [[ -f "$CLI" && -f "$STAMP" && "$(cat "$STAMP")" == "$VERSION" ]]; then
    return 0
  fi
  mkdir -p "$PKG_DIR"
  npm install --no-audit --no-fund --no-save --prefix "$PKG_DIR" "dynalite@${VERSION}" >/dev/null
  echo "$VERSION" > "$STAMP"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

start_dynalite() {
  local state="$1"
  install_dynalite
  mkdir -p "$state"
  local port
  port="$(free_port)"
  node "$CLI" --host 127.0.0.1 --port "$port" --createTableMs 50 --deleteTableMs 50 --updateTableMs 50 >"$state/log" 2>&1 &
  echo $! > "$state/pid"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      echo "export EKV_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:${port}" > "$state/env"
      return 0
    fi
    if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then
      echo "dynalite.sh: dynalite exited:" >&2
      cat "$state/log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "dynalite.sh: dynalite did not listen on 127.0.0.1:${port}" >&2
  stop_dynalite "$state"
  exit 1
}

stop_dynalite() {
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
  install) install_dynalite ;;
  start) start_dynalite "${2:?state directory required}" ;;
  stop) stop_dynalite "${2:?state directory required}" ;;
  *) echo "usage: $0 install | start STATE_DIR | stop STATE_DIR" >&2; exit 1 ;;
esac
