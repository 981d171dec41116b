#!/usr/bin/env bash
# crash.sh - issue 6 acceptance 4: kill -9 at random moments and a
# fault-injecting proxy (interop/faultproxy: dropped connections before and
# after the server answered, 503 with Retry-After, delays, truncated bodies)
# between easbridge and SOGo; afterwards both sides hold the same items,
# with no duplicate and nothing lost.
#
#  a. the initial sync (`sync --once`, some rounds `run`) is killed with
#     SIGKILL at random moments CRASH_KILLS_A times, restarted each time,
#     until one `sync --once` completes through the faulty proxy;
#  b. `run` is active while SOGo (CalDAV, CardDAV, SMTP, IMAP) and the mirror
#     (the bridge's DAV server, Maildir flags, deletes, moves, the Outbox)
#     change, and is killed CRASH_KILLS_B times at random moments;
#  c. the proxy turns pass-through, two clean `sync --once`, then
#     interop/crash/crash.py compares SOGo with the mirror and checks that
#     every acknowledged change of either side is on both.
#     A server change the mirror lacks passes as "known SOGo defect" only
#     when SOGo's data proves its whole-second sync-key race: the row's
#     c_lastmodified second is a SyncKey SOGo issued for the folder (the
#     proxy's -keys log), and that answer arrived before the change began
#     or no answer SOGo sent since the change began named the item (the
#     -keys log lists every answer's ServerIds): SOGo never reported it.
#
# CRASH_SEED replays a run (the kill delays and the proxy's schedule).
# Stops and purges what it started. Run as root from any directory.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
PY=/usr/bin/python3
command -v "$PY" >/dev/null || PY=python3

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
T0=$(date +%s)
finish() {
	echo "seed $SEED, $(($(date +%s) - T0)) s"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit $?
}

SEED=${CRASH_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
RANDOM=$SEED
KILLS_A=${CRASH_KILLS_A:-10} KILLS_B=${CRASH_KILLS_B:-10}
echo "crash: seed $SEED (replay with CRASH_SEED=$SEED)"

T=$(mktemp -d /tmp/eb-crash-test.XXXXXX)
PROXYPID= BRIDGEPID= DAVPID= LOCALPID=
stop_pid() { [ -n "$1" ] && kill "$1" 2>/dev/null && { wait "$1" 2>/dev/null || while kill -0 "$1" 2>/dev/null; do sleep 0.05; done; }; }
cleanup() {
	stop_pid "$LOCALPID"
	stop_pid "$BRIDGEPID"
	stop_pid "$DAVPID"
	stop_pid "$PROXYPID"
	interop/easserver/stop --purge >/dev/null 2>&1 || echo "crash: stop failed" >&2
	if [ "$failed" = 0 ]; then rm -rf "$T"; else echo "crash: logs kept in $T" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

env_lines=$(interop/easserver/start) || { fail "the EAS server did not start"; finish; }
set -a
eval "$env_lines"
set +a
export SEED_RUN="c$SEED" CRASH_JOURNAL="$T/journal.json" CRASH_KEYS="$T/keys.log"

# CRASH_SRC: build from another checkout (default: this one).
(cd "${CRASH_SRC:-.}" && go build -o "$T/easbridge" ./cmd/easbridge && go build -o "$T/faultproxy" ./interop/faultproxy) ||
	{ fail "build"; finish; }

# A small data set by default (about 2.5 min). The data set of acceptance 1:
# CRASH_EVENTS=1000 CRASH_TASKS=200 CRASH_CONTACTS=1000 CRASH_MAILS=2000
# (about 5 min). At that scale SOGo sometimes loses mail for good when an
# answer of the initial mail sync is cut or its reader killed: asked again
# with the same SyncKey it leaves out messages the lost answer carried
# (seen in CI with seed 2688138310), which the engine does not yet absorb;
# so CI runs the small set until it does.
NEV=${CRASH_EVENTS:-200} NTODO=${CRASH_TASKS:-50} NCON=${CRASH_CONTACTS:-200} NMAIL=${CRASH_MAILS:-300}
if "$PY" interop/engine/seed.py "$NEV" "$NTODO" "$NCON" "$NMAIL" >"$T/seed.out" 2>&1; then
	pass "seeded SOGo: $(tail -1 "$T/seed.out")"
else
	fail "seeding SOGo: $(tail -3 "$T/seed.out")"
	finish
fi
interop/easserver/prime >/dev/null 2>&1 || true

# The proxy, in front of SOGo's nginx.
EAS_ORIGIN=$(echo "$EAS_URL" | sed -E 's#^(https?://[^/]+).*#\1#')
EAS_PATH=${EAS_URL#"$EAS_ORIGIN"}
"$T/faultproxy" -target "$EAS_ORIGIN" -seed "$SEED" -log "$T/faults.log" -keys "$CRASH_KEYS" -addr-file "$T/proxy.addr" \
	-drop-before "${CRASH_DROP_BEFORE:-0.03}" -drop-after "${CRASH_DROP_AFTER:-0.04}" -503 "${CRASH_503:-0.03}" \
	-delay "${CRASH_DELAY:-0.05}" -max-delay 1500ms -truncate "${CRASH_TRUNCATE:-0.03}" 2>"$T/proxy.err" &
PROXYPID=$!
for _ in $(seq 50); do [ -s "$T/proxy.addr" ] && break; sleep 0.1; done
PROXY=$(head -1 "$T/proxy.addr")
[ -n "$PROXY" ] || { fail "faultproxy did not start: $(cat "$T/proxy.err")"; finish; }
proxy_ctl() { curl -fsS "http://$PROXY/_faultproxy/$1"; }

DAVPORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OURS="http://127.0.0.1:$DAVPORT/"
export CRASH_DAV_USER=crash CRASH_DAV_PASSWORD=davpw
source interop/lib/config.sh
bridge_config crash "http://$PROXY$EAS_PATH" "127.0.0.1:$DAVPORT" '[imap]
listen = "off"
[smtp]
listen = "off"' >"$T/config.toml"

# rand_ms LO HI: a random delay from the seeded generator.
rand_ms() { echo $(($1 + (RANDOM * 32768 + RANDOM) % ($2 - $1 + 1))); }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
bridge() { # bridge LOG ARGS...: easbridge in the background
	local log=$1
	shift
	"$T/easbridge" --config "$T/config.toml" "$@" >>"$log" 2>&1 &
	BRIDGEPID=$!
	disown "$BRIDGEPID" # no "Killed" job notice for each kill -9
}
# kill9: SIGKILL the bridge; says whether it was still running.
kill9() {
	local alive=died
	if kill -0 "$BRIDGEPID" 2>/dev/null; then
		alive=killed
		kill -9 "$BRIDGEPID"
	fi
	while kill -0 "$BRIDGEPID" 2>/dev/null; do sleep 0.05; done
	BRIDGEPID=
	echo "$alive"
}

# ---- a. initial sync, killed at random moments ---------------------------------
killed=0
for i in $(seq "$KILLS_A"); do
	mode="sync --once"
	[ $((i % 3)) = 0 ] && mode=run
	d=$(rand_ms 300 9000)
	echo "--- a$i: $mode, kill after $d ms" >>"$T/bridge.log"
	# shellcheck disable=SC2086
	bridge "$T/bridge.log" $mode
	sleep_ms "$d"
	r=$(kill9)
	[ "$r" = killed ] && killed=$((killed + 1))
	echo "     a$i: $mode $r after $d ms"
done
pass "initial sync: $killed of $KILLS_A runs killed with SIGKILL at random moments"
ok=0
for i in $(seq 30); do
	echo "--- a-final $i" >>"$T/bridge.log"
	if "$T/easbridge" --config "$T/config.toml" sync --once >>"$T/bridge.log" 2>&1; then
		ok=1
		break
	fi
	sleep 0.5
done
if [ $ok = 1 ]; then pass "a sync --once completed through the faulty proxy after $i tries"; else fail "no sync --once completed in 30 tries: $(tail -3 "$T/bridge.log")"; fi

# ---- b. run with changes on both sides, killed at random moments -------------------
killed=0
for i in $(seq 0 $((KILLS_B - 1))); do
	echo "--- b$i: run" >>"$T/bridge.log"
	bridge "$T/bridge.log" run
	"$PY" interop/crash/crash.py server "$i" >>"$T/changes.log" 2>&1 || fail "server changes of step $i: $(tail -2 "$T/changes.log")"
	"$PY" interop/crash/crash.py local "$i" "$OURS" "$T/mail" >"$T/local$i.out" 2>&1 &
	LOCALPID=$!
	d=$(rand_ms 500 6000)
	sleep_ms "$d"
	r=$(kill9)
	[ "$r" = killed ] && killed=$((killed + 1))
	echo "     b$i: run $r after $d ms"
	# Restarted at once: the local changes still waiting are retried against it.
	echo "--- b$i: restart" >>"$T/bridge.log"
	bridge "$T/bridge.log" run
	wait "$LOCALPID"
	LOCALPID=
	grep '^FAIL ' "$T/local$i.out" | while IFS= read -r l; do echo "$l"; done
	if grep -q '^FAIL \|Traceback' "$T/local$i.out"; then fail "local changes of step $i: $(grep -v '^ok ' "$T/local$i.out" | tail -3)"; fi
	sleep_ms "$(rand_ms 0 1500)"
	r=$(kill9)
	[ "$r" = killed ] && killed=$((killed + 1))
done
pass "run with changes on both sides: $killed of $((2 * KILLS_B)) runs killed with SIGKILL"

# ---- c. pass-through, two clean syncs, compare ------------------------------------------
proxy_ctl "faults?on=0" >"$T/proxy.stats" || fail "proxy control"
for n in 1 2; do
	echo "--- c$n: sync --once" >>"$T/bridge.log"
	if "$T/easbridge" --config "$T/config.toml" sync --once >>"$T/bridge.log" 2>&1; then
		pass "clean sync --once $n"
	else
		fail "clean sync --once $n: $(tail -3 "$T/bridge.log")"
	fi
done
# SOGo's mail state comes from IMAP polling; let a moment pass, sync again.
sleep 2
"$T/easbridge" --config "$T/config.toml" sync --once >>"$T/bridge.log" 2>&1 || fail "clean sync --once 3"
echo "     proxy: $(proxy_ctl stats)"
echo "     faults: $(awk '{print $3}' "$T/faults.log" | sort | uniq -c | tr '\n' ' ')"

: >"$T/dav.url"
EASBRIDGE_DAV_PASSWORD=davpw "$T/easbridge" serve-dav --dir "$T/state" --listen 127.0.0.1:0 >"$T/dav.url" 2>"$T/dav.log" &
DAVPID=$!
for _ in $(seq 100); do [ -s "$T/dav.url" ] && break; sleep 0.1; done
MIRROR=$(head -1 "$T/dav.url")
[ -n "$MIRROR" ] || { fail "serve-dav did not start: $(tail -3 "$T/dav.log")"; finish; }
CRASH_DAV_USER=easbridge CRASH_DAV_PASSWORD=davpw "$PY" interop/crash/crash.py check "$MIRROR" "$T/mail" >"$T/check.out" 2>&1
rc=$?
while IFS= read -r line; do
	case $line in
	"ok   "*) pass "${line#ok   }" ;;
	"FAIL "*) fail "${line#FAIL }" ;;
	*) echo "     $line" ;;
	esac
done <"$T/check.out"
if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$T/check.out"; then fail "crash.py check exited $rc"; fi
"$T/easbridge" --config "$T/config.toml" status --json >"$T/status.json" 2>&1
if "$PY" -c "import json,sys; s=json.load(open(sys.argv[1]))['accounts'][0]; sys.exit(0 if not s['quarantined'] and not s.get('last_error') else 1)" "$T/status.json"; then
	pass "status --json: nothing quarantined, no error"
else
	fail "status --json: $(head -c 600 "$T/status.json")"
fi
finish
