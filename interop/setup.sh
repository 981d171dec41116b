#!/usr/bin/env bash
# Interop suite for `easbridge setup` and `clients --evolution` (issue 7)
# against the SOGo EAS server of interop/easserver:
#   1. tmux types through the interactive setup (no session bus, so the
#      0600 file is chosen and reported) and the screen is checked: every
#      question, the live check, the password never echoed, the next steps;
#   2. in a D-Bus session with a fresh gnome-keyring (interop/setup/
#      session.sh): setup driven by flags stores the password in the Secret
#      Service and edits a config written before it; sync --once with it
#      mirrors the mailbox; clients --evolution writes the EDS sources and
#      the DAV password; run serves DAV and evolution-data-server lists the
#      synced event;
#   3. the wrong password and an unreachable host each end in one line;
#   4. setup by flags, then `service install` under a real systemd --user
#      (interop/setup/systemd_run.sh): the daemon mirrors the mailbox.
# Starts the SOGo stack (EB_EASSERVER_DIR / EB_EASSERVER_PORT_BASE select an
# instance) and stops what it started. Prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
PY=/usr/bin/python3

pkgs=()
command -v tmux >/dev/null || pkgs+=(tmux)
command -v curl >/dev/null || pkgs+=(curl)
command -v dbus-run-session >/dev/null || pkgs+=(dbus-daemon dbus-bin)
command -v gnome-keyring-daemon >/dev/null || pkgs+=(gnome-keyring)
command -v secret-tool >/dev/null || pkgs+=(libsecret-tools)
[ -x /usr/libexec/evolution-source-registry ] || pkgs+=(evolution-data-server)
$PY -c 'import gi; gi.require_version("ECal", "2.0"); gi.require_version("EDataServer", "1.2")' 2>/dev/null ||
	pkgs+=(python3-gi gir1.2-ecal-2.0 gir1.2-edataserver-1.2)
if [ ${#pkgs[@]} -gt 0 ]; then
	echo "installing ${pkgs[*]}"
	apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${pkgs[@]}" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi

T=$(mktemp -d /tmp/easbridge-setup.XXXXXX)
SOCK="eb-setup-$$"
STARTED_ES=""
cleanup() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	tmux -L "eb-setup-$$" kill-server 2>/dev/null
	[ -n "$STARTED_ES" ] && interop/easserver/stop --purge >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { if eval "$1"; then pass "$2"; else fail "$2"; fi; }
tally() { # tally WANT OUTPUT: counts a helper's PASS:/FAIL: lines
	local p f
	echo "$2"
	p=$(grep -c '^PASS: ' <<<"$2")
	f=$(grep -c '^FAIL: ' <<<"$2")
	passed=$((passed + p))
	failed=$((failed + f))
	if [ $((p + f)) -lt "$1" ]; then fail "helper stopped after $((p + f)) of $1 checks"; fi
}

EB=$T/easbridge
go build -o "$EB" ./cmd/easbridge || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
env_out=$(interop/easserver/start) || { echo "easserver did not start"; echo "0 passed, 1 failed"; exit 1; }
STARTED_ES=1
eval "$env_out"
export EAS_URL EAS_USER EAS_PASSWORD EAS_EMAIL

# Seed: one message and one event tomorrow, named uniquely for this run.
TAG="setup-$$-$RANDOM"
SUBJECT="Interop $TAG"
SUMMARY="Event $TAG"
printf 'From: sender@example.net\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@example.net>\r\nDate: %s\r\n\r\nhello\r\n' \
	"$EAS_EMAIL" "$SUBJECT" "$TAG" "$(date -R)" | interop/easserver/deliver "$EAS_EMAIL" >/dev/null
day=$(date -u -d '+1 day' +%Y%m%d)
code=$(printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easbridge interop//EN\r\nBEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%sT100000Z\r\nDTEND:%sT110000Z\r\nSUMMARY:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' \
	"$TAG" "$day" "$day" "$SUMMARY" | curl -s -o /dev/null -w '%{http_code}' -u "$EAS_USER:$EAS_PASSWORD" -X PUT \
	-H 'Content-Type: text/calendar' --data-binary @- "$CALDAV_URL$TAG.ics")
check '[ "$code" = 201 ]' "seeded a message and an event (CalDAV PUT $code)"

# ---- 1. interactive setup in tmux -----------------------------------------
H1=$T/tty-home
mkdir -p "$H1"
screen() { tmux -L "$SOCK" capture-pane -p -t setup -S -100; }
# expect PATTERN: waits up to 30 s for PATTERN (grep -E) on the screen.
expect() {
	for _ in $(seq 300); do screen | grep -Eq "$1" && return 0; sleep 0.1; done
	echo "  screen when waiting for /$1/:"; screen | grep -v '^$' | sed 's/^/  | /'
	return 1
}
type_line() {
	if [ -n "$1" ]; then tmux -L "$SOCK" send-keys -t setup -l "$1" || return 1; fi
	tmux -L "$SOCK" send-keys -t setup Enter
}
tmux -L "$SOCK" new-session -d -s setup -x 150 -y 60 \
	"env -u EASBRIDGE_PASSWORD -u DBUS_SESSION_BUS_ADDRESS HOME=$H1 XDG_CONFIG_HOME=$H1/.config XDG_DATA_HOME=$H1/.local/share XDG_RUNTIME_DIR=$H1/run $EB setup; echo SETUP-EXIT=\$?; sleep 600"
steps_ok=1
expect 'E-mail address:$' && type_line "$EAS_EMAIL" &&
	expect 'Account name \[example\]:$' && type_line sogo &&
	expect 'ActiveSync URL \(empty: find it with Autodiscover\):$' && type_line "$EAS_URL" &&
	expect "User name \[$EAS_EMAIL\]:\$" && type_line "$EAS_USER" &&
	expect "Password for $EAS_USER:\$" && type_line "$EAS_PASSWORD" &&
	expect 'Mail to keep offline.*\[3m\]:$' && type_line forever &&
	expect '"forever" is not one of the choices' && type_line 1m &&
	expect 'Past calendar events to keep.*\[6m\]:$' && type_line "" &&
	expect 'Folders to leave out, separated by commas \(none: mirror all\):$' && type_line "No Such Folder" &&
	expect 'the server has no folder named "No Such Folder"; its folders are: [A-Z]' && type_line "" &&
	expect 'Write account "sogo" to .*\? \(yes/no\) \[yes\]:$' && type_line yes &&
	expect 'SETUP-EXIT=' || steps_ok=0
check '[ $steps_ok = 1 ]' "tmux typed through every question of the interactive setup"
S=$(screen)
check 'grep -q "SETUP-EXIT=0" <<<"$S"' "interactive setup exits 0"
check 'grep -q "policy:   none" <<<"$S" && grep -Eq "folders:  [0-9]+ mail, 1 calendar" <<<"$S"' "the screen shows the live check (policy, folders)"
check '! grep -q -- "$EAS_PASSWORD" <<<"$S"' "the password was not echoed"
check 'grep -q "(mode 0600) because no keyring answered" <<<"$S"' "the 0600 fallback is chosen and reported without a keyring"
check 'grep -q "easbridge service install" <<<"$S" && grep -q "easbridge clients --evolution" <<<"$S"' "setup ends with the next steps"
C1=$H1/.config/easbridge/config.toml
check '[ "$(stat -c %a "$C1" 2>/dev/null)" = 600 ] && grep -q "^name = \"sogo\"" "$C1" && grep -q "^mail_age = \"1m\"" "$C1" && grep -q "^username = \"$EAS_USER\"" "$C1"' \
	"the interactive setup wrote the answers into a 0600 config"
check '[ "$(stat -c %a "$H1/.config/easbridge/secrets.json" 2>/dev/null)" = 600 ]' "the password went to the 0600 secrets file"
tmux -L "$SOCK" kill-server 2>/dev/null
# A fresh tmux server for the second walk-through: a new session on the
# socket of one being killed can land on the dying server and vanish.
SOCK="$SOCK-again"
# Again: the account is found by its address and every answer defaults to
# what the config holds, so only the address and the password are typed.
tmux -L "$SOCK" new-session -d -s setup -x 150 -y 60 \
	"env -u EASBRIDGE_PASSWORD -u DBUS_SESSION_BUS_ADDRESS HOME=$H1 XDG_CONFIG_HOME=$H1/.config XDG_DATA_HOME=$H1/.local/share XDG_RUNTIME_DIR=$H1/run $EB setup; echo SETUP-EXIT=\$?; sleep 600"
steps_ok=1
expect 'E-mail address:$' && type_line "$EAS_EMAIL" &&
	expect 'Account name \[sogo\]:$' && type_line "" &&
	expect "ActiveSync URL \(empty: find it with Autodiscover\) \[$EAS_URL\]:\$" && type_line "" &&
	expect "User name \[$EAS_USER\]:\$" && type_line "" &&
	expect "Password for $EAS_USER:\$" && type_line "$EAS_PASSWORD" &&
	expect 'Mail to keep offline.*\[1m\]:$' && type_line "" &&
	expect 'Past calendar events to keep.*\[6m\]:$' && type_line "" &&
	expect 'Folders to leave out, separated by commas \(none: mirror all\):$' && type_line "" &&
	expect 'Write account "sogo" to .*\? \(yes/no\) \[yes\]:$' && type_line "" &&
	expect 'SETUP-EXIT=0' || steps_ok=0
check '[ $steps_ok = 1 ] && screen | grep -q "Account \"sogo\" updated in" && [ "$(grep -c "^\[\[account\]\]" "$C1")" = 1 ]' \
	"re-running the interactive setup offers the account's values and edits it in place"
tmux -L "$SOCK" kill-server 2>/dev/null

# ---- 2. flags, keyring, sync, EDS -----------------------------------------
H2=$T/kr-home
mkdir -p "$H2/run" "$H2/.config/easbridge"
chmod 700 "$H2/run"
DAVPORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
C2=$H2/.config/easbridge/config.toml
printf '# written before setup: it must survive\n[dav]\nlisten = "127.0.0.1:%s"\n\n[imap]\nlisten = "off"\n\n[smtp]\nlisten = "off"\n' "$DAVPORT" >"$C2"
out=$(env -u EASBRIDGE_PASSWORD -u EASBRIDGE_DAV_PASSWORD HOME=$H2 XDG_CONFIG_HOME=$H2/.config XDG_DATA_HOME=$H2/.local/share \
	XDG_CACHE_HOME=$H2/.cache XDG_RUNTIME_DIR=$H2/run GSETTINGS_BACKEND=memory timeout 300 dbus-run-session -- \
	bash interop/setup/session.sh "$EB" "$C2" "$SUMMARY" "$SUBJECT" 2>"$T/session.log")
tally 14 "$out"
[ -n "$out" ] || tail -20 "$T/session.log"

# ---- 3. failures ------------------------------------------------------------
fails() { # fails URL PASSWORD: setup's stderr
	printf '%s\n' "$2" | env -u DBUS_SESSION_BUS_ADDRESS HOME=$T/f-home XDG_CONFIG_HOME=$T/f-home/.config XDG_DATA_HOME=$T/f-home/.local/share \
		"$EB" setup --email "$EAS_EMAIL" --user "$EAS_USER" --url "$1" --password-stdin 2>&1 >/dev/null
}
err=$(fails "$EAS_URL" wrong-password)
check '[ "$(wc -l <<<"$err")" = 1 ] && [[ $err == *"refused the user name or password"* ]]' "wrong password: one line ($err)"
closed=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
err=$(fails "http://127.0.0.1:$closed/Microsoft-Server-ActiveSync" "$EAS_PASSWORD")
check '[ "$(wc -l <<<"$err")" = 1 ] && [[ $err == *"cannot connect to 127.0.0.1:$closed"* ]]' "unreachable host: one line ($err)"
check '[ ! -e "$T/f-home/.config/easbridge/config.toml" ]' "a failed setup writes no config"

# ---- 4. the service under a real systemd --user ----------------------------
# setup by flags (0600 secrets file: a service has no session bus), then
# `service install` in a private mount namespace where a user manager runs
# (interop/setup/systemd_run.sh): the daemon mirrors the mailbox and gets
# new mail by push.
if unshare --mount --propagation private true 2>/dev/null && [ -x /lib/systemd/systemd ]; then
	H3=$T/svc-home
	mkdir -p "$H3/.config/easbridge" "$H3/run"
	C3=$H3/.config/easbridge/config.toml
	port3=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf '[dav]\nlisten = "127.0.0.1:%s"\n\n[imap]\nlisten = "off"\n\n[smtp]\nlisten = "off"\n' "$port3" >"$C3"
	svc_env=(env -u DBUS_SESSION_BUS_ADDRESS -u EASBRIDGE_PASSWORD -u EASBRIDGE_DAV_PASSWORD HOME="$H3" XDG_CONFIG_HOME="$H3/.config"
		XDG_DATA_HOME="$H3/.local/share" XDG_RUNTIME_DIR="$H3/run")
	if out=$(printf '%s\n' "$EAS_PASSWORD" | "${svc_env[@]}" "$EB" setup --config "$C3" --name svc --email "$EAS_EMAIL" --url "$EAS_URL" \
		--user "$EAS_USER" --maildir "$H3/Mail/svc" --state-dir "$H3/state" --password-stdin --no-keyring --yes 2>&1); then
		pass "setup by flags for the service account (0600 secrets file)"
		out=$("${svc_env[@]}" EAS_EMAIL="$EAS_EMAIL" timeout 240 unshare --mount --propagation private \
			bash interop/setup/systemd_run.sh "$EB" "$C3" "$H3/Mail/svc" "$SUBJECT" 2>&1)
		tally 6 "$out"
	else
		fail "setup by flags for the service account: $out"
	fi
else
	echo "skip the service run: no private mount namespace or no systemd here"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
