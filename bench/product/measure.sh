#!/usr/bin/env bash
# Measures what issue 7 asks of easbridge as a desktop product:
#   - binary size, plain and stripped (-ldflags='-s -w');
#   - start-up time to the first served DAV request, of `demo` and of
#     `run` (first start with an empty state, and a restart over a synced
#     state of N items);
#   - the initial sync time of N items and the resident memory (VmRSS) of
#     the idle daemon once the sync has settled, and after a restart.
# The EAS server is bench/product/sampleserver (eas/eastest seeded with N
# generated items: 7/10 mails, 2/10 events, 1/10 contacts) in a process
# of its own, so the daemon's memory is the daemon's alone.
#
# usage: bench/product/measure.sh [ITEMS]   (default 10000; loopback only)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000}
W=$(mktemp -d /tmp/easbridge-measure.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR=$W/runtime
mkdir -m 700 -p "$XDG_RUNTIME_DIR"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# wait_dav OUTFILE USER PASSWORD: waits for the URL line in OUTFILE, then
# for a PROPFIND answered 207.
wait_dav() {
	local out=$1 user=$2 pw=$3 url=""
	for _ in $(seq 1 3000); do
		url=$(grep -m1 -o 'http://127.0.0.1:[0-9]*/' "$out" 2>/dev/null || true)
		if [ -n "$url" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' -u "$user:$pw" -X PROPFIND -H 'Depth: 0' "$url")" = 207 ]; then
			return 0
		fi
		sleep 0.005
	done
	echo "DAV never answered" >&2
	return 1
}

rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/{print $2}' "/proc/$1/status"; }

echo "== build"
go build -o "$W/easbridge" ./cmd/easbridge
go build -ldflags='-s -w' -o "$W/easbridge-stripped" ./cmd/easbridge
go build -o "$W/sampleserver" ./bench/product/sampleserver
printf 'binary size: %s bytes plain, %s bytes with -ldflags="-s -w"\n' \
	"$(stat -c %s "$W/easbridge")" "$(stat -c %s "$W/easbridge-stripped")"

echo "== demo start-up"
for i in 1 2 3; do
	t0=$(now_ms)
	"$W/easbridge" demo --dir "$W/demo$i" --port 0 --imap-port 0 --smtp-port 0 --changes 0 >"$W/demo$i.out" 2>"$W/demo$i.err" &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 1 2000); do grep -q '^  password' "$W/demo$i.out" 2>/dev/null && break; sleep 0.005; done
	pw=$(awk '/^  password/{print $2}' "$W/demo$i.out")
	wait_dav "$W/demo$i.out" demo "$pw"
	echo "demo run $i: first DAV answer after $(( $(now_ms) - t0 )) ms"
	kill "$pid"
	wait "$pid" || true
done

echo "== run with $N items"
export EASBRIDGE_PASSWORD=bench-pw
"$W/sampleserver" --items "$N" >"$W/server.out" 2>"$W/server.err" &
PIDS+=("$!")
for _ in $(seq 1 2000); do [ -s "$W/server.out" ] && break; sleep 0.01; done
URL=$(head -1 "$W/server.out")
echo bench-dav-pw >"$W/davpw"
cat >"$W/config.toml" <<EOF
[dav]
listen = "127.0.0.1:0"
password_command = "cat $W/davpw"
[imap]
listen = "127.0.0.1:0"
[smtp]
listen = "127.0.0.1:0"
[[account]]
name = "bench"
url = "$URL"
username = "bench"
state_dir = "$W/state"
maildir = "$W/Mail"
mail_age = "all"
calendar_age = "all"
EOF

items() {
	"$W/easbridge" --config "$W/config.toml" status --json 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print(sum(f["items"] for a in json.load(sys.stdin)["accounts"] for f in a["folders"]))' 2>/dev/null || echo 0
}

start_run() { # start_run TAG: starts run, prints its start-up time
	t0=$(now_ms)
	"$W/easbridge" --config "$W/config.toml" run >"$W/run-$1.out" 2>"$W/run-$1.err" &
	RUN=$!
	PIDS+=("$RUN")
	wait_dav "$W/run-$1.out" bench bench-dav-pw
	echo "run ($1): first DAV answer after $(( $(now_ms) - t0 )) ms"
}

start_run "empty state"
t0=$(now_ms)
for _ in $(seq 1 6000); do [ "$(items)" -ge "$N" ] && break; sleep 0.2; done
echo "initial sync of $(items) items: $(( $(now_ms) - t0 )) ms after DAV came up"
sleep 20
echo "idle after the initial sync: VmRSS $(rss_kb "$RUN") kB (peak VmHWM $(hwm_kb "$RUN") kB)"
kill "$RUN"
wait "$RUN" || true

start_run "restart over $N synced items"
sleep 20
echo "idle after a restart: VmRSS $(rss_kb "$RUN") kB (peak VmHWM $(hwm_kb "$RUN") kB)"
kill "$RUN"
wait "$RUN" || true
echo "state: $(du -sh "$W/state" | cut -f1) store, $(du -sh "$W/Mail" | cut -f1) Maildir"
