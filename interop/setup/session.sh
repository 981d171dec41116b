#!/usr/bin/env bash
# Runs inside dbus-run-session (started by interop/setup.sh with HOME and
# XDG_* pointing at a temporary home): a fresh gnome-keyring is the Secret
# Service. Setup driven by flags stores the password there; sync --once
# mirrors the mailbox; clients --evolution writes the EDS sources and the
# password; run serves DAV and EDS lists the synced event.
#   session.sh EASBRIDGE CONFIG EVENT_SUMMARY MAIL_SUBJECT
# (EAS_URL EAS_USER EAS_PASSWORD EAS_EMAIL in the environment.) Prints one
# PASS:/FAIL: line per check.
set -uo pipefail
EB=$1 CFG=$2 SUMMARY=$3 SUBJECT=$4
HERE=$(cd "$(dirname "$0")" && pwd)
ok() { echo "PASS: $*"; }
no() { echo "FAIL: $*"; }
check() { if eval "$1"; then ok "$2"; else no "$2"; fi; }

printf 'interop-login' | gnome-keyring-daemon --unlock --components=secrets >/dev/null ||
	{ no "gnome-keyring-daemon did not start"; exit 1; }

out=$(printf '%s\n' "$EAS_PASSWORD" | "$EB" setup --config "$CFG" --name sogo --email "$EAS_EMAIL" --url "$EAS_URL" \
	--user "$EAS_USER" --password-stdin --mail-age 3m 2>&1)
echo "$out" | sed 's/^/  | /' >&2
check '[[ $out == *"secrets are kept in the OS keyring (Secret Service)"* ]]' "setup by flags stored the password in the Secret Service and said so"
check '[ "$(secret-tool lookup service easbridge username account/sogo)" = "$EAS_PASSWORD" ]' "the Secret Service holds the Exchange password"
check '! grep -q "$EAS_PASSWORD" "$CFG" && ! grep -q "^password_command" "$CFG"' "the config holds no password and no password_command"
out2=$(printf '%s\n' "$EAS_PASSWORD" | "$EB" setup --config "$CFG" --name sogo --email "$EAS_EMAIL" --url "$EAS_URL" \
	--user "$EAS_USER" --password-stdin --mail-age 1m --calendar-age 6m 2>&1)
check '[[ $out2 == *"Account \"sogo\" updated in"* ]] && [ "$(grep -c "^\[\[account\]\]" "$CFG")" = 1 ] && grep -q "^mail_age = \"1m\"" "$CFG"' \
	"re-running setup edits the account (one [[account]], mail_age now 1m)"
check 'grep -q "^# written before setup" "$CFG" && grep -q "^\[dav\]" "$CFG"' "setup kept the comment and the [dav] table written before it"
check '[ "$(stat -c %a "$CFG")" = 600 ]' "the config is mode 0600"

if out=$(env -u EASBRIDGE_PASSWORD "$EB" sync --once --config "$CFG" 2>&1) && [[ $out == *"sogo: synced"* ]]; then
	ok "sync --once with the written config (password from the keyring)"
else
	no "sync --once: $out"
fi
check 'grep -rqs "^Subject: $SUBJECT" "$HOME/Mail/sogo"' "the delivered message is in the Maildir"

out=$("$EB" clients --config "$CFG" --evolution 2>&1)
echo "$out" | sed 's/^/  | /' >&2
check '[[ $out == *"in the Secret Service for Evolution"* ]]' "clients --evolution stored the DAV password for EDS"
mapfile -t cals < <(grep -l '^\[Calendar\]' "$HOME/.config/evolution/sources/"easbridge-*.source 2>/dev/null | xargs -rn1 basename | sed 's/\.source$//')
check '[ ${#cals[@]} -ge 1 ]' "clients --evolution wrote ${#cals[@]} calendar source(s)"

"$EB" run --config "$CFG" >"$HOME/run.url" 2>"$HOME/run.log" &
RUN_PID=$!
for _ in $(seq 100); do [ -s "$HOME/run.url" ] && break; sleep 0.1; done
if [ -s "$HOME/run.url" ] && [ ${#cals[@]} -ge 1 ]; then
	timeout 120 /usr/bin/python3 "$HERE/eds_events.py" "$SUMMARY" "${cals[@]}"
else
	no "run did not serve DAV: $(tail -3 "$HOME/run.log")"
fi
kill "$RUN_PID" 2>/dev/null
wait "$RUN_PID"
rc=$?
check '[ $rc = 0 ]' "run stops cleanly on SIGTERM"
check '! grep -q "$EAS_PASSWORD" "$HOME/run.log"' "run's log holds no password"
