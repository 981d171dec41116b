#!/usr/bin/env bash
# Interop suite for easbridge's CalDAV/CardDAV server (issue 3): real
# Debian clients against `easbridge serve-dav` on a loopback port.
#   - vdirsyncer two-way sync with local vdirs (calendars and contacts)
#   - python3-caldav: discovery, time-range searches, todos, contacts
#   - litmus basic, copymove, props (failures must be on the list of
#     deliberate limits in interop/dav/litmus-expected)
#   - the PROPFIND/OPTIONS sequence Thunderbird sends, replayed with curl
#   - kill -9 during a burst of concurrent PUTs, then a restart
# Prints "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
HERE=interop/dav
PY=/usr/bin/python3

pkgs=()
command -v vdirsyncer >/dev/null || pkgs+=(vdirsyncer)
command -v litmus >/dev/null || pkgs+=(litmus)
command -v curl >/dev/null || pkgs+=(curl)
$PY -c 'import caldav, requests' 2>/dev/null || pkgs+=(python3-caldav python3-requests)
if [ ${#pkgs[@]} -gt 0 ]; then
	echo "installing ${pkgs[*]}"
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${pkgs[@]}" >/dev/null || exit 1
fi

T=$(mktemp -d /tmp/easbridge-dav.XXXXXX)
SERVER_PID=""
BURST_PID=""
cleanup() {
	[ -n "$BURST_PID" ] && kill "$BURST_PID" 2>/dev/null
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # check NAME COMMAND...: passes when the command succeeds
	local name=$1; shift
	if "$@" >"$T/check.out" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/     /' "$T/check.out" | tail -20; fi
}

export EASBRIDGE_DAV_PASSWORD="interop-$RANDOM-$RANDOM"
AUTH="easbridge:$EASBRIDGE_DAV_PASSWORD"
go build -o "$T/easbridge" ./cmd/easbridge || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
go build -o "$T/putburst" ./$HERE/putburst || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

# start_server DIR [ADDR]: starts serve-dav and sets SERVER_PID and URL.
start_server() {
	local dir=$1 addr=${2:-127.0.0.1:0}
	: >"$T/url"
	"$T/easbridge" serve-dav --dir "$dir" --listen "$addr" >"$T/url" 2>>"$T/server.log" &
	SERVER_PID=$!
	for _ in $(seq 100); do
		[ -s "$T/url" ] && break
		sleep 0.1
	done
	URL=$(head -n1 "$T/url")
	[ -n "$URL" ] || { echo "serve-dav did not start:"; cat "$T/server.log"; return 1; }
}
stop_server() {
	kill "$SERVER_PID" && wait "$SERVER_PID"
	local rc=$?
	SERVER_PID=""
	return $rc
}

start_server "$T/store" || { echo "0 passed, 1 failed"; exit 1; }
export URL AUTH T
echo "serve-dav at $URL"

for part in "$HERE"/[0-9]*.sh; do
	echo "== $(basename "$part")"
	# shellcheck source=/dev/null
	source "$part"
done

check "serve-dav stops cleanly on SIGTERM" stop_server
if grep -q -- "$EASBRIDGE_DAV_PASSWORD" "$T/server.log"; then fail "password kept out of the log"; else pass "password kept out of the log"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
