"""Seed SOGo and check both directions of `easbridge run` with real desktop
clients, for interop/engine-clients.sh. Each output line is one check:
"ok   ..." or "FAIL ...". Runs under /usr/bin/python3 (python3-caldav).

usage: clients.py seed
       clients.py server-change RUN_URL MAILDIR   (changes made on SOGo reach the mirror)
       clients.py caldav RUN_URL                  (python3-caldav edits/creates, SOGo has them)
       clients.py cards-on-server                 (vdirsyncer's edit and new card reached SOGo)
       clients.py mail-on-server                  (neomutt's read/flag/delete/move and the Outbox)
Environment: CALDAV_URL CARDDAV_URL EAS_USER EAS_PASSWORD EAS_EMAIL EAS_EMAIL_2
EAS_USER_2 EAS_PASSWORD_2 IMAP_HOST IMAP_PORT SEED_RUN.
"""
import base64
import imaplib
import os
import re
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

RUN = os.environ.get("SEED_RUN", "r")
LIMIT = 60
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures += 1


def req(url, user, pw, method="GET", body=None, headers=None):
    r = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    r.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode())
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def sogo():
    return os.environ["EAS_USER"], os.environ["EAS_PASSWORD"]


def objects(url, user, pw):
    """Every object of a DAV collection as one text."""
    _, body = req(url, user, pw, "PROPFIND", b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>',
                  {"Depth": "1", "Content-Type": "application/xml"})
    base = re.match(r"https?://[^/]+", url).group(0)
    out = []
    for resp in ET.fromstring(body).iter("{DAV:}response"):
        href = resp.find("{DAV:}href").text
        if not href.endswith("/"):
            out.append(req(base + href, user, pw)[1].decode("utf-8", "replace"))
    return "\n".join(out).replace("\r\n ", "").replace("\n ", "")


def wait(cond, limit=LIMIT):
    start = time.time()
    while time.time() - start < limit:
        try:
            if cond():
                return time.time() - start
        except Exception as e:  # a transient error is retried until the limit
            print(f"     retry: {e}", flush=True)
        time.sleep(0.5)
    return None


def took(t):
    return f" in {t:.1f} s" if t is not None else f" (not within {LIMIT} s)"


def ics(uid, summary, day):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//eb//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
            f"\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:202604{day:02d}T090000Z\r\nDTEND:202604{day:02d}T100000Z\r\n"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def vcf(uid, fn, tel):
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{fn}\r\nN:{fn.split()[-1]};{fn.split()[0]};;;\r\nTEL;TYPE=CELL:{tel}\r\nEND:VCARD\r\n"


def imap(user=None, pw=None):
    m = imaplib.IMAP4(os.environ["IMAP_HOST"], int(os.environ["IMAP_PORT"]))
    m.login(user or sogo()[0], pw or sogo()[1])
    return m


def seed():
    for i in range(3):
        st, _ = req(os.environ["CALDAV_URL"] + f"cl-{RUN}-ev{i}.ics", *sogo(), "PUT",
                    ics(f"cl-{RUN}-ev{i}", f"Seeded event {i}", 10 + i).encode(), {"Content-Type": "text/calendar"})
        check(st in (201, 204), f"seed: event {i} PUT on SOGo ({st})")
        st, _ = req(os.environ["CARDDAV_URL"] + f"cl-{RUN}-c{i}.vcf", *sogo(), "PUT",
                    vcf(f"cl-{RUN}-c{i}", f"Seed Person{i}", f"+1 555 010{i}").encode(), {"Content-Type": "text/vcard"})
        check(st in (201, 204), f"seed: contact {i} PUT on SOGo ({st})")
    m = imap()
    typ, _ = m.create("Archive")
    m.subscribe("Archive")
    check(typ == "OK", "seed: IMAP folder Archive created")
    m.logout()


def maildir_has(maildir, needle):
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        for n in os.listdir(d):
            with open(os.path.join(d, n), "rb") as f:
                if needle in f.read():
                    return True
    return False


def server_change(run_url, maildir):
    """SOGo-side changes (CalDAV, CardDAV, a new mail already delivered by the
    driver) must appear in the running bridge's DAV server and Maildir."""
    ours = ("interop", "davpw")
    st, body = req(os.environ["CALDAV_URL"] + f"cl-{RUN}-ev0.ics", *sogo())
    text = re.sub(r"SUMMARY:[^\r\n]*", f"SUMMARY:Changed on the server {RUN}", body.decode())
    st, _ = req(os.environ["CALDAV_URL"] + f"cl-{RUN}-ev0.ics", *sogo(), "PUT", text.encode(), {"Content-Type": "text/calendar"})
    check(st in (201, 204), f"server: event changed through SOGo CalDAV ({st})")
    st, body = req(os.environ["CARDDAV_URL"] + f"cl-{RUN}-c0.vcf", *sogo())
    text = re.sub(r"TEL;[^\r\n]*", "TEL;TYPE=CELL:+1 555 0177", body.decode())
    st, _ = req(os.environ["CARDDAV_URL"] + f"cl-{RUN}-c0.vcf", *sogo(), "PUT", text.encode(), {"Content-Type": "text/vcard"})
    check(st in (201, 204), f"server: contact changed through SOGo CardDAV ({st})")
    t = wait(lambda: maildir_has(maildir, f"<cl-{RUN}-new@example.net>".encode()))
    check(t is not None, "run: mail delivered on the server appeared in the Maildir" + took(t))
    t = wait(lambda: f"Changed on the server {RUN}" in objects(run_url + "calendars/interop/calendar/", *ours))
    check(t is not None, "run: event changed on SOGo appeared in the mirror's CalDAV" + took(t))
    t = wait(lambda: "555 0177" in objects(run_url + "contacts/interop/contacts/", *ours))
    check(t is not None, "run: contact changed on SOGo appeared in the mirror's CardDAV" + took(t))


def caldav_client(run_url):
    """python3-caldav edits a mirrored event and creates one on easbridge's DAV."""
    import caldav
    client = caldav.DAVClient(url=run_url, username="interop", password="davpw")
    cal = client.calendar(url=run_url + "calendars/interop/calendar/")
    ev = cal.event_by_uid(f"cl-{RUN}-ev1")
    ev.vobject_instance.vevent.summary.value = f"Edited by python-caldav {RUN}"
    ev.save()
    check(True, "python3-caldav: event edited and saved on easbridge's DAV")
    cal.save_event(ics(f"cl-{RUN}-pyc", f"Created by python-caldav {RUN}", 20))
    check(True, "python3-caldav: event created on easbridge's DAV")
    t = wait(lambda: f"Edited by python-caldav {RUN}" in objects(os.environ["CALDAV_URL"], *sogo()))
    check(t is not None, "run: python3-caldav's edit reached SOGo" + took(t))
    t = wait(lambda: f"Created by python-caldav {RUN}" in objects(os.environ["CALDAV_URL"], *sogo()))
    check(t is not None, "run: python3-caldav's new event reached SOGo" + took(t))


def cards_on_server():
    t = wait(lambda: "555 0155" in objects(os.environ["CARDDAV_URL"], *sogo()))
    check(t is not None, "run: vdirsyncer's edited card reached SOGo" + took(t))
    t = wait(lambda: f"Newperson{RUN}" in objects(os.environ["CARDDAV_URL"], *sogo()))
    check(t is not None, "run: vdirsyncer's new card reached SOGo" + took(t))
    # With its name: SOGo files a card by the FileAs easbridge sends, and
    # keeps no FN without one.
    fn = re.search(rf"^FN[;:][^\n]*Newperson{RUN}", objects(os.environ["CARDDAV_URL"], *sogo()), re.M)
    check(fn is not None, "run: the new card has its name (FN) on SOGo")
    if t is None or fn is None:
        print("     SOGo cards: " + " | ".join(re.findall(r"^(?:FN|N|TEL)[^\n]*", objects(os.environ["CARDDAV_URL"], *sogo()), re.M)))


def flags_of(m, folder, mid):
    """FLAGS of the live (not \\Deleted) copy of mid in folder, or None."""
    m.select(folder, readonly=True)
    for n in m.search(None, "HEADER", "Message-ID", mid)[1][0].split():
        fl = m.fetch(n, "(FLAGS)")[1][0].decode()
        if "\\Deleted" not in fl:
            return fl
    return None


def mail_on_server():
    m = imap()
    mid = lambda i: f"<cl-{RUN}-m{i}@example.net>"
    t = wait(lambda: "\\Seen" in (flags_of(m, "INBOX", mid(0)) or ""))
    check(t is not None, "run: neomutt's read mark is \\Seen on the server" + took(t))
    t = wait(lambda: "\\Flagged" in (flags_of(m, "INBOX", mid(1)) or ""))
    check(t is not None, "run: neomutt's flag is \\Flagged on the server" + took(t))
    t = wait(lambda: flags_of(m, "INBOX", mid(2)) is None)
    check(t is not None, "run: neomutt's delete removed the message from the server's INBOX" + took(t))
    t = wait(lambda: flags_of(m, "INBOX", mid(3)) is None and flags_of(m, "Archive", mid(3)) is not None)
    check(t is not None, "run: neomutt's move put the message in the server's Archive" + took(t))
    subj = f"via the outbox {RUN}"
    t = wait(lambda: flags_of(m, "Sent", f"<cl-{RUN}-out@example.test>") is not None)
    check(t is not None, "run: the Outbox message is in the server's Sent folder" + took(t))
    m.logout()
    m2 = imap(os.environ["EAS_USER_2"], os.environ["EAS_PASSWORD_2"])

    def received():
        m2.select("INBOX", readonly=True)
        return bool(m2.search(None, "SUBJECT", f'"{subj}"')[1][0].split())
    t = wait(received)
    check(t is not None, "run: the Outbox message reached the recipient user2" + took(t))
    m2.logout()


def main():
    mode = sys.argv[1]
    if mode == "seed":
        seed()
    elif mode == "server-change":
        server_change(sys.argv[2], sys.argv[3])
    elif mode == "caldav":
        caldav_client(sys.argv[2])
    elif mode == "cards-on-server":
        cards_on_server()
    elif mode == "mail-on-server":
        mail_on_server()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
