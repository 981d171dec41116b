#!/usr/bin/env bash
# Runs inside a private mount namespace made by interop/service.sh: starts
# a real `systemd --user` with its own runtime directory, drives
# `easbridge service` and the rendered unit against it, and stops it.
# Prints PASS:/FAIL: lines. Needs EB, SVC, CFG, T, HOME, XDG_CONFIG_HOME.
set -uo pipefail
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }

export XDG_RUNTIME_DIR="$T/run"
# shellcheck source=interop/service/manager.sh
source "$(dirname "$0")/manager.sh"
if ! start_user_manager "$T/systemd-user.log"; then
	fail "$MANAGER_ERR"
	exit 0
fi
pass "systemd --user is running (pid $SD)"
prop() { systemctl --user show -P "$2" "$1"; }

# a. easbridge service install / status / uninstall, activating for real.
# The config is a placeholder, so `easbridge run` exits at once: install
# must enable the unit, start it, and then say that it failed and where
# to look (the real daemon's READY is checked in b with a stand-in).
"$EB" service install >"$T/i.out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q 'enable --now easbridge.service' "$T/i.out" && grep -q 'journalctl --user -u easbridge' "$T/i.out"; then
	pass "service install enabled and started the unit; run's failure on the placeholder config is reported with the journal hint"
else
	fail "service install (rc $rc): $(cat "$T/i.out")"
fi
if [ "$(prop easbridge.service UnitFileState)" = enabled ] && [ "$(prop easbridge.service LoadState)" = loaded ]; then
	pass "systemctl sees easbridge.service loaded and enabled"
else
	fail "unit state: $(systemctl --user status easbridge.service 2>&1 | head -5)"
fi
if [ "$(prop easbridge.service ExecMainStartTimestampMonotonic)" != 0 ] || [ "$(prop easbridge.service NRestarts)" -gt 0 ] 2>/dev/null; then
	pass "the manager started the easbridge binary ($(prop easbridge.service ActiveState)/$(prop easbridge.service SubState))"
else
	fail "easbridge was never started: $(systemctl --user status easbridge.service 2>&1 | head -8)"
fi
"$EB" service status >"$T/s.out" 2>&1
if grep -q '^installed: yes' "$T/s.out" && grep -q '^enabled: enabled' "$T/s.out"; then
	pass "service status: $(tr '\n' ';' <"$T/s.out")"
else
	fail "service status: $(cat "$T/s.out")"
fi
if "$EB" service uninstall >"$T/u.out" 2>&1 && [ "$(prop easbridge.service LoadState)" = not-found ] &&
	! [ -e "$XDG_CONFIG_HOME/systemd/user/default.target.wants/easbridge.service" ]; then
	pass "service uninstall stopped, disabled and removed the unit"
else
	fail "service uninstall: $(cat "$T/u.out"); LoadState=$(prop easbridge.service LoadState)"
fi

# b. the rendered unit (hardening included) with a notify daemon.
UD="$XDG_CONFIG_HOME/systemd/user"
mkdir -p "$UD"
"$SVC" unit "$SVC" "$CFG" 2s >"$UD/ebtest.service"
systemctl --user daemon-reload
if timeout 30 systemctl --user start ebtest.service && [ "$(prop ebtest.service ActiveState)" = active ] &&
	[ "$(prop ebtest.service StatusText)" = "serving 1 account" ]; then
	pass "Type=notify unit became active on READY=1 with STATUS (hardening accepted by the user manager)"
else
	fail "notify start: $(systemctl --user status ebtest.service 2>&1 | head -10)"
fi
sleep 5 # more than twice WatchdogSec=2
if [ "$(prop ebtest.service ActiveState)" = active ] && [ "$(prop ebtest.service NRestarts)" = 0 ]; then
	pass "watchdog pings at half of WATCHDOG_USEC kept it alive past 2x WatchdogSec"
else
	fail "watchdog: $(prop ebtest.service Result) restarts=$(prop ebtest.service NRestarts)"
fi
timeout 30 systemctl --user stop ebtest.service
if [ "$(prop ebtest.service ActiveState)" = inactive ] && [ "$(prop ebtest.service Result)" = success ]; then
	pass "stop: STOPPING=1 and a clean exit"
else
	fail "stop: $(prop ebtest.service ActiveState)/$(prop ebtest.service Result)"
fi

# c. a daemon that stops pinging is killed by the watchdog and restarted.
mkdir -p "$UD/ebtest.service.d"
printf '[Service]\nEnvironment=SVCTOOL_UNHEALTHY_AFTER=1s\n' >"$UD/ebtest.service.d/unhealthy.conf"
systemctl --user daemon-reload
systemctl --user reset-failed ebtest.service 2>/dev/null
timeout 30 systemctl --user start ebtest.service
ok=0
for _ in $(seq 1 100); do
	if [ "$(prop ebtest.service NRestarts)" -ge 1 ] 2>/dev/null; then ok=1; break; fi
	sleep 0.2
done
if [ $ok = 1 ]; then
	pass "an unhealthy daemon was killed by the watchdog and restarted"
else
	fail "watchdog kill: $(systemctl --user status ebtest.service 2>&1 | head -10)"
fi
timeout 30 systemctl --user stop ebtest.service
rm -rf "$UD/ebtest.service" "$UD/ebtest.service.d"
exit 0
