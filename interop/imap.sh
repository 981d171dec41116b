#!/usr/bin/env bash
# Acceptance suite of imapd and smtpd (issue 9), with real clients:
#  1. python3 imaplib: wrong password, LIST with special-use, SELECT, FETCH,
#     read, flag, move, delete, append (Drafts, Outbox), malformed APPEND,
#     and IDLE notified within a second of a delivery, both through the
#     Store in-process (the engine's path) and by another process (the
#     watcher's path); every change checked on disk and in the reported
#     maildir events;
#  2. neomutt over imap:// (in a private tmux server) lists the INBOX and
#     flags a message, which lands on disk as F;
#  3. curl over SMTP: a submission reaches the Sender with its envelope; a
#     wrong password, a malformed message and a refused one get 5xx; a
#     temporary failure is queued in the Maildir Outbox (250);
#  4. 100 parallel IMAP sessions; the server is still up afterwards.
# Uses interop/imap/imaptool serve (imapd + smtpd + watcher over a temp
# Maildir, a recording Sender). The same servers inside `easbridge run`
# against a real EAS server (SOGo): interop/imap-run.sh. Installs what it
# needs, stops what it started (trap).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
IMAP_PORT=21143
SMTP_PORT=21587
passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { if eval "$1"; then pass "$2"; else fail "$2"; fi; }

if ! command -v neomutt >/dev/null || ! command -v tmux >/dev/null || ! command -v curl >/dev/null || ! [ -x /usr/bin/python3 ]; then
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
		neomutt tmux curl python3 ca-certificates >/dev/null || { echo "apt-get failed"; echo "0 passed, 1 failed"; exit 1; }
fi

T=$(mktemp -d /tmp/easbridge-imap.XXXXXX)
TMUX_SOCK="easbridge-imap-$$"
SERVER_PID=
cleanup() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
	rm -rf "$T"
}
trap cleanup EXIT
export IMAPTOOL="$T/imaptool"
go build -o "$IMAPTOOL" ./interop/imap/imaptool || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

ROOT="$T/Mail"
"$IMAPTOOL" fill -root "$ROOT" -n 5 -prefix start
for f in Sent Drafts Trash Archive; do "$IMAPTOOL" fill -root "$ROOT" -folder "$f" -n 0; done
mkfifo "$T/control"
mkdir -p "$T/out"
"$IMAPTOOL" serve -root "$ROOT" -imap 127.0.0.1:$IMAP_PORT -smtp 127.0.0.1:$SMTP_PORT -user alice -pass secret \
	-out "$T/out" -control "$T/control" >"$T/serve.out" 2>"$T/serve.log" &
SERVER_PID=$!
for _ in $(seq 50); do grep -q ready "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$T/serve.out" || { echo "server did not start: $(cat "$T/serve.log")"; echo "0 passed, 1 failed"; exit 1; }

# ---- 1. imaplib ----------------------------------------------------------
out=$(/usr/bin/python3 interop/imap/check.py $IMAP_PORT "$ROOT" "$T/control" "$T/out" 2>&1)
echo "$out"
passed=$((passed + $(grep -c '^PASS' <<<"$out")))
failed=$((failed + $(grep -c '^FAIL' <<<"$out")))
if grep -q Traceback <<<"$out"; then fail "check.py crashed"; fi

# ---- 2. neomutt over imap:// --------------------------------------------
cat >"$T/muttrc" <<MUTTRC
set folder="imap://alice@127.0.0.1:$IMAP_PORT/"
set spoolfile="+INBOX"
set imap_pass="secret"
set ssl_starttls=no
set ssl_force_tls=no
set header_cache=""
set message_cachedir=""
set mail_check=1
set timeout=1
set wait_key=no
set sort=date-received
set index_format="%4C %Z %s"
MUTTRC
tm() { tmux -L "$TMUX_SOCK" "$@"; }
tm new-session -d -s nm -x 160 -y 40 "TERM=xterm-256color neomutt -n -F '$T/muttrc'"
screen=""
for _ in $(seq 40); do
	sleep 0.25
	screen=$(tm capture-pane -p -t nm 2>/dev/null)
	grep -q "start 4" <<<"$screen" && break
done
check 'grep -q "start 4" <<<"$screen"' "neomutt lists the INBOX over imap://"
flagged() { ls "$ROOT/cur" "$ROOT/new" | grep -c ':2,[A-Z]*F'; }
nf=$(flagged)
tm send-keys -t nm "1" Enter; sleep 0.3
tm send-keys -t nm "F"; sleep 0.3
tm send-keys -t nm '$'; sleep 1
nf2=$(flagged)
tm send-keys -t nm "q"; sleep 0.3
tm send-keys -t nm "y" 2>/dev/null; sleep 0.3
check '[ "$nf2" -ne "$nf" ]' "neomutt flag toggle reached the Maildir ($nf -> $nf2 flagged files)"

# ---- 3. curl SMTP submission --------------------------------------------
mail() { printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\n%s\r\n\r\nHello.\r\n' "$1" "$1" "$2" >"$T/$1.eml"; }
# submit PASSWORD NAME: curl's exit status; reply: the server's last reply.
submit() { curl -v --max-time 20 "smtp://127.0.0.1:$SMTP_PORT" --user "alice:$1" --mail-from alice@example.org \
	--mail-rcpt bob@example.org --mail-rcpt hidden@example.org --upload-file "$T/$2.eml" 2>"$T/curl.err"; }
reply() { grep -a '^< [2-5][0-9][0-9] ' "$T/curl.err" | tail -1 | tr -d '\r' | cut -c3-; }
mail ok "X-Test: none"
submit secret ok; r=$(reply)
check '[[ "$r" == "250 2.0.0 OK: sent" ]]' "curl submission accepted ($r)"
check 'grep -q "X-Envelope-To: bob@example.org, hidden@example.org" "$T"/out/sent/*.eml 2>/dev/null && grep -q "Subject: ok" "$T"/out/sent/*.eml' "submission handed to the Sender with its envelope"
submit wrong ok; r=$(reply)
check '[[ "$r" == 535* ]]' "wrong SMTP password refused ($r)"
printf 'this is not a message\r\n' >"$T/bad.eml"
submit secret bad; r=$(reply)
check '[[ "$r" == "554 5.6.0"* ]]' "malformed message refused ($r)"
mail refused "X-Test-Fail: permanent"
submit secret refused; r=$(reply)
check '[[ "$r" == "554 5.7.0"* ]]' "permanent refusal by the Sender ($r)"
mail later "X-Test-Fail: temporary"
outbox() { find "$ROOT/.Outbox/new" "$ROOT/.Outbox/cur" -type f | wc -l; }
n0=$(outbox)
submit secret later; r=$(reply)
check '[[ "$r" == "250 2.0.0 OK: queued"* ]]' "temporary failure: queued ($r)"
n1=$(outbox)
check '[ $((n1 - n0)) -eq 1 ] && grep -rlq "Bcc: hidden@example.org" "$ROOT/.Outbox/new"' "queued message waits in the Outbox with its Bcc"
check '[ "$(ls "$T/out/sent" | wc -l)" -eq 1 ]' "only the accepted message reached the Sender"

# ---- 4. 100 parallel sessions -------------------------------------------
cat >"$T/par.py" <<'PY'
import imaplib, sys, concurrent.futures as cf
def one(i):
    try:
        M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1])); M.login("alice", "secret"); M.select("INBOX")
        t, d = M.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER])"); M.logout(); return t
    except Exception as e:
        return str(e)
with cf.ThreadPoolExecutor(100) as ex:
    print(sum(1 for t in ex.map(one, range(100)) if t == "OK"))
PY
par=$(/usr/bin/python3 "$T/par.py" "$IMAP_PORT")
check '[ "$par" = 100 ]' "100 parallel sessions served ($par OK)"
check 'kill -0 $SERVER_PID' "server still up"
check '! grep -q panic "$T/serve.log"' "no panic in the server log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
