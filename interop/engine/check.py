"""Compare SOGo (CalDAV, CardDAV, IMAP) with easbridge's mirror (its DAV
server and Maildir), for interop/engine.sh. Each output line is one check:
"ok   ..." or "FAIL ...".

usage: check.py compare OURS_URL MAILDIR
       check.py compare-all OURS_URL MAILDIR [NEVENTS NTASKS NCONTACTS NMAILS]
       check.py edit OURS_URL MAILDIR        (local changes to carry to SOGo)
       check.py edited                       (SOGo shows the local changes)
Environment: CALDAV_URL CARDDAV_URL EAS_USER EAS_PASSWORD EAS_EMAIL IMAP_HOST IMAP_PORT
OURS_URL is serve-dav's base URL (user easbridge, password $EASBRIDGE_DAV_PASSWORD).
"""
import base64
import collections
import hashlib
import imaplib
import os
import re
import sys
import time
import urllib.request
import xml.etree.ElementTree as ET

RUN = os.environ.get("SEED_RUN", "r")
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures += 1


def req(url, user, pw, method="GET", body=None, headers=None):
    r = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    r.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode())
    with urllib.request.urlopen(r) as resp:
        return resp.status, resp.read()


def objects(url, user, pw):
    """Every object of a DAV collection: {href: text}."""
    _, body = req(url, user, pw, "PROPFIND", b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>',
                  {"Depth": "1", "Content-Type": "application/xml"})
    out = {}
    base = re.match(r"https?://[^/]+", url).group(0)
    for resp in ET.fromstring(body).iter("{DAV:}response"):
        href = resp.find("{DAV:}href").text
        if href.endswith("/"):
            continue
        _, data = req(base + href, user, pw)
        out[href] = data.decode("utf-8", "replace")
    return out


def unfold(text):
    return re.sub(r"\r?\n[ \t]", "", text).replace("\r\n", "\n")


def components(text, name):
    """(UID, SUMMARY, has RRULE, has RECURRENCE-ID) of each component."""
    out = []
    for block in re.findall(rf"BEGIN:{name}\n(.*?)END:{name}", unfold(text), re.S):
        props = {}
        for line in block.split("\n"):
            k, _, v = line.partition(":")
            props.setdefault(k.split(";")[0], v)
        out.append((props.get("UID"), props.get("SUMMARY"), "RRULE" in props, "RECURRENCE-ID" in props))
    return out


def cards(objs):
    out = []
    for text in objs.values():
        t = unfold(text)
        fn = re.search(r"^FN[^:]*:(.*)$", t, re.M)
        out.append((fn.group(1) if fn else None, len(re.findall(r"^(?:[^.\n]+\.)?TEL[;:]", t, re.M)),
                    bool(re.search(r"^PHOTO[;:]", t, re.M))))
    return collections.Counter(out)


def sogo():
    return os.environ["EAS_USER"], os.environ["EAS_PASSWORD"]


def ours():
    return "easbridge", os.environ["EASBRIDGE_DAV_PASSWORD"]


def imap_bodies(folder="INBOX"):
    m = imaplib.IMAP4(os.environ["IMAP_HOST"], int(os.environ["IMAP_PORT"]))
    m.login(*sogo())
    m.select(folder, readonly=True)
    _, data = m.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
    out = []
    for part in data:
        # SOGo deletes by copying to Trash and flagging \Deleted without
        # expunging: such a message is gone for EAS.
        if isinstance(part, tuple) and b"\\Deleted" not in part[0]:
            out.append((part[0].decode(), part[1]))
    m.logout()
    return out


def maildir_files(root):
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(root, sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, name), "rb") as f:
                out.append((name, f.read()))
    return out


def compare(our_url, maildir):
    sogo_cal = objects(os.environ["CALDAV_URL"], *sogo())
    our_cal = objects(our_url + "calendars/easbridge/calendar/", *ours())
    our_tasks = objects(our_url + "calendars/easbridge/tasks/", *ours())
    s_ev = collections.Counter(c for t in sogo_cal.values() for c in components(t, "VEVENT"))
    o_ev = collections.Counter(c for t in our_cal.values() for c in components(t, "VEVENT"))
    check(s_ev == o_ev and len(s_ev) > 0, f"events: SOGo {sum(s_ev.values())} components, mirror {sum(o_ev.values())}"
          + ("" if s_ev == o_ev else f"; only SOGo {list((s_ev - o_ev).items())[:3]}, only mirror {list((o_ev - s_ev).items())[:3]}"))
    check(any(c[2] for c in o_ev) and any(c[3] for c in o_ev), "events: recurrence and moved occurrence mirrored")
    s_todo = collections.Counter(c[1] for t in sogo_cal.values() for c in components(t, "VTODO"))
    o_todo = collections.Counter(c[1] for t in our_tasks.values() for c in components(t, "VTODO"))
    check(s_todo == o_todo and len(s_todo) > 0, f"tasks: SOGo {sum(s_todo.values())}, mirror {sum(o_todo.values())}")
    s_cards = cards(objects(os.environ["CARDDAV_URL"], *sogo()))
    o_cards = cards(objects(our_url + "contacts/easbridge/contacts/", *ours()))
    check(s_cards == o_cards and len(s_cards) > 0, f"contacts (name, phones, photo): SOGo {sum(s_cards.values())}, mirror {sum(o_cards.values())}"
          + ("" if s_cards == o_cards else f"; only SOGo {list((s_cards - o_cards).items())[:2]}, only mirror {list((o_cards - s_cards).items())[:2]}"))
    s_mail = collections.Counter(hashlib.sha256(b).hexdigest() for _, b in imap_bodies())
    o_mail = collections.Counter(hashlib.sha256(b).hexdigest() for _, b in maildir_files(maildir))
    check(s_mail == o_mail and len(s_mail) > 0, f"mail: IMAP BODY[] of {sum(s_mail.values())} messages byte-identical to {sum(o_mail.values())} Maildir files")


EDIT_EVENT = f"eng-{RUN}-local-ev"
EDIT_CARD = f"Local Contact {RUN}"


def edit(our_url, maildir):
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:" + EDIT_EVENT +
           "\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:20260402T090000Z\r\nDTEND:20260402T100000Z\r\n"
           "SUMMARY:Made on the desktop\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    st, _ = req(our_url + f"calendars/easbridge/calendar/{EDIT_EVENT}.ics", *ours(), "PUT", ics.encode(), {"Content-Type": "text/calendar"})
    check(st in (201, 204), f"PUT event to the mirror: {st}")
    vcf = f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:eng-{RUN}-local-c\r\nFN:{EDIT_CARD}\r\nN:Contact;Local;;;\r\nTEL;TYPE=CELL:+1 555 0199\r\nEND:VCARD\r\n"
    st, _ = req(our_url + f"contacts/easbridge/contacts/eng-{RUN}-local-c.vcf", *ours(), "PUT", vcf.encode(), {"Content-Type": "text/vcard"})
    check(st in (201, 204), f"PUT contact to the mirror: {st}")
    # Mark the first message read, as a mail client does: move to cur/ with S.
    new = os.path.join(maildir, "new")
    name = sorted(os.listdir(new))[0]
    os.rename(os.path.join(new, name), os.path.join(maildir, "cur", name + ":2,S"))
    with open(os.path.join(maildir, "cur", name + ":2,S"), "rb") as f:
        mid = re.search(rb"^Message-ID:\s*(\S+)", f.read(), re.M | re.I).group(1).decode()
    with open(os.path.join(os.path.dirname(maildir.rstrip("/")), "seen-message-id"), "w") as f:
        f.write(mid)
    out = os.path.join(maildir, ".Outbox")
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    msg = (f"From: {os.environ['EAS_EMAIL']}\r\nTo: {os.environ['EAS_EMAIL']}\r\nSubject: sent through the outbox {RUN}\r\n"
           f"Message-ID: <eng-{RUN}-out@example.test>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nhello\r\n")
    with open(os.path.join(out, "tmp", "m1"), "w") as f:
        f.write(msg)
    os.rename(os.path.join(out, "tmp", "m1"), os.path.join(out, "new", f"{int(time.time())}.eng{RUN}.host"))


def edited(maildir):
    cal = objects(os.environ["CALDAV_URL"], *sogo())
    check(any(c[0] == EDIT_EVENT and c[1] == "Made on the desktop" for t in cal.values() for c in components(t, "VEVENT")),
          "event PUT on the mirror is in SOGo's calendar")
    card = cards(objects(os.environ["CARDDAV_URL"], *sogo()))
    check(any(fn == EDIT_CARD for fn, _, _ in card), "contact PUT on the mirror is in SOGo's address book")
    with open(os.path.join(os.path.dirname(maildir.rstrip("/")), "seen-message-id")) as f:
        mid = f.read()
    m = imaplib.IMAP4(os.environ["IMAP_HOST"], int(os.environ["IMAP_PORT"]))
    m.login(*sogo())
    m.select("INBOX", readonly=True)
    _, data = m.search(None, "HEADER", "Message-ID", mid)
    nums = data[0].split()
    flags = m.fetch(nums[0], "(FLAGS)")[1][0].decode() if nums else ""
    check("\\Seen" in flags, f"read mark made in the Maildir is on the server ({flags})")
    found = False
    for _ in range(30):
        m.select("INBOX", readonly=True)
        _, data = m.search(None, "SUBJECT", f'"sent through the outbox {RUN}"')
        if data[0].split():
            found = True
            break
        time.sleep(1)
    m.logout()
    check(found, "message dropped in the Maildir Outbox was sent (arrived in the INBOX)")
    left = [n for d in ("new", "cur") for n in os.listdir(os.path.join(maildir, ".Outbox", d))]
    check(not left, f"outbox emptied ({len(left)} left)")


def wait(cond, limit=90):
    start = time.time()
    while time.time() - start < limit:
        if cond():
            return time.time() - start
        time.sleep(0.2)
    return None


def push(run_url, maildir):
    """With `easbridge run` active: a mail delivered on the server appears in
    the Maildir, and an event PUT to the bridge's DAV server appears in SOGo."""
    import smtplib
    mid = f"<eng-{RUN}-push@example.net>"
    msg = (f"From: zoe@example.net\r\nTo: {os.environ['EAS_EMAIL']}\r\nSubject: push {RUN}\r\n"
           f"Message-ID: {mid}\r\nDate: Mon, 2 Mar 2026 11:00:00 +0000\r\n\r\npushed\r\n").encode()
    with smtplib.SMTP(os.environ["SMTP_HOST"], int(os.environ["SMTP_PORT"])) as s:
        s.sendmail("zoe@example.net", [os.environ["EAS_EMAIL"]], msg)

    def arrived():
        for _, body in maildir_files(maildir):
            if mid.encode() in body:
                return True
        return False
    took = wait(arrived)
    check(took is not None, f"run: mail delivered on the server reached the Maildir" + (f" in {took:.1f} s" if took else ""))
    uid = f"eng-{RUN}-push-ev"
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
           "\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:20260403T090000Z\r\nDTEND:20260403T100000Z\r\n"
           "SUMMARY:Pushed from the desktop\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    st, _ = req(run_url + f"calendars/interop/calendar/{uid}.ics", "interop", "davpw", "PUT", ics.encode(), {"Content-Type": "text/calendar"})

    def on_server():
        cal = objects(os.environ["CALDAV_URL"], *sogo())
        return any(c[0] == uid for t in cal.values() for c in components(t, "VEVENT"))
    took = wait(on_server)
    check(st == 201 and took is not None, f"run: event PUT to the bridge's DAV reached SOGo" + (f" in {took:.1f} s" if took else f" (PUT {st})"))
    # A flag and a delete made in the Maildir, as a mail client makes them.
    files = sorted(os.listdir(os.path.join(maildir, "new")))
    flag_name, del_name = files[0], files[1]
    mids = {}
    for n in (flag_name, del_name):
        with open(os.path.join(maildir, "new", n), "rb") as f:
            mids[n] = re.search(rb"^Message-ID:\s*(\S+)", f.read(), re.M | re.I).group(1).decode()
    os.rename(os.path.join(maildir, "new", flag_name), os.path.join(maildir, "cur", flag_name + ":2,F"))
    os.remove(os.path.join(maildir, "new", del_name))
    m = imaplib.IMAP4(os.environ["IMAP_HOST"], int(os.environ["IMAP_PORT"]))
    m.login(*sogo())

    def imap_flags(mid):
        m.select("INBOX", readonly=True)
        nums = m.search(None, "HEADER", "Message-ID", mid)[1][0].split()
        for n in nums:
            flags = m.fetch(n, "(FLAGS)")[1][0].decode()
            if "\\Deleted" not in flags:
                return flags
        return None
    took = wait(lambda: "\\Flagged" in (imap_flags(mids[flag_name]) or ""))
    check(took is not None, "run: a flag set in the Maildir reached the server" + (f" in {took:.1f} s" if took else ""))
    took = wait(lambda: imap_flags(mids[del_name]) is None)
    check(took is not None, "run: a message deleted from the Maildir left the server's INBOX" + (f" in {took:.1f} s" if took else ""))
    m.logout()


CONFLICT_UID = f"eng-{RUN}-ev-0"


def conflict_edit(our_url):
    """The same event edited on both sides while the bridge is stopped: the
    title on both, the location on the desktop only."""
    url = os.environ["CALDAV_URL"] + f"{CONFLICT_UID}.ics"
    _, body = req(url, *sogo())
    text = re.sub(r"SUMMARY:[^\r\n]*", f"SUMMARY:Server title {RUN}", body.decode())
    st, _ = req(url, *sogo(), "PUT", text.encode(), {"Content-Type": "text/calendar"})
    check(st in (201, 204), f"conflict: edited in SOGo ({st})")
    ours_obj = our_url + f"calendars/easbridge/calendar/{CONFLICT_UID}.ics"
    _, body = req(ours_obj, *ours())
    text = re.sub(r"SUMMARY:[^\r\n]*", f"SUMMARY:Client title {RUN}", body.decode())
    text = re.sub(r"LOCATION:[^\r\n]*", "LOCATION:Room from the desktop", text)
    st, _ = req(ours_obj, *ours(), "PUT", text.encode(), {"Content-Type": "text/calendar"})
    check(st in (201, 204), f"conflict: edited on the mirror ({st})")


def conflict_check(our_url, status_file):
    import json
    want = f"Server title {RUN}"
    sogo_sum = [c[1] for t in objects(os.environ["CALDAV_URL"], *sogo()).values() for c in components(t, "VEVENT") if c[0] == CONFLICT_UID]
    our_sum = [c[1] for t in objects(our_url + "calendars/easbridge/calendar/", *ours()).values() for c in components(t, "VEVENT") if c[0] == CONFLICT_UID]
    check(sogo_sum == [want] and our_sum == [want], f"conflict: server-wins title on both sides (SOGo {sogo_sum}, mirror {our_sum})")
    _, body = req(os.environ["CALDAV_URL"] + f"{CONFLICT_UID}.ics", *sogo())
    check("LOCATION:Room from the desktop" in unfold(body.decode()),
          "conflict: the location changed on the desktop only reached SOGo (field-level merge)")
    with open(status_file) as f:
        acct = json.load(f)["accounts"][0]
    hits = [c for c in acct["conflicts"] if c["winner"] == "server" and "Subject" in c["reason"]]
    check(len(hits) == 1, f"conflict: the loser is in status ({acct['conflicts']})")


def main():
    mode = sys.argv[1]
    if mode == "compare":
        compare(sys.argv[2], sys.argv[3])
    elif mode == "edit":
        edit(sys.argv[2], sys.argv[3])
    elif mode == "edited":
        edited(sys.argv[2])
    elif mode == "conflict-edit":
        conflict_edit(sys.argv[2])
    elif mode == "conflict-check":
        conflict_check(sys.argv[2], sys.argv[3])
    elif mode == "push":
        push(sys.argv[2], sys.argv[3])
    elif mode == "compare-all":
        # Item by item and field by field (interop/engine/compare_all.py).
        import compare_all
        compare_all.main(sys.argv[2:])
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
