#!/usr/bin/env bash
# Acceptance suite of the desktop service pieces (issue 7), with real tools:
#  1. `easbridge service install --no-activate` writes the systemd user
#     unit, and `systemd-analyze verify` accepts it without a warning;
#  2. the launchd agent plist parses with Python's plistlib and holds the
#     keys launchd needs;
#  3. uninstall removes exactly what install wrote;
#  4. a real `systemd --user` manager, started in a private mount namespace
#     (it refuses to start unless /run/systemd/system exists, which a
#     container lacks): `service install` enables and starts the unit,
#     `service status` and `service uninstall` agree with systemctl; the
#     rendered unit with its hardening starts a notify daemon (READY, STATUS,
#     watchdog pings keep it alive, STOPPING) and a daemon that stops
#     pinging is killed by the watchdog and restarted;
#  5. a real Secret Service (gnome-keyring-daemon under dbus-run-session)
#     stores, reads and deletes a secret through package secret.
# Installs what it needs, starts only private processes, stops them (trap).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
passed=0
failed=0
skipped=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; skipped=$((skipped + 1)); }

if ! command -v systemd-analyze >/dev/null || ! [ -x /usr/bin/python3 ] || ! command -v unshare >/dev/null ||
	! command -v gnome-keyring-daemon >/dev/null || ! command -v dbus-run-session >/dev/null; then
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
		systemd python3 util-linux gnome-keyring dbus-daemon dbus-bin dbus-user-session >/dev/null ||
		{ echo "apt-get failed"; echo "0 passed, 1 failed"; exit 1; }
fi

T=$(mktemp -d /tmp/easbridge-service.XXXXXX)
cleanup() {
	# The user manager lives in its own namespace script, which stops it;
	# this only removes files.
	rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/bin dir" "$T/home"
EB="$T/bin dir/easbridge"
SVC="$T/bin dir/svctool"
go build -o "$EB" ./cmd/easbridge && go build -o "$SVC" ./interop/service/svctool ||
	{ echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config"
CFG="$XDG_CONFIG_HOME/easbridge/config.toml"
mkdir -p "$(dirname "$CFG")"
echo '# placeholder: service install only needs the file to exist' >"$CFG"
UNIT="$XDG_CONFIG_HOME/systemd/user/easbridge.service"

# ---- 1. systemd-analyze verify -------------------------------------------
if "$EB" service install --no-activate >"$T/install.out" 2>&1 && [ -f "$UNIT" ]; then
	pass "service install --no-activate wrote $UNIT"
else
	fail "service install --no-activate: $(cat "$T/install.out")"
fi
if grep -qF "ExecStart=\"$EB\" --config $CFG run" "$UNIT" 2>/dev/null; then
	pass "unit runs the installed binary (quoted path with a blank) with the config"
else
	fail "unit ExecStart: $(grep ExecStart "$UNIT" 2>&1)"
fi
out=$(systemd-analyze verify --man=no "$UNIT" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then
	pass "systemd-analyze verify: no error, no warning"
else
	fail "systemd-analyze verify (rc $rc): $out"
fi

# ---- 2. plist through plistlib -------------------------------------------
"$SVC" plist "$EB" "/Users/u/Library/Application Support/easbridge/config.toml" \
	/Users/u/Library/Logs/easbridge.log >"$T/agent.plist"
if /usr/bin/python3 - "$T/agent.plist" "$EB" <<'PY'; then
import plistlib, sys
with open(sys.argv[1], "rb") as f:
    p = plistlib.load(f)
want = {
    "Label": "org.easbridge.easbridge",
    "ProgramArguments": [sys.argv[2], "--config", "/Users/u/Library/Application Support/easbridge/config.toml", "run"],
    "RunAtLoad": True,
    "KeepAlive": {"SuccessfulExit": False},
    "ProcessType": "Background",
    "StandardOutPath": "/Users/u/Library/Logs/easbridge.log",
    "StandardErrorPath": "/Users/u/Library/Logs/easbridge.log",
}
bad = [k for k, v in want.items() if p.get(k) != v]
if bad:
    print("plist mismatch:", {k: p.get(k) for k in bad})
    sys.exit(1)
PY
	pass "plistlib parses the launchd agent with the expected keys"
else
	fail "launchd plist"
fi

# ---- 3. uninstall removes exactly what install wrote ---------------------
touch "$XDG_CONFIG_HOME/systemd/user/other.service"
if "$EB" service uninstall --no-activate >"$T/uninstall.out" 2>&1 && ! [ -e "$UNIT" ] &&
	[ -e "$XDG_CONFIG_HOME/systemd/user/other.service" ] && [ -e "$CFG" ] &&
	! [ -e "$XDG_CONFIG_HOME/easbridge/service-manifest.json" ]; then
	pass "uninstall removed the unit and its manifest, nothing else"
else
	fail "uninstall: $(cat "$T/uninstall.out"); $(ls -R "$XDG_CONFIG_HOME")"
fi
rm -f "$XDG_CONFIG_HOME/systemd/user/other.service"

# ---- 4. a real systemd --user ----------------------------------------------
if unshare --mount --propagation private true 2>/dev/null; then
	EB="$EB" SVC="$SVC" CFG="$CFG" T="$T" timeout 240 unshare --mount --propagation private \
		bash interop/service/usermanager.sh >"$T/um.out" 2>&1
	cat "$T/um.out"
	passed=$((passed + $(grep -c '^PASS:' "$T/um.out")))
	failed=$((failed + $(grep -c '^FAIL:' "$T/um.out")))
	grep -q '^\(PASS\|FAIL\):' "$T/um.out" || fail "user manager suite produced no result"
else
	skip "no private mount namespace here (unshare -m refused): a real systemd --user cannot run"
fi

# ---- 5. a real Secret Service --------------------------------------------
mkdir -p "$T/kr-home"
if HOME="$T/kr-home" XDG_DATA_HOME="$T/kr-home/.local/share" timeout 120 dbus-run-session -- bash -c '
	printf "test-login-password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || exit 3
	EASBRIDGE_TEST_KEYRING=1 go test -count=1 -run TestKeyringRoundTrip -v ./secret' >"$T/kr.out" 2>&1 &&
	grep -q -- '--- PASS: TestKeyringRoundTrip' "$T/kr.out"; then
	pass "Secret Service (gnome-keyring) round trip: Open chose the keyring; set, get, replace, delete"
else
	fail "Secret Service round trip: $(tail -20 "$T/kr.out")"
fi

echo "${passed} passed, ${failed} failed (${skipped} skipped)"
[ "$failed" -eq 0 ]
