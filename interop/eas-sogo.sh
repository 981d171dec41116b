#!/usr/bin/env bash
# eas-sogo.sh - the EAS interop suite: starts SOGo with ActiveSync on loopback
# (interop/easserver/start), runs the Go interop tests of interop/eas (the
# client) and interop/convert (every SOGo item converts to iCalendar/vCard
# and back) against it, stops and purges the server on exit. Run as root from any directory.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

if ! ls interop/eas/*_test.go >/dev/null 2>&1; then
	echo "eas-sogo: interop/eas has no tests yet; nothing was run" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

cleanup() { interop/easserver/stop --purge || echo "eas-sogo: stop failed" >&2; }
trap cleanup EXIT
trap 'exit 130' INT TERM

env_lines=$(interop/easserver/start) || {
	echo "eas-sogo: the EAS server did not start" >&2
	echo "0 passed, 1 failed"
	exit 1
}
set -a
eval "$env_lines"
set +a

out=$(mktemp)
go test -tags interop -count=1 -p 1 -v ./interop/eas/ ./interop/convert/ 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
passed=$(grep -cE '^[[:space:]]*--- PASS' "$out")
failed=$(grep -cE '^[[:space:]]*--- FAIL' "$out")
rm -f "$out"
# a build failure or a panic fails the suite even without a --- FAIL line
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$rc" = 0 ] && [ "$failed" = 0 ]
