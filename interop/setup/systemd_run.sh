#!/usr/bin/env bash
# Runs inside a private mount namespace made by interop/setup.sh: a real
# `systemd --user` (with HOME and XDG_* of a test home) runs the unit that
# `easbridge service install` writes for a config `setup` wrote; the daemon
# must come up (READY), mirror the seeded message into the Maildir, and
# bring a message delivered afterwards by push; `service uninstall` stops
# and removes it.
#   systemd_run.sh EASBRIDGE CONFIG MAILDIR SUBJECT
# (EAS_EMAIL in the environment; interop/easserver/deliver reachable from
# the current directory.) Prints one PASS:/FAIL: line per check.
set -uo pipefail
EB=$1 CFG=$2 MAILDIR=$3 SUBJECT=$4
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }

# shellcheck source=interop/service/manager.sh
source "$(dirname "$0")/../service/manager.sh"
if ! start_user_manager "$HOME/systemd-user.log"; then
	fail "$MANAGER_ERR"
	exit 0
fi
prop() { systemctl --user show -P "$1" easbridge.service; }
journal() { systemctl --user status easbridge.service 2>&1 | tail -8; }

if out=$("$EB" service install --config "$CFG" 2>&1); then
	pass "service install enabled and started the unit for setup's config"
else
	fail "service install: $out"
fi
# Type=notify: active means the daemon sent READY.
for _ in $(seq 1 150); do [ "$(prop ActiveState)" = active ] && break; sleep 0.2; done
if [ "$(prop ActiveState)" = active ] && [ "$(prop SubState)" = running ]; then
	pass "the daemon is active (READY sent) under systemd --user"
else
	fail "the unit is $(prop ActiveState)/$(prop SubState): $(journal)"
fi
has() { grep -rqs "^Subject: $1" "$MAILDIR"; }
for _ in $(seq 1 300); do has "$SUBJECT" && break; sleep 0.2; done
if has "$SUBJECT"; then
	pass "the service mirrored the seeded message into the Maildir"
else
	fail "the seeded message is not in $MAILDIR: $(journal)"
fi
PUSHED="$SUBJECT pushed"
printf 'From: sender@example.net\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <pushed-%s@example.net>\r\nDate: %s\r\n\r\nby push\r\n' \
	"$EAS_EMAIL" "$PUSHED" "$$" "$(date -R)" | interop/easserver/deliver "$EAS_EMAIL" >/dev/null
for _ in $(seq 1 300); do has "$PUSHED" && break; sleep 0.2; done
if has "$PUSHED"; then
	pass "a message delivered on the server reached the Maildir by push while the service ran"
else
	fail "the delivered message did not arrive: $(journal)"
fi
if [ "$(prop NRestarts)" = 0 ]; then
	pass "the service never restarted"
else
	fail "the service restarted $(prop NRestarts) times: $(journal)"
fi
if "$EB" service uninstall --config "$CFG" >/dev/null 2>&1 && [ "$(prop LoadState)" = not-found ]; then
	pass "service uninstall stopped and removed the unit"
else
	fail "after uninstall the unit is $(prop LoadState)/$(prop ActiveState)"
fi
