#!/usr/bin/env bash
# Acceptance suite of the maildir package (issue 5), with real tools:
#  1. neomutt (driven through a private tmux server) reads, flags, deletes
#     and moves; the watcher reports exactly those four changes;
#  2. a private Dovecot on 127.0.0.1:27143 serves the mirror: imaplib sees
#     the folder names (non-ASCII too) and byte-identical messages, and its
#     flag changes and MOVE are reported by the watcher;
#  3. 20,000 deliveries into one folder while the watcher is stopped part of
#     the time (inotify overflows): the reported state equals the directory;
#  4. kill -9 during delivery of 1,000 messages, then restart: no duplicate,
#     no loss, no stray tmp/ file from before the crash.
# Also measures the delay from a neomutt flag change to the watcher's event.
# Installs what it needs, starts only private processes, stops them (trap).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
PORT=27143
passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

if ! command -v neomutt >/dev/null || ! command -v tmux >/dev/null || ! command -v dovecot >/dev/null ||
	! [ -x /usr/bin/python3 ] || ! command -v runuser >/dev/null; then
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
		neomutt tmux dovecot-imapd python3 util-linux >/dev/null || { echo "apt-get failed"; echo "0 passed, 1 failed"; exit 1; }
fi

T=$(mktemp -d /tmp/easbridge-maildir.XXXXXX)
chmod 755 "$T"
TMUX_SOCK="easbridge-maildir-$$"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	if [ -f "$T/dovecot.pid" ]; then kill "$(cat "$T/dovecot.pid")" 2>/dev/null; sleep 0.5; fi
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
CHECK="/usr/bin/python3 interop/maildir/check.py"
MD="$T/mdtool"
go build -o "$MD" ./interop/maildir/mdtool || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

# start_watch ROOT NAME: runs the watcher in the background, waits for ready.
start_watch() {
	"$MD" watch -root "$1" >"$T/$2.jsonl" 2>"$T/$2.log" &
	pids+=($!)
	WATCH_PID=$!
	$CHECK ready "$T/$2.jsonl" 30 || echo "watcher $2 not ready: $(cat "$T/$2.log")"
}

# ---- 1. neomutt ----------------------------------------------------------
M1="$T/m1"
"$MD" deliver -root "$M1" -n 5 -prefix n1 >"$T/d1.tsv" 2>/dev/null
"$MD" mkfolder -root "$M1" -f Archive
cat >"$T/muttrc" <<EOF
set folder="$M1"
set spoolfile="$M1"
set mbox_type=Maildir
set header_cache=""
set message_cachedir=""
set confirmappend=no
set confirmcreate=no
set delete=yes
set move=no
set mark_old=no
set wait_key=no
set beep=no
set sort=date-received
set pager_stop=yes
set mail_check=0
set timeout=1
EOF
start_watch "$M1" w1
tm() { tmux -L "$TMUX_SOCK" "$@"; }
keys() { tm send-keys -t nm "$@"; sleep 0.4; }
tm new-session -d -s nm -x 160 -y 40 "TERM=xterm-256color neomutt -n -F '$T/muttrc' -f '$M1'"
sleep 2
find_msg() { keys -l "/~i n1-$1@"; keys Enter; }
find_msg 0; keys Enter; keys i          # read
find_msg 1; keys F                      # flag
find_msg 2; keys d                      # delete
find_msg 3; keys s; keys C-u; keys -l "=.Archive"; keys Enter # move (copy, then delete on sync)
keys '$'
sleep 1
if $CHECK neomutt "$T/w1.jsonl" "$T/d1.tsv" Archive; then
	pass "neomutt: read, flag, delete, move reported exactly, with keys and flags"
else
	fail "neomutt: events differ"
	tm capture-pane -p -t nm | tail -5
fi
# Measurement: toggle the flag of message 4 and sync, 11 times, each time
# waiting for the event (the delay is computed from the file's ctime).
key4=$(awk -F'\t' '$2=="n1-4"{print $1}' "$T/d1.tsv")
for i in $(seq 1 11); do
	find_msg 4
	keys F
	keys '$'
	$CHECK wait-flags "$T/w1.jsonl" "$key4" "$i" 10 || break
done
$CHECK lag "$T/w1.jsonl" "$key4" 0 || echo "    no flag events measured"
keys q
tm kill-server 2>/dev/null
kill "$WATCH_PID" 2>/dev/null

# ---- 2. Dovecot over the mirror ------------------------------------------
# Dovecot refuses uid 0 for mail, so the mirror belongs to nobody and is
# written as nobody; the watcher runs as root and reads it.
M2="$T/m2"
mkdir -p "$M2" "$T/dovecot"/{run,state,index,control,home}
chown nobody:nogroup "$M2" "$T/dovecot"/{index,control,home}
asnobody() { runuser -u nobody -- "$@"; }
asnobody "$MD" deliver -root "$M2" -n 3 -prefix d2 >"$T/d2.tsv" 2>/dev/null
asnobody "$MD" mkfolder -root "$M2" -f Archive
asnobody "$MD" mkfolder -root "$M2" -f Café
asnobody "$MD" deliver -root "$M2" -f Café -f Menü -n 1 -prefix menu >>"$T/d2.tsv" 2>/dev/null
asnobody "$MD" deliver -root "$M2" -f "v1.2 release" -n 1 -prefix rel >>"$T/d2.tsv" 2>/dev/null
cat >"$T/dovecot.conf" <<EOF
base_dir = $T/dovecot/run
state_dir = $T/dovecot/state
log_path = $T/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 1
mail_location = maildir:$M2:LAYOUT=maildir++:INDEX=$T/dovecot/index:CONTROL=$T/dovecot/control
mail_plugins = listescape
plugin {
  listescape_char = "\\\\"
}
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$T/dovecot/home
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
start_watch "$M2" w2
dovecot -F -c "$T/dovecot.conf" >"$T/dovecot.out" 2>&1 &
echo $! >"$T/dovecot.pid"
for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.2; done
if $CHECK imap "$PORT" "$T/d2.tsv" "INBOX|Archive|Café|Café/Menü|v1.2 release|Outbox" "$T/imap.json"; then
	pass "dovecot: folder names (non-ASCII, dot) and byte-identical BODY[]"
else
	fail "dovecot: listing or fetch"
	tail -5 "$T/dovecot.log"
fi
if $CHECK imap-events "$T/w2.jsonl" "$T/d2.tsv"; then
	pass "dovecot: IMAP flag changes and MOVE reported by the watcher"
else
	fail "dovecot: watcher events for IMAP changes"
fi
kill "$(cat "$T/dovecot.pid")" 2>/dev/null
rm -f "$T/dovecot.pid"
kill "$WATCH_PID" 2>/dev/null

# ---- 3. flood --------------------------------------------------------------
M3="$T/m3"
"$MD" mkfolder -root "$M3" -f Flood
start_watch "$M3" w3
# -nosync: this tests the watcher, not durability (test 4 does), and keeps
# the run short.
"$MD" deliver -root "$M3" -f Flood -n 20000 -size 600 -prefix f -nosync >/dev/null 2>"$T/d3.log" &
dpid=$!
pids+=($dpid)
sleep 0.5
kill -STOP "$WATCH_PID" # the kernel queue (16384 events) overflows meanwhile
wait "$dpid"
kill -CONT "$WATCH_PID"
if $CHECK flood "$T/w3.jsonl" "$M3/.Flood" Flood 20000; then
	pass "flood: 20,000 deliveries, reported state equals the directory"
else
	fail "flood: reported state differs from the directory"
fi
grep -q overflow "$T/w3.log" && echo "    (inotify queue overflowed and was answered by a rescan)" ||
	echo "    (no overflow this time)"
kill "$WATCH_PID" 2>/dev/null

# ---- 4. kill -9 during delivery ----------------------------------------------
M4="$T/m4"
"$MD" mkfolder -root "$M4" -f Crash
crash=0
for delay in 0.7 1.3 2.1; do
	"$MD" deliver -root "$M4" -f Crash -n 1000 -size 50000 -prefix k >/dev/null 2>&1 &
	p=$!
	sleep "$delay"
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	crash=$(date +%s.%N)
	echo "    killed after ${delay}s: $(ls "$M4/.Crash/new" | wc -l) delivered, $(ls "$M4/.Crash/tmp" | wc -l) in tmp/"
done
sleep 0.1
"$MD" deliver -root "$M4" -f Crash -n 1000 -size 50000 -prefix k >/dev/null 2>"$T/d4.log"
if $CHECK crash "$M4/.Crash" 1000 k "$crash"; then
	pass "kill -9: no duplicate, no loss, no stray tmp/ file"
else
	fail "kill -9 recovery"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
