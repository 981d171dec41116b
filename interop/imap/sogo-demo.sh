#!/usr/bin/env bash
# Manual demonstration (not run by interop/run, which must not depend on a
# server it did not start): a message submitted over SMTP to imaptool
# serve, whose Sender is eas.Client.SendMail against the SOGo dev server
# (/work/shared/easserver, 127.0.0.1:24000), arrives in user2's INBOX and
# in user1's Sent folder. The engine's suite (issue 6) takes this over.
#   set -a; . /tmp/easserver-shared.env; set +a; interop/imap/sogo-demo.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
: "${EAS_URL:?source /tmp/easserver-shared.env first}"
T=$(mktemp -d /tmp/easbridge-sogo-demo.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
go build -o "$T/imaptool" ./interop/imap/imaptool || exit 1
mkdir -p "$T/out"
"$T/imaptool" serve -root "$T/Mail" -imap 127.0.0.1:21145 -smtp 127.0.0.1:21589 -out "$T/out" >"$T/o" 2>"$T/e" &
PID=$!
for _ in $(seq 50); do grep -q ready "$T/o" && break; sleep 0.1; done
SUBJ="easbridge smtpd demo $(date +%s)"
printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <demo%s@example.test>\r\n\r\nSent through easbridge smtpd and EAS SendMail.\r\n' \
	"$EAS_EMAIL" "${EAS_USER_2}@${EAS_DOMAIN}" "$SUBJ" "$(date -R)" "$(date +%s%N)" >"$T/m.eml"
curl -sS -v "smtp://127.0.0.1:21589" --user alice:secret --mail-from "$EAS_EMAIL" \
	--mail-rcpt "${EAS_USER_2}@${EAS_DOMAIN}" --upload-file "$T/m.eml" 2>&1 | grep -a '^< [245][0-9][0-9] ' | tail -1
sleep 3
SUBJ="$SUBJ" /usr/bin/python3 - <<'PY'
import imaplib, os, sys
ok = True
for user, pw, box in [(os.environ["EAS_USER_2"], os.environ["EAS_PASSWORD_2"], "INBOX"),
                      (os.environ["EAS_USER"], os.environ["EAS_PASSWORD"], "Sent")]:
    M = imaplib.IMAP4(os.environ["IMAP_HOST"], int(os.environ["IMAP_PORT"]))
    M.login(user, pw)
    M.select('"%s"' % box, readonly=True)
    typ, d = M.search(None, "SUBJECT", '"%s"' % os.environ["SUBJ"])
    found = bool(d[0].split())
    ok = ok and found
    print(("PASS" if found else "FAIL") + ": %s %s holds the submitted message" % (user, box))
    M.logout()
sys.exit(0 if ok else 1)
PY
