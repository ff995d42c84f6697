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
# shellcheck source=scripts/ci-services/service.sh
source "$(dirname "$0")/service.sh"

VERSION=4.0.0
PKG_DIR="${BIN_DIR}/dynalite"
CLI="${PKG_DIR}/node_modules/dynalite/cli.js"
STAMP="${PKG_DIR}/dynalite.version"

install_dynalite() {
  if up_to_date "$CLI" "$STAMP"; then return 0; fi
  mkdir -p "$PKG_DIR"
  npm install --no-audit --no-fund --no-save --prefix "$PKG_DIR" "dynalite@${VERSION}" >/dev/null
  echo "$VERSION" > "$STAMP"
}

start_dynalite() {
  local state="$1"
  install_dynalite
  mkdir -p "$state"
  local port
  port="$(free_port)"
  node "$CLI" --host 127.0.0.1 --port "$port" --createTableMs 50 --deleteTableMs 50 --updateTableMs 50 >"$state/log" 2>&1 &
  echo $! > "$state/pid"
  wait_listening "$state" "$port" 100
  echo "export EKV_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:${port}" > "$state/env"
}

service_main install_dynalite start_dynalite "$@"
