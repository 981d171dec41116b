# kill -9 during a burst of 500 concurrent PUTs (50 at a time); after a
# restart every acknowledged PUT is there with its exact content, and
# nothing that was never sent or only half stored. (An object whose PUT
# committed but whose answer was cut off by the kill may be there too.)
# Sourced by interop/dav.sh; runs last, as it restarts the server.
BURST_LOG=$T/burst.log
: >"$BURST_LOG"
COLL="${URL}calendars/easbridge/calendar/"
"$T/putburst" -url "$COLL" -pass "${AUTH#easbridge:}" -n 500 -c 50 -log "$BURST_LOG" >"$T/burst.out" 2>&1 &
BURST_PID=$!
for _ in $(seq 300); do
	[ "$(grep -c '^ack ' "$BURST_LOG")" -ge 100 ] && break
	sleep 0.05
done
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""
wait "$BURST_PID"
BURST_PID=""
cat "$T/burst.out"
addr=${URL#http://}
addr=${addr%/}
check "serve-dav restarts on the same store after kill -9" start_server "$T/store" "$addr"
check "after kill -9: every acknowledged PUT is there, nothing else" \
	"$T/putburst" -verify -url "$COLL" -pass "${AUTH#easbridge:}" -n 500 -log "$BURST_LOG"
cat "$T/check.out"
