#!/usr/bin/env bash
# product.sh - the README's "run it" command as a newcomer meets it
# (issue 7): builds easbridge, starts `easbridge demo`, and checks from
# the outside with curl that DAV answers within seconds, the sample
# calendar and address book are there, a server-side change is pushed, a
# PUT is sent to the sample server, IMAP lists the sample mail; then
# `status` (over the daemon's control socket, and after a kill -9 with
# the stale socket), `doctor`, a restart in the same directory and a
# clean stop. Needs no EAS server: the demo brings its own. Stops what it
# started. Run from any directory.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

T=$(mktemp -d /tmp/eb-product-test.XXXXXX)
DEMOPID=
cleanup() {
	[ -n "$DEMOPID" ] && kill "$DEMOPID" 2>/dev/null && wait "$DEMOPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export XDG_RUNTIME_DIR=$T/runtime
mkdir -m 700 -p "$XDG_RUNTIME_DIR"

if ! command -v curl >/dev/null; then
	apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends curl ca-certificates >/dev/null 2>&1 ||
		{ fail "installing curl"; finish; }
fi
go build -o "$T/easbridge" ./cmd/easbridge || { fail "build"; finish; }
EB="$T/easbridge"
DIR=$T/demo
CFG=$DIR/config.toml

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# start_demo: starts the demo and waits for its DAV server; sets BASE, PW,
# IMAP and STARTUP_MS.
start_demo() {
	local t0 code=
	t0=$(now_ms)
	"$EB" demo --dir "$DIR" --port 0 --imap-port 0 --smtp-port 0 --changes 3s >"$T/demo.out" 2>>"$T/demo.err" &
	DEMOPID=$!
	BASE= PW=
	for _ in $(seq 1 2000); do
		BASE=$(awk '/server \(discovery\)/{print $3}' "$T/demo.out")
		PW=$(awk '/^  password /{print $2}' "$T/demo.out")
		if [ -n "$BASE" ] && [ -n "$PW" ] && grep -q 'Press Ctrl-C' "$T/demo.out"; then
			code=$(curl -s -o /dev/null -w '%{http_code}' -u "demo:$PW" -X PROPFIND -H 'Depth: 0' "$BASE")
			[ "$code" = 207 ] && break
		fi
		kill -0 "$DEMOPID" 2>/dev/null || break
		sleep 0.01
	done
	STARTUP_MS=$(($(now_ms) - t0))
	IMAP=$(awk '/^  IMAP /{print $2}' "$T/demo.out" | tr -d ,)
	[ "$code" = 207 ]
}

dav() { # dav METHOD PATH [BODY]: prints the response body
	curl -s -u "demo:$PW" -X "$1" -H 'Depth: 1' -H 'Content-Type: application/xml' ${3:+--data-binary "$3"} "$BASE${2#/}"
}
CALQ='<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/></c:comp-filter></c:filter></c:calendar-query>'
CARDQ='<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><card:address-data/></d:prop></card:addressbook-query>'

# wait_for SECONDS COMMAND...: retries COMMAND until it succeeds.
wait_for() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
events_at_least() { [ "$(dav REPORT calendars/demo/calendar/ "$CALQ" | grep -c 'BEGIN:VEVENT')" -ge "$1" ]; }
cards_at_least() { [ "$(dav REPORT contacts/demo/contacts/ "$CARDQ" | grep -c 'BEGIN:VCARD')" -ge "$1" ]; }
calendar_has() { dav REPORT calendars/demo/calendar/ "$CALQ" | grep -q "$1"; }

if start_demo; then
	pass "demo serves DAV after ${STARTUP_MS} ms"
else
	fail "demo did not serve DAV: $(tail -5 "$T/demo.err")"
	finish
fi
check "DAV came up within 5 seconds" [ "$STARTUP_MS" -lt 5000 ]
check "the settings print the user, password, CalDAV and CardDAV URLs" \
	grep -q "CalDAV  *${BASE}calendars/demo/" "$T/demo.out"
check "/.well-known/caldav leads to the principal" \
	bash -c "curl -s -o /dev/null -w '%{http_code}' -u 'demo:$PW' '${BASE}.well-known/caldav' | grep -q '^30[17]$'"
check "the seeded events are served" wait_for 20 events_at_least 10
check "the recurring meeting has its exception and attendees" \
	bash -c "$(declare -f dav); BASE='$BASE' PW='$PW'; dav REPORT calendars/demo/calendar/ '$CALQ' | tr -d '\r' | grep -q 'RECURRENCE-ID' && dav REPORT calendars/demo/calendar/ '$CALQ' | grep -q 'ATTENDEE'"
check "the seeded contacts are served, one with a photo" wait_for 20 cards_at_least 8
check "a contact has a PHOTO" bash -c "$(declare -f dav); BASE='$BASE' PW='$PW'; dav REPORT contacts/demo/contacts/ '$CARDQ' | grep -q PHOTO"
check "a server-side change is pushed within 15 s" wait_for 15 calendar_has "moved by the server (change"

ICS=$'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//product.sh//EN\r\nBEGIN:VEVENT\r\nUID:product-put-1\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:20260302T090000Z\r\nDTEND:20260302T100000Z\r\nSUMMARY:Put by product.sh\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'
code=$(curl -s -o /dev/null -w '%{http_code}' -u "demo:$PW" -X PUT -H 'Content-Type: text/calendar' --data-binary "$ICS" "${BASE}calendars/demo/calendar/product-put-1.ics")
check "a PUT is accepted (HTTP $code)" [ "$code" = 201 ]
outbox_empty() { "$EB" --config "$CFG" status --json | grep -q '"pending_outbox": 0' && ! "$EB" --config "$CFG" status --json | grep -q '"pending_outbox": [1-9]'; }
check "the PUT reaches the sample server (outbox drained)" wait_for 15 outbox_empty

if [ -n "$IMAP" ]; then
	check "IMAP lists the sample Inbox" bash -c "curl -s --user 'demo:$PW' 'imap://$IMAP/INBOX' -X 'EXAMINE INBOX' | grep -q 'EXISTS'"
else
	fail "the settings name no IMAP address"
fi

"$EB" --config "$CFG" status >"$T/status.out" 2>&1
check "status asks the running daemon" grep -q '^daemon: running' "$T/status.out"
check "status shows push live" wait_for 10 bash -c "'$EB' --config '$CFG' status | grep -q '  push: live'"
check "status lists the calendar folder" grep -q '  calendar ' "$T/status.out"
"$EB" --config "$CFG" doctor >"$T/doctor.out" 2>&1
check "doctor passes against the demo" grep -q '^all checks passed' "$T/doctor.out"
check "doctor prints no password" bash -c "! grep -q '$PW' '$T/doctor.out'"

kill -9 "$DEMOPID"
wait "$DEMOPID" 2>/dev/null
DEMOPID=
"$EB" --config "$CFG" status >"$T/status2.out" 2>&1
check "after kill -9, status reports the stale socket and reads the store" \
	bash -c "grep -q 'stale control socket' '$T/status2.out' && grep -q 'INBOX' '$T/status2.out'"
if start_demo; then
	pass "the demo restarts in the same directory after ${STARTUP_MS} ms"
else
	fail "the demo did not restart: $(tail -5 "$T/demo.err")"
fi
check "the restarted demo serves the control socket again" wait_for 10 bash -c "'$EB' --config '$CFG' status | grep -q '^daemon: running'"
check "the restarted demo serves the sample calendar" wait_for 20 events_at_least 10
kill "$DEMOPID"
wait "$DEMOPID"
rc=$?
DEMOPID=
check "SIGTERM stops the demo cleanly (exit $rc)" [ "$rc" = 0 ]
check "no control socket is left behind" bash -c "! ls '$XDG_RUNTIME_DIR'/easbridge/*.sock 2>/dev/null | grep -q ."
check "no password in the demo's log" bash -c "! grep -q '$PW' '$T/demo.err'"
finish
