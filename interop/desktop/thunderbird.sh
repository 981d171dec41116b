# Thunderbird headless (sourced by interop/desktop.sh; uses URL, AUTH, T,
# HERE, PY, IMAPTOOL, tally, pass, fail and sets TB_PID, IMAP_PID for its
# trap). The profile is prepared in two starts: the first, with only
# quiet-start prefs, stores the passwords through the login manager (they
# are encrypted with the profile's key4.db, so Thunderbird has to write
# them); the second adds an IMAP account on imaptool's server and a CalDAV
# calendar on serve-dav to user.js and checks, over Marionette, that the
# Inbox and the calendar show what was seeded, and adds an event that
# must reach the server.
TB=$T/thunderbird
mkdir -p "$TB/profile" "$TB/home"
"$IMAPTOOL" fill -root "$TB/Mail" -n 3 -prefix hello >/dev/null
for f in Sent Drafts Trash; do "$IMAPTOOL" fill -root "$TB/Mail" -folder "$f" -n 0 >/dev/null; done
IMAP_PASS="imap-$RANDOM-$RANDOM"
"$IMAPTOOL" serve -root "$TB/Mail" -imap 127.0.0.1:0 -smtp 127.0.0.1:0 -user alice -pass "$IMAP_PASS" \
	-out "$TB/out" >"$TB/serve.out" 2>"$TB/serve.log" &
IMAP_PID=$!
for _ in $(seq 100); do grep -q ready "$TB/serve.out" 2>/dev/null && break; sleep 0.1; done
IMAP_PORT=$(awk '/ready/ { split($2, a, ":"); print a[2] }' "$TB/serve.out")

# tb_start: runs Thunderbird headless on the profile until it quits; the
# Marionette client tells it to quit, timeout bounds it.
tb_start() {
	rm -f "$TB/profile/MarionetteActivePort"
	HOME=$TB/home timeout 240 thunderbird --headless --marionette -remote-allow-system-access --no-remote --profile "$TB/profile" >>"$TB/tb.log" 2>&1 &
	TB_PID=$!
}
tb_stop() { # waits up to 30 s for a quit, then kills
	for _ in $(seq 300); do kill -0 "$TB_PID" 2>/dev/null || break; sleep 0.1; done
	kill "$TB_PID" 2>/dev/null
	wait "$TB_PID" 2>/dev/null
	TB_PID=""
}

cat >"$TB/profile/user.js" <<PREFS
user_pref("marionette.port", 0);
user_pref("mail.shell.checkDefaultClient", false);
user_pref("mail.provider.suppress_dialog_on_startup", true);
user_pref("mail.spotlight.firstRunDone", true);
user_pref("mailnews.start_page.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.disabledForTesting", true);
user_pref("extensions.update.enabled", false);
PREFS
if [ -z "$IMAP_PORT" ]; then
	fail "imaptool serve did not start: $(tail -5 "$TB/serve.log")"
else
	tb_start
	tally 1 "$(timeout 150 $PY "$HERE/marionette.py" logins "$TB/profile" "$IMAP_PASS" "$URL" "${AUTH#easbridge:}" 2>&1)"
	tb_stop
	cat >>"$TB/profile/user.js" <<PREFS
user_pref("mail.accountmanager.accounts", "account1,account2");
user_pref("mail.accountmanager.defaultaccount", "account1");
user_pref("mail.accountmanager.localfoldersserver", "server2");
user_pref("mail.account.account1.identities", "id1");
user_pref("mail.account.account1.server", "server1");
user_pref("mail.account.account2.server", "server2");
user_pref("mail.identity.id1.fullName", "Alice");
user_pref("mail.identity.id1.useremail", "alice@example.org");
user_pref("mail.server.server1.type", "imap");
user_pref("mail.server.server1.hostname", "127.0.0.1");
user_pref("mail.server.server1.port", $IMAP_PORT);
user_pref("mail.server.server1.userName", "alice");
user_pref("mail.server.server1.name", "easbridge");
user_pref("mail.server.server1.socketType", 0);
user_pref("mail.server.server1.authMethod", 3);
user_pref("mail.server.server2.type", "none");
user_pref("mail.server.server2.hostname", "Local Folders");
user_pref("mail.server.server2.userName", "nobody");
user_pref("mail.server.server2.name", "Local Folders");
user_pref("calendar.registry.easbridge.type", "caldav");
user_pref("calendar.registry.easbridge.uri", "${URL}calendars/easbridge/calendar/");
user_pref("calendar.registry.easbridge.name", "easbridge");
user_pref("calendar.registry.easbridge.username", "easbridge");
user_pref("calendar.registry.easbridge.cache.enabled", false);
user_pref("calendar.list.sortOrder", "easbridge");
PREFS
	tb_start
	tally 4 "$(timeout 200 $PY "$HERE/marionette.py" check "$TB/profile" 3 "Seeded one" "Seeded two" 2>&1)"
	tb_stop
	if curl -sf -u "$AUTH" "${URL}calendars/easbridge/calendar/tb-created-1.ics" | tr -d '\r' | grep -qx 'SUMMARY:Created in Thunderbird'; then
		pass "the event Thunderbird added is on the server"
	else
		fail "the event Thunderbird added is not on the server: $(curl -s -u "$AUTH" -X PROPFIND -H 'Depth: 1' "${URL}calendars/easbridge/calendar/" | grep -o 'href>[^<]*' | tr '\n' ' ')"
	fi
fi
kill "$IMAP_PID" 2>/dev/null
wait "$IMAP_PID" 2>/dev/null
IMAP_PID=""
