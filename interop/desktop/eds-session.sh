#!/usr/bin/env bash
# Runs inside `dbus-run-session` (started by interop/desktop.sh with HOME
# and XDG_* already pointing at a temporary tree, so the D-Bus-activated
# EDS services inherit them): unlocks a fresh gnome-keyring holding the
# DAV password under EDS's own lookup attribute (e-source-uid), then lets
# eds_check.py drive the registry and the calendar/address-book factories.
#   eds-session.sh CAL_UID BOOK_UID   (password in EASBRIDGE_DAV_PASSWORD)
set -uo pipefail
cal=$1 book=$2
printf 'interop-login' | gnome-keyring-daemon --unlock --components=secrets >/dev/null || { echo "FAIL: gnome-keyring-daemon"; exit 1; }
for uid in "$cal" "$book"; do
	printf '%s' "$EASBRIDGE_DAV_PASSWORD" | timeout 20 secret-tool store --label="easbridge $uid" e-source-uid "$uid" ||
		{ echo "FAIL: secret-tool store for $uid"; exit 1; }
done
echo "keyring ready after ${SECONDS}s" >&2
timeout 120 /usr/bin/python3 "$(dirname "$0")/eds_check.py" "$cal" "$book"
