#!/usr/bin/env bash
# engine.sh - the sync engine end to end against SOGo: starts SOGo with
# ActiveSync on loopback (interop/easserver/start), seeds events (plain,
# all-day, recurring with a moved and a deleted occurrence, meetings), tasks,
# contacts (photos, several phones) over SOGo's CalDAV/CardDAV and mails with
# attachments and non-ASCII over SMTP, runs `easbridge sync --once`, and
# compares the mirror (served by `easbridge serve-dav` on the same state, and
# the Maildir) with SOGo's own CalDAV/CardDAV and IMAP (BODY[] byte for byte).
# Then changes the mirror (DAV PUT, a read mark, a message in the Outbox),
# syncs again and checks SOGo, and a last sync must duplicate nothing.
# Stops and purges what it started. Run as root from any directory.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
PY=/usr/bin/python3
command -v "$PY" >/dev/null || PY=python3

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }

T=$(mktemp -d /tmp/eb-engine-test.XXXXXX)
DAVPID= RUNPID=
cleanup() {
	[ -n "$DAVPID" ] && kill "$DAVPID" 2>/dev/null && wait "$DAVPID" 2>/dev/null
	[ -n "$RUNPID" ] && kill "$RUNPID" 2>/dev/null && wait "$RUNPID" 2>/dev/null
	interop/easserver/stop --purge >/dev/null 2>&1 || echo "engine: stop failed" >&2
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

env_lines=$(interop/easserver/start) || { fail "the EAS server did not start"; finish; }
set -a
eval "$env_lines"
set +a
export SEED_RUN="r$(date +%s)" EASBRIDGE_DAV_PASSWORD=davpw

go build -o "$T/easbridge" ./cmd/easbridge || { fail "build"; finish; }

NEV=${ENGINE_EVENTS:-40} NTODO=${ENGINE_TASKS:-10} NCON=${ENGINE_CONTACTS:-40} NMAIL=${ENGINE_MAILS:-60}
if "$PY" interop/engine/seed.py "$NEV" "$NTODO" "$NCON" "$NMAIL"; then pass "seeded SOGo"; else fail "seeding SOGo"; finish; fi
# Postfix hands the mails to Dovecot asynchronously: wait until all are in.
for _ in $(seq 60); do
	n=$("$PY" -c "
import imaplib,os
m=imaplib.IMAP4(os.environ['IMAP_HOST'],int(os.environ['IMAP_PORT']));m.login(os.environ['EAS_USER'],os.environ['EAS_PASSWORD'])
print(m.select('INBOX',readonly=True)[1][0].decode())" 2>/dev/null || echo 0)
	[ "${n:-0}" -ge "$NMAIL" ] && break
	sleep 1
done

cat >"$T/config.toml" <<CONF
[dav]
listen = "127.0.0.1:0"
password_command = "echo davpw"
[[account]]
name = "interop"
url = "$EAS_URL"
username = "$EAS_USER"
password_command = "printf '%s' '$EAS_PASSWORD'"
email = "$EAS_EMAIL"
state_dir = "$T/state"
maildir = "$T/mail"
calendar_age = "all"
mail_age = "all"
CONF

sync_once() {
	local start end
	start=$(date +%s%N)
	if "$T/easbridge" --config "$T/config.toml" sync --once >"$T/sync.out" 2>&1; then
		end=$(date +%s%N)
		pass "sync --once ($1) in $(((end - start) / 1000000)) ms"
	else
		fail "sync --once ($1): $(tail -3 "$T/sync.out")"
		return 1
	fi
}

serve() {
	# Truncate first: the background child truncates the file only once it
	# runs, and until then the loop below would read the previous server's
	# (dead) address.
	: >"$T/dav.url"
	"$T/easbridge" serve-dav --dir "$T/state" --listen 127.0.0.1:0 >"$T/dav.url" 2>"$T/dav.log" &
	DAVPID=$!
	for _ in $(seq 100); do [ -s "$T/dav.url" ] && break; sleep 0.1; done
	OURS=$(head -1 "$T/dav.url")
	[ -n "$OURS" ] || fail "serve-dav did not start: $(tail -3 "$T/dav.log")"
}
unserve() { kill "$DAVPID"; wait "$DAVPID" 2>/dev/null; DAVPID=; }

run_check() {
	local line rc
	"$PY" interop/engine/check.py "$@" >"$T/check.out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok   "*) pass "${line#ok   }" ;;
		"FAIL "*) fail "${line#FAIL }" ;;
		*) echo "     $line" ;;
		esac
	done <"$T/check.out"
	# a crash of the checker fails the suite even without a FAIL line
	if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$T/check.out"; then fail "check.py $1 exited $rc"; fi
}

sync_once initial || finish
serve
run_check compare "$OURS" "$T/mail"
run_check edit "$OURS" "$T/mail"
unserve
sync_once "local changes" || finish
run_check edited "$T/mail"
sync_once "catch up"
sync_once "idempotent"
serve
run_check compare "$OURS" "$T/mail"
run_check conflict-edit "$OURS"
unserve
sync_once "conflict"
sync_once "after conflict"
"$T/easbridge" --config "$T/config.toml" status --json >"$T/status.json" 2>&1
serve
run_check conflict-check "$OURS" "$T/status.json"
unserve
# The daemon: push both ways while it runs, then a clean stop on SIGTERM.
: >"$T/run.url"
"$T/easbridge" --config "$T/config.toml" run >"$T/run.url" 2>"$T/run.log" &
RUNPID=$!
for _ in $(seq 100); do [ -s "$T/run.url" ] && break; sleep 0.1; done
sleep 5 # let the first cycle finish, so what follows travels by push
run_check push "$(head -1 "$T/run.url")" "$T/mail"
kill -TERM "$RUNPID"
if wait "$RUNPID"; then pass "run stops cleanly on SIGTERM"; else fail "run exited $? on SIGTERM: $(tail -3 "$T/run.log")"; fi
RUNPID=
sync_once "after run"
serve
run_check compare "$OURS" "$T/mail"
unserve
if "$T/easbridge" --config "$T/config.toml" status --json >"$T/status.json" &&
	"$PY" -c "import json,sys; s=json.load(open(sys.argv[1]))['accounts'][0]; sys.exit(0 if not s['quarantined'] and not s.get('last_error') else 1)" "$T/status.json"; then
	pass "status --json: nothing quarantined, no error"
else
	fail "status --json: $(head -c 600 "$T/status.json")"
fi
finish
