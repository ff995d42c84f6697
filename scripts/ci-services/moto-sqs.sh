#!/usr/bin/env bash
# A real SQS-compatible server for the tests: moto's server mode (Apache-2.0, PyPI `moto[server]`), on loopback.
# (goaws v0.4.5, the Go module, speaks only SQS's query protocol; the AWS SDK v3 speaks the JSON one.)
#
#   moto-sqs.sh install            pip install moto[server]==5.2.5 into a venv under $EKV_CI_BIN/moto (skipped when there)
#   moto-sqs.sh start STATE_DIR    start it; writes STATE_DIR/env (export lines for the tests) and STATE_DIR/pid
#   moto-sqs.sh stop STATE_DIR     stop the server started with that STATE_DIR and remove STATE_DIR
#
# The tests find the server through EKV_TEST_SQS_ENDPOINT (http://127.0.0.1:PORT) in STATE_DIR/env; any
# credentials are accepted. Each test uses its own queue names.
set -euo pipefail
# shellcheck source=scripts/ci-services/service.sh
source "$(dirname "$0")/service.sh"

VERSION=5.2.5
VENV="${BIN_DIR}/moto"
SERVER="${VENV}/bin/moto_server"
STAMP="${VENV}/moto.version"

install_moto() {
  if up_to_date "$SERVER" "$STAMP"; then return 0; fi
  if ! command -v python3 >/dev/null 2>&1; then
    echo "moto-sqs.sh: python3 is required to install moto" >&2
    exit 1
  fi
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "moto[server]==${VERSION}"
  echo "$VERSION" > "$STAMP"
}

start_moto() {
  local state="$1"
  install_moto
  mkdir -p "$state"
  local port
  port="$(free_port)"
  "$SERVER" -H 127.0.0.1 -p "$port" >"$state/log" 2>&1 &
  echo $! > "$state/pid"
  wait_listening "$state" "$port" 200
  echo "export EKV_TEST_SQS_ENDPOINT=http://127.0.0.1:${port}" > "$state/env"
}

service_main install_moto start_moto "$@"
