#!/usr/bin/env bash
# engine-clients: issue 6 acceptance 2 with real desktop clients. Starts SOGo
# (interop/easserver/start), seeds events, contacts and mails, runs
# `easbridge sync --once`, then `easbridge run`, and while it runs checks:
# server side (CalDAV/CardDAV PUT on SOGo, a new mail) -> the mirror's DAV and
# Maildir; desktop side: python3-caldav edits and creates an event, vdirsyncer
# syncs the address book to a vdir and back with an edited and a new card,
# neomutt (in a private tmux server) reads, flags, deletes and moves messages
# in the mirror Maildir and a message goes into the Outbox -> SOGo CalDAV,
# CardDAV and IMAP. Stops and purges what it started. Run as root.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
PY=/usr/bin/python3
C=interop/engine-clients/clients.py

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }

need=
for p in neomutt:neomutt tmux:tmux vdirsyncer:vdirsyncer curl:curl; do
	command -v "${p%%:*}" >/dev/null || need="$need ${p#*:}"
done
[ -x "$PY" ] && "$PY" -c "import caldav" 2>/dev/null || need="$need python3 python3-caldav"
if [ -n "$need" ]; then
	# shellcheck disable=SC2086
	apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $need >/dev/null 2>&1 ||
		{ fail "installing$need"; finish; }
fi

T=$(mktemp -d /tmp/eb-engine-clients.XXXXXX)
TMUX_SOCK="eb-engine-clients-$$"
RUNPID=
cleanup() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	[ -n "$RUNPID" ] && kill "$RUNPID" 2>/dev/null && wait "$RUNPID" 2>/dev/null
	interop/easserver/stop --purge >/dev/null 2>&1 || echo "engine-clients: stop failed" >&2
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

env_lines=$(interop/easserver/start) || { fail "the EAS server did not start"; finish; }
set -a
eval "$env_lines"
set +a
export SEED_RUN="c$(date +%s)"
go build -o "$T/easbridge" ./cmd/easbridge || { fail "build"; finish; }

run_check() {
	local line rc
	"$PY" "$C" "$@" >"$T/check.out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok   "*) pass "${line#ok   }" ;;
		"FAIL "*) fail "${line#FAIL }" ;;
		*) echo "     $line" ;;
		esac
	done <"$T/check.out"
	if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$T/check.out"; then fail "clients.py $1 exited $rc"; fi
}
mail() { # mail N: message N of this run, to user1
	printf 'From: zoe@example.net\r\nTo: %s\r\nSubject: clients %s %s\r\nMessage-ID: <cl-%s-%s@example.net>\r\nDate: Mon, 2 Mar 2026 10:0%s:00 +0000\r\n\r\nbody %s\r\n' \
		"$EAS_EMAIL" "$SEED_RUN" "$1" "$SEED_RUN" "$1" "${1: -1}" "$1"
}

run_check seed
for i in 0 1 2 3 4; do mail "m$i" | interop/easserver/deliver "$EAS_EMAIL" || fail "deliver m$i"; done
interop/easserver/prime "$EAS_USER" >/dev/null 2>&1 || fail "prime"
sleep 1

source interop/lib/config.sh
bridge_config interop "$EAS_URL" 127.0.0.1:0 >"$T/config.toml"
M="$T/mail"
if "$T/easbridge" --config "$T/config.toml" sync --once >"$T/sync.out" 2>&1; then
	pass "sync --once"
else
	fail "sync --once: $(tail -3 "$T/sync.out")"
	finish
fi
ARCH=$(cd "$M" && ls -d .Archive* 2>/dev/null | head -1)
[ -n "$ARCH" ] && pass "mirror has the Archive folder ($ARCH)" || fail "no Archive folder in the mirror: $(ls -a "$M" | tr '\n' ' ')"

: >"$T/run.url"
"$T/easbridge" --config "$T/config.toml" run >"$T/run.url" 2>"$T/run.log" &
RUNPID=$!
for _ in $(seq 100); do [ -s "$T/run.url" ] && break; sleep 0.1; done
URL=$(head -1 "$T/run.url")
[ -n "$URL" ] || { fail "run printed no DAV URL: $(tail -3 "$T/run.log")"; finish; }
sleep 5 # the first cycle; what follows travels by push

# ---- server side -> mirror
mail new | interop/easserver/deliver "$EAS_EMAIL" || fail "deliver new"
run_check server-change "$URL" "$M"

# ---- python3-caldav -> SOGo
run_check caldav "$URL"

# ---- vdirsyncer -> SOGo
V="$T/vds"
mkdir -p "$V/status" "$V/contacts"
cat >"$V/config" <<CONF
[general]
status_path = "$V/status/"

[pair book]
a = "local"
b = "remote"
collections = null
conflict_resolution = "b wins"

[storage local]
type = "filesystem"
path = "$V/contacts/"
fileext = ".vcf"

[storage remote]
type = "carddav"
url = "${URL}contacts/interop/contacts/"
username = "interop"
password = "davpw"
CONF
vds() { vdirsyncer -c "$V/config" "$@" >>"$T/vds.log" 2>&1; }
if (set +o pipefail; yes 2>/dev/null | vds discover) && vds sync && [ "$(ls "$V/contacts" | wc -l)" -ge 3 ]; then
	pass "vdirsyncer: address book synced to a vdir ($(ls "$V/contacts" | wc -l) cards)"
else
	fail "vdirsyncer first sync: $(ls "$V/contacts" | wc -l) cards: $(tail -15 "$T/vds.log")"
fi
# EAS contacts carry no UID: find the card by its name.
f=$(grep -l "^FN:Seed Person1" "$V/contacts"/*.vcf 2>/dev/null | head -1)
if [ -n "$f" ]; then
	sed -i 's/^TEL;[^\r]*/TEL;TYPE=CELL:+1 555 0155/' "$f"
	printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:cl-%s-vdir\r\nFN:Vdir Newperson%s\r\nN:Newperson%s;Vdir;;;\r\nTEL;TYPE=HOME:+1 555 0166\r\nEND:VCARD\r\n' \
		"$SEED_RUN" "$SEED_RUN" "$SEED_RUN" >"$V/contacts/cl-$SEED_RUN-vdir.vcf"
	if vds sync; then pass "vdirsyncer: edited and new card synced back"; else fail "vdirsyncer sync back: $(tail -5 "$T/vds.log")"; fi
else
	fail "vdirsyncer: card Seed Person1 not in the vdir: $(cat "$V/contacts"/*.vcf | grep -a "^FN")"
fi
run_check cards-on-server
grep -q '^FAIL' "$T/check.out" && { echo "     vdir: $(grep -ah '^FN\|^UID' "$V/contacts"/*.vcf | tr -d '\r' | tr '\n' ' ')"; echo "     run.log: $(grep -ai 'contact\|error\|warn' "$T/run.log" | tail -5)"; }

# ---- neomutt and the Outbox -> SOGo
cat >"$T/muttrc" <<MUTTRC
set folder="$M"
set spoolfile="$M"
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
MUTTRC
tm() { tmux -L "$TMUX_SOCK" "$@"; }
keys() { tm send-keys -t nm "$@"; sleep 0.4; }
tm new-session -d -s nm -x 160 -y 40 "TERM=xterm-256color neomutt -n -F '$T/muttrc' -f '$M'"
sleep 2
find_msg() { keys -l "/~i cl-$SEED_RUN-m$1@"; keys Enter; }
find_msg 0; keys Enter; keys i          # read
find_msg 1; keys F                      # flag
find_msg 2; keys d                      # delete
find_msg 3; keys s; keys C-u; keys -l "=$ARCH"; keys Enter # move
keys '$'
sleep 1
keys q
if ls "$M/$ARCH/cur" "$M/$ARCH/new" 2>/dev/null | grep -q .; then
	pass "neomutt: the moved message is in $ARCH"
else
	fail "neomutt: nothing in $ARCH"
	tm capture-pane -p -t nm | tail -5
fi
mkdir -p "$M/.Outbox/tmp" "$M/.Outbox/new" "$M/.Outbox/cur"
printf 'From: %s\r\nTo: %s\r\nSubject: via the outbox %s\r\nMessage-ID: <cl-%s-out@example.test>\r\nDate: Mon, 2 Mar 2026 12:00:00 +0000\r\n\r\nhello user2\r\n' \
	"$EAS_EMAIL" "$EAS_EMAIL_2" "$SEED_RUN" "$SEED_RUN" >"$M/.Outbox/tmp/o1"
mv "$M/.Outbox/tmp/o1" "$M/.Outbox/new/$(date +%s).cl$SEED_RUN.host"
run_check mail-on-server

kill -TERM "$RUNPID"
if wait "$RUNPID"; then pass "run stops cleanly on SIGTERM"; else fail "run exited $? on SIGTERM: $(tail -3 "$T/run.log")"; fi
RUNPID=
finish
