#!/usr/bin/env bash
# A real S3-compatible server for the tests: versitygw (Apache-2.0) with its posix backend, on loopback.
#
#   versitygw.sh install            go install versitygw@v1.8.0 into $EKV_CI_BIN (skipped when already there)
#   versitygw.sh start STATE_DIR    start it; writes STATE_DIR/env (export lines for the tests) and STATE_DIR/pid
#   versitygw.sh stop STATE_DIR     stop the server started with that STATE_DIR and remove STATE_DIR
#
# The tests find the server through the variables in STATE_DIR/env:
#   EKV_TEST_S3_ENDPOINT (http://127.0.0.1:PORT), EKV_TEST_S3_ACCESS_KEY, EKV_TEST_S3_SECRET_KEY, EKV_TEST_S3_REGION.
# Each test creates its own buckets. The binary is cached under $EKV_CI_BIN (default ~/.cache/elastickv-snapshot-ci/bin)
# so repeated runs do not rebuild it.
set -euo pipefail
# shellcheck source=scripts/ci-services/service.sh
source "$(dirname "$0")/service.sh"

VERSION=v1.8.0
BIN="${BIN_DIR}/versitygw"
STAMP="${BIN_DIR}/versitygw.version"

install_gw() {
  if up_to_date "$BIN" "$STAMP"; then return 0; fi
  if ! command -v go >/dev/null 2>&1; then
    echo "versitygw.sh: go is required to build versitygw (https://go.dev/dl/)" >&2
    exit 1
  fi
  mkdir -p "$BIN_DIR"
  GOBIN="$BIN_DIR" go install "github.com/versity/versitygw/cmd/versitygw@${VERSION}"
  echo "$VERSION" > "$STAMP"
}

start_gw() {
  local state="$1"
  install_gw
  mkdir -p "$state/data"
  local port access secret
  port="$(free_port)"
  access="ekvtest$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
  secret="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  ROOT_ACCESS_KEY_ID="$access" ROOT_SECRET_ACCESS_KEY="$secret" \
    "$BIN" --port "127.0.0.1:${port}" --quiet posix "$state/data" >"$state/log" 2>&1 &
  echo $! > "$state/pid"
  wait_listening "$state" "$port" 100
  cat > "$state/env" <<ENV
export EKV_TEST_S3_ENDPOINT=http://127.0.0.1:${port}
export EKV_TEST_S3_ACCESS_KEY=${access}
export EKV_TEST_S3_SECRET_KEY=${secret}
export EKV_TEST_S3_REGION=us-east-1
ENV
}

service_main install_gw start_gw "$@"
