#!/usr/bin/env bash
# imap-run.sh - `easbridge run` serving IMAP and SMTP submission over a
# real SOGo account (issue 9): starts SOGo with ActiveSync on loopback
# (interop/easserver/start), seeds mail, runs the daemon and checks over
# its IMAP (python3 imaplib) and SMTP (curl) that
#   - the SOGo mail shows up, and a new delivery is pushed to an IDLE
#     client within a second of reaching the Maildir;
#   - a flag, a folder created, a move and a delete made over easbridge
#     IMAP reach SOGo (checked on SOGo's own IMAP);
#   - a message submitted over SMTP (To one user, Bcc another) reaches both
#     on SOGo and SOGo's Sent, and comes back into easbridge's Sent;
#   - neomutt (imap://, in a private tmux server) flags a message, and the
#     flag reaches SOGo;
#   - a wrong password gets 535 and a message SOGo refuses (above
#     Postfix's size limit) a clear 554, and nothing is queued for it.
# Stops and purges what it started. Run as root from any directory.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
PY=/usr/bin/python3

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }

if ! command -v curl >/dev/null || ! [ -x "$PY" ] || ! command -v neomutt >/dev/null || ! command -v tmux >/dev/null; then
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends curl python3 ca-certificates neomutt tmux >/dev/null ||
		{ fail "apt-get"; finish; }
fi

T=$(mktemp -d /tmp/eb-imap-run.XXXXXX)
RUNPID=
TMUX_SOCK="eb-imap-run-$$"
cleanup() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	[ -n "$RUNPID" ] && kill "$RUNPID" 2>/dev/null && wait "$RUNPID" 2>/dev/null
	interop/easserver/stop --purge >/dev/null 2>&1 || echo "imap-run: stop failed" >&2
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

env_lines=$(interop/easserver/start) || { fail "the EAS server did not start"; finish; }
set -a
eval "$env_lines"
set +a
go build -o "$T/easbridge" ./cmd/easbridge || { fail "build"; finish; }

export EB_RUN="r$(date +%s)" EB_USER=interop EB_PASS=davpw EB_MAILDIR="$T/mail"
export EB_IMAP_PORT=${EB_IMAP_PORT:-21243} EB_SMTP_PORT=${EB_SMTP_PORT:-21687}
export EB_DELIVER="$PWD/interop/easserver/deliver" EB_BIG="$T/big.eml"
for i in 1 2 3 4; do
	printf 'From: sender@example.net\r\nTo: %s\r\nSubject: seed-%s-%d\r\nDate: %s\r\nMessage-ID: <seed%d.%s@example.test>\r\n\r\nSeed %d.\n' \
		"$EAS_EMAIL" "$EB_RUN" "$i" "$(date -R)" "$i" "$EB_RUN" "$i" | interop/easserver/deliver "$EAS_EMAIL" >/dev/null ||
		{ fail "seeding SOGo"; finish; }
done
# Above Postfix's message_size_limit (50 MiB), below easbridge's (64 MiB).
{
	printf 'From: %s\r\nTo: %s@%s\r\nSubject: too big %s\r\nDate: %s\r\nMessage-ID: <big.%s@example.test>\r\n\r\n' \
		"$EAS_EMAIL" "$EAS_USER_2" "$EAS_DOMAIN" "$EB_RUN" "$(date -R)" "$EB_RUN"
	head -c 39000000 /dev/zero | base64 -w 76 | sed 's/$/\r/'
} >"$EB_BIG"

cat >"$T/config.toml" <<CONF
[dav]
listen = "127.0.0.1:0"
password_command = "echo $EB_PASS"
[imap]
listen = "127.0.0.1:$EB_IMAP_PORT"
[smtp]
listen = "127.0.0.1:$EB_SMTP_PORT"
[[account]]
name = "$EB_USER"
url = "$EAS_URL"
username = "$EAS_USER"
password_command = "printf '%s' '$EAS_PASSWORD'"
email = "$EAS_EMAIL"
state_dir = "$T/state"
maildir = "$EB_MAILDIR"
mail_age = "all"
CONF
"$T/easbridge" --config "$T/config.toml" run >"$T/run.out" 2>"$T/run.log" &
RUNPID=$!
for _ in $(seq 100); do grep -q "smtp server listening" "$T/run.log" 2>/dev/null && break; sleep 0.1; done
if grep -q "imap server listening" "$T/run.log" && grep -q "smtp server listening" "$T/run.log"; then
	pass "easbridge run listens on IMAP $EB_IMAP_PORT and SMTP $EB_SMTP_PORT"
else
	fail "easbridge run did not start its mail servers: $(tail -3 "$T/run.log")"
	finish
fi

"$PY" interop/imap/run_check.py >"$T/check.out" 2>&1
rc=$?
while IFS= read -r line; do
	case $line in
	"ok   "*) pass "${line#ok   }" ;;
	"FAIL "*) fail "${line#FAIL }" ;;
	*) echo "     $line" ;;
	esac
done <"$T/check.out"
if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$T/check.out"; then fail "run_check.py exited $rc"; fi
# neomutt over imap:// flags seed 4 (found with its search), SOGo sees it.
cat >"$T/muttrc" <<MUTTRC
set folder="imap://$EB_USER@127.0.0.1:$EB_IMAP_PORT/"
set spoolfile="+INBOX"
set imap_pass="$EB_PASS"
set ssl_starttls=no
set ssl_force_tls=no
set header_cache=""
set message_cachedir=""
set timeout=1
set wait_key=no
set index_format="%4C %Z %s"
MUTTRC
tm() { tmux -L "$TMUX_SOCK" "$@"; }
tm new-session -d -s nm -x 160 -y 40 "TERM=xterm-256color neomutt -n -F '$T/muttrc'"
screen=""
for _ in $(seq 60); do
	sleep 0.25
	screen=$(tm capture-pane -p -t nm 2>/dev/null)
	grep -q "seed-$EB_RUN-4" <<<"$screen" && break
done
if grep -q "seed-$EB_RUN-4" <<<"$screen"; then pass "neomutt lists the INBOX over easbridge imap://"; else fail "neomutt lists the INBOX: $screen"; fi
tm send-keys -t nm "/" ; sleep 0.3
tm send-keys -t nm "seed-$EB_RUN-4" Enter; sleep 0.5
tm send-keys -t nm "F"; sleep 0.3
tm send-keys -t nm '$'; sleep 1
tm send-keys -t nm "q"; sleep 0.3
tm send-keys -t nm "y" 2>/dev/null; sleep 0.3
if "$PY" - <<'PY'; then pass "neomutt's flag reaches SOGo"; else fail "neomutt's flag did not reach SOGo"; fi
import imaplib, os, sys, time
end = time.time() + 60
while time.time() < end:
    m = imaplib.IMAP4(os.environ["IMAP_HOST"], int(os.environ["IMAP_PORT"]))
    m.login(os.environ["EAS_USER"], os.environ["EAS_PASSWORD"])
    m.select("INBOX", readonly=True)
    typ, d = m.search(None, "FLAGGED", "SUBJECT", '"seed-%s-4"' % os.environ["EB_RUN"])
    m.logout()
    if d[0].split():
        sys.exit(0)
    time.sleep(0.5)
sys.exit(1)
PY
if grep -q "level=ERROR" "$T/run.log"; then
	fail "the daemon logged errors:"
	grep "level=ERROR" "$T/run.log" | head -5
fi
kill -TERM "$RUNPID"
if wait "$RUNPID"; then pass "run stops cleanly on SIGTERM"; else fail "run exited $? on SIGTERM: $(tail -3 "$T/run.log")"; fi
RUNPID=
finish
