#!/usr/bin/env bash
# Interop suite with the desktop clients our users have (issues 3 and 9),
# run headless against easbridge serve-dav on a loopback port:
#   1. evolution-data-server (GNOME Calendar's and Contacts' backend) under
#      dbus-run-session, with a CalDAV calendar and a CardDAV address book
#      written as .source files and the password in a fresh gnome-keyring:
#      the events and contacts seeded with curl are listed through EDS, and
#      an event created through EDS is found on the server with a REPORT;
#   2. Thunderbird ESR (--headless --marionette) with a prepared profile:
#      an IMAP account on interop/imap/imaptool's server (imapd over a
#      Maildir) and a CalDAV calendar on serve-dav; a small Marionette
#      client checks in chrome-context JavaScript that the Inbox shows the
#      messages and the calendar returns the seeded events.
# Prints "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
HERE=interop/desktop
PY=/usr/bin/python3

pkgs=()
command -v curl >/dev/null || pkgs+=(curl)
command -v dbus-run-session >/dev/null || pkgs+=(dbus-daemon dbus-bin)
command -v gnome-keyring-daemon >/dev/null || pkgs+=(gnome-keyring)
command -v secret-tool >/dev/null || pkgs+=(libsecret-tools)
[ -x /usr/libexec/evolution-source-registry ] || pkgs+=(evolution-data-server)
command -v thunderbird >/dev/null || pkgs+=(thunderbird)
$PY -c 'import gi; gi.require_version("ECal", "2.0"); gi.require_version("EBook", "1.2")' 2>/dev/null ||
	pkgs+=(python3-gi gir1.2-ecal-2.0 gir1.2-ebook-1.2 gir1.2-edataserver-1.2)
if [ ${#pkgs[@]} -gt 0 ]; then
	echo "installing ${pkgs[*]}"
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${pkgs[@]}" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi

T=$(mktemp -d /tmp/easbridge-desktop.XXXXXX)
SERVER_PID=""
TB_PID=""
IMAP_PID=""
cleanup() {
	if [ -n "$TB_PID" ]; then kill "$TB_PID" 2>/dev/null; wait "$TB_PID" 2>/dev/null; fi
	if [ -n "$IMAP_PID" ]; then kill "$IMAP_PID" 2>/dev/null; wait "$IMAP_PID" 2>/dev/null; fi
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
	rm -rf "$T"
}
trap cleanup EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
# tally WANT OUTPUT: counts the PASS:/FAIL: lines a helper printed; fewer
# than WANT lines in all (a helper that died or hung) is one more failure.
tally() {
	local p f
	echo "$2"
	p=$(grep -c '^PASS: ' <<<"$2")
	f=$(grep -c '^FAIL: ' <<<"$2")
	passed=$((passed + p))
	failed=$((failed + f))
	if [ $((p + f)) -lt "$1" ]; then fail "helper stopped after $((p + f)) of $1 checks"; fi
}

export EASBRIDGE_DAV_PASSWORD="interop-$RANDOM-$RANDOM"
AUTH="easbridge:$EASBRIDGE_DAV_PASSWORD"
IMAPTOOL=$T/imaptool
{ go build -o "$T/easbridge" ./cmd/easbridge && go build -o "$IMAPTOOL" ./interop/imap/imaptool; } ||
	{ echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

"$T/easbridge" serve-dav --dir "$T/store" --listen 127.0.0.1:0 >"$T/url" 2>"$T/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$T/url" ] && break; sleep 0.1; done
URL=$(head -n1 "$T/url")
[ -n "$URL" ] || { echo "serve-dav did not start: $(cat "$T/server.log")"; echo "0 passed, 1 failed"; exit 1; }
PORT=${URL#http://127.0.0.1:}
PORT=${PORT%%/*}
echo "serve-dav at $URL"

# put PATH CONTENT-TYPE: PUTs stdin, true on 201.
put() { [ "$(curl -s -o /dev/null -w '%{http_code}' -u "$AUTH" -X PUT -H "Content-Type: $2" --data-binary @- "${URL}$1")" = 201 ]; }
event() { # event UID START SUMMARY
	printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easbridge interop//EN\r\nBEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nDURATION:PT1H\r\nSUMMARY:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' "$1" "$2" "$3" |
		put "calendars/easbridge/calendar/$1.ics" text/calendar
}
contact() { # contact UID GIVEN FAMILY
	printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:%s\r\nFN:%s %s\r\nN:%s;%s;;;\r\nEMAIL;TYPE=INTERNET:%s@example.org\r\nEND:VCARD\r\n' "$1" "$2" "$3" "$3" "$2" "$1" |
		put "contacts/easbridge/contacts/$1.vcf" text/vcard
}
if event seed-1 20260601T090000Z "Seeded one" && event seed-2 20260602T090000Z "Seeded two" &&
	contact ada Ada Lovelace && contact alan Alan Turing; then
	pass "seeded 2 events and 2 contacts with curl"
else
	fail "seeding with curl"
fi

# ---- 1. evolution-data-server --------------------------------------------
if [ -z "${DESKTOP_SKIP_EDS:-}" ]; then
EH=$T/eds-home
mkdir -p "$EH/.config/evolution/sources" "$EH/run"
chmod 700 "$EH/run"
# source UID GROUP BACKEND PARENT PATH: an EDS source file, as Evolution
# writes one for a calendar or address book added by URL.
source_file() {
	cat >"$EH/.config/evolution/sources/$1.source" <<SRC
[Data Source]
DisplayName=easbridge $1
Enabled=true
Parent=$4

[$2]
BackendName=$3
Selected=true

[Authentication]
Host=127.0.0.1
Method=plain/password
Port=$PORT
RememberPassword=true
User=easbridge

[Security]
Method=none

[Offline]
StaySynchronized=false

[WebDAV Backend]
AvoidIfmatch=false
CalendarAutoSchedule=false
ResourcePath=/$5
SRC
}
source_file easbridge-cal Calendar caldav caldav-stub calendars/easbridge/calendar/
source_file easbridge-book "Address Book" carddav carddav-stub contacts/easbridge/contacts/
# The services dbus-daemon activates inherit dbus-run-session's environment,
# so the temporary HOME and XDG directories are set on it, not inside.
out=$(HOME=$EH XDG_CONFIG_HOME=$EH/.config XDG_DATA_HOME=$EH/.local/share XDG_CACHE_HOME=$EH/.cache \
	XDG_RUNTIME_DIR=$EH/run GSETTINGS_BACKEND=memory timeout 200 dbus-run-session -- \
	bash "$HERE/eds-session.sh" easbridge-cal easbridge-book 2>"$T/eds.log")
tally 7 "$out"
[ -n "$out" ] || tail -20 "$T/eds.log"
cat >"$T/query.xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260610T000000Z" end="20260611T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>
XML
if curl -sf -u "$AUTH" -X REPORT -H 'Depth: 1' -H 'Content-Type: application/xml' --data-binary @"$T/query.xml" \
	"${URL}calendars/easbridge/calendar/" | tr -d '\r' | grep -q '^SUMMARY:Created in EDS'; then
	pass "the event created through EDS is on the server (calendar-query REPORT)"
else
	fail "the event created through EDS is not on the server"
fi
fi

# ---- 2. Thunderbird -------------------------------------------------------
echo "== thunderbird"
# shellcheck source=/dev/null
source "$HERE/thunderbird.sh"

if kill "$SERVER_PID" && wait "$SERVER_PID"; then pass "serve-dav stops cleanly"; else fail "serve-dav stops cleanly"; fi
SERVER_PID=""
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
