# shellcheck shell=bash
# Helpers shared by start, stop, prime and deliver. Sourced, not executed.
#
# Everything lives under one state folder, $EB_EASSERVER_DIR (default
# /tmp/eb-easserver); all ports derive from $EB_EASSERVER_PORT_BASE (default
# 25000). Both are remembered in the state folder by start, so stop, prime and
# deliver find the same instance without being told again.

EB_DIR=${EB_EASSERVER_DIR:-/tmp/eb-easserver}
EB_DIR=${EB_DIR%/}
if [ -z "${EB_EASSERVER_PORT_BASE:-}" ] && [ -r "$EB_DIR/port-base" ]; then
	EB_EASSERVER_PORT_BASE=$(cat "$EB_DIR/port-base")
fi
EB_BASE=${EB_EASSERVER_PORT_BASE:-25000}
EB_DOMAIN=example.test
EB_NUSERS=3

# Port plan: the EAS front end (nginx) at the base, the rest at fixed offsets.
EB_HTTP_PORT=$EB_BASE
EB_SOGO_PORT=$((EB_BASE + 1))
EB_LMTP_PORT=$((EB_BASE + 24))
EB_SMTP_PORT=$((EB_BASE + 25))
EB_IMAP_PORT=$((EB_BASE + 143))
EB_PG_PORT=$((EB_BASE + 432))

eb_log() { printf 'easserver: %s\n' "$*" >&2; }
eb_die() { printf 'easserver: error: %s\n' "$*" >&2; exit 1; }

# Process bookkeeping. pids/NAME holds "PID STARTTIME", STARTTIME being field
# 22 of /proc/PID/stat: a pid that was recycled for another process never
# matches, so stop can never signal a process it did not start.
eb_starttime() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	[ "$1" != Z ] || return 1
	printf '%s\n' "${20}"
}

eb_record() { # NAME PID
	local st
	st=$(eb_starttime "$2") || eb_die "$1 (pid $2) exited right after starting"
	printf '%s %s\n' "$2" "$st" >"$EB_DIR/pids/$1"
}

eb_running() { # NAME -> prints the pid when the recorded process still runs
	local pid st
	[ -r "$EB_DIR/pids/$1" ] || return 1
	read -r pid st <"$EB_DIR/pids/$1" || return 1
	[ -n "$pid" ] && [ "$(eb_starttime "$pid")" = "$st" ] || return 1
	printf '%s\n' "$pid"
}

eb_children() { # PID -> "pid:starttime" of every descendant
	local f pid rest ppid
	local -A kids=()
	for f in /proc/[0-9]*/stat; do
		{ read -r rest <"$f"; } 2>/dev/null || continue
		pid=${f#/proc/}
		pid=${pid%/stat}
		rest=${rest##*) }
		ppid=${rest#* }
		ppid=${ppid%% *}
		kids[$ppid]+=" $pid"
	done
	local todo=("$1") cur k
	while [ ${#todo[@]} -gt 0 ]; do
		cur=${todo[0]}
		todo=("${todo[@]:1}")
		for k in ${kids[$cur]:-}; do
			printf '%s:%s\n' "$k" "$(eb_starttime "$k")"
			todo+=("$k")
		done
	done
}

eb_same() { [ "$(eb_starttime "${1%%:*}")" = "${1#*:}" ]; }

# eb_stop NAME SIGNAL GRACE: signal the recorded process, wait GRACE
# seconds, then KILL it and whatever is left of the children it had.
eb_stop() {
	local name=$1 sig=$2 grace=$3 pid k i
	pid=$(eb_running "$name") || { rm -f "$EB_DIR/pids/$name"; return 0; }
	local kids
	mapfile -t kids < <(eb_children "$pid")
	eb_log "stopping $name (pid $pid)"
	kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < grace * 10; i++)); do
		eb_running "$name" >/dev/null || break
		sleep 0.1
	done
	eb_running "$name" >/dev/null && kill -KILL "$pid" 2>/dev/null
	for ((i = 0; i < 30; i++)); do
		local left=0
		for k in "${kids[@]}"; do eb_same "$k" && left=1; done
		[ $left = 0 ] && break
		sleep 0.1
	done
	for k in "${kids[@]}"; do
		eb_same "$k" && kill -KILL "${k%%:*}" 2>/dev/null
	done
	rm -f "$EB_DIR/pids/$name"
	return 0
}

eb_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

eb_doveadm() { doveadm -c "$EB_DIR/dovecot/dovecot.conf" "$@"; }

# SOGo takes a mail folder's sync state from the HIGHESTMODSEQ of a plain
# IMAP SELECT, which Dovecot reports only for mailboxes on which CONDSTORE
# was enabled once. Without it the first Sync of a fresh mailbox is empty
# and a Ping never fires for it. eb_prime USER enables it on all mailboxes.
eb_prime() {
	local mb
	{
		printf 'a ENABLE CONDSTORE\r\n'
		eb_doveadm mailbox list -7 -u "$1" | while IFS= read -r mb; do
			mb=${mb//\\/\\\\}
			printf 's SELECT "%s"\r\n' "${mb//\"/\\\"}"
		done
		printf 'z LOGOUT\r\n'
	} | eb_doveadm exec imap -u "$1" >/dev/null 2>>"$EB_DIR/log/prime.log"
}
