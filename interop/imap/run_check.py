"""Checks of `easbridge run` serving IMAP and SMTP over a SOGo account.

Run by interop/imap-run.sh with the environment of interop/easserver/start
plus EB_IMAP_PORT, EB_SMTP_PORT, EB_USER, EB_PASS, EB_MAILDIR, EB_RUN
(a unique tag), EB_DELIVER (interop/easserver/deliver) and EB_BIG (a
message above the server's size limit). Prints "ok   ..." or "FAIL ..."
lines and, for the measured delays, "     ..." lines.
"""
import imaplib
import os
import re
import socket
import subprocess
import sys
import threading
import time

E = os.environ
RUN = E["EB_RUN"]
failed = 0


def ok(cond, what):
    global failed
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failed += 1
    return cond


def ours():
    m = imaplib.IMAP4("127.0.0.1", int(E["EB_IMAP_PORT"]))
    m.login(E["EB_USER"], E["EB_PASS"])
    return m


def sogo(user=None, pw=None):
    m = imaplib.IMAP4(E["IMAP_HOST"], int(E["IMAP_PORT"]))
    m.login(user or E["EAS_USER"], pw or E["EAS_PASSWORD"])
    return m


def find(m, box, subject, readonly=True):
    """UIDs of the undeleted messages of box with subject, [] if box is missing."""
    typ, _ = m.select('"%s"' % box, readonly=readonly)
    if typ != "OK":
        return []
    typ, d = m.uid("SEARCH", None, "UNDELETED", "SUBJECT", '"%s"' % subject)
    return d[0].split() if typ == "OK" else []


def flags(m, box, uid):
    m.select('"%s"' % box, readonly=True)
    typ, d = m.uid("FETCH", uid, "(FLAGS)")
    return d[0].decode() if typ == "OK" and d and d[0] else ""


def wait(cond, timeout=60, step=0.5):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if cond():
                return True
        except (imaplib.IMAP4.error, OSError):
            pass
        time.sleep(step)
    return False


def message(subject, to=None, extra=""):
    to = to or E["EAS_EMAIL"]
    mid = "<%s.%d@example.test>" % (re.sub(r"\W", "", subject), time.time_ns())
    return ("From: sender@example.net\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n%s\r\n"
            "Body of %s.\r\n" % (to, subject, time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
                                 mid, extra, subject))


def deliver(subject):
    subprocess.run([E["EB_DELIVER"], E["EAS_EMAIL"]], input=message(subject).encode(), check=True,
                   stdout=subprocess.DEVNULL)


def check_login():
    m = imaplib.IMAP4("127.0.0.1", int(E["EB_IMAP_PORT"]))
    try:
        m.login(E["EB_USER"], "wrong")
        ok(False, "IMAP LOGIN with a wrong password is refused")
    except imaplib.IMAP4.error:
        ok(True, "IMAP LOGIN with a wrong password is refused")
    m = ours()
    typ, caps = m.capability()
    ok(b"IDLE" in caps[0] and b"CONDSTORE" not in caps[0], "CAPABILITY has IDLE, no CONDSTORE: %s" % caps[0].decode())


def seeded():
    m = ours()
    return all(find(m, "INBOX", "seed-%s-%d" % (RUN, i)) for i in range(1, 5))


def maildir_watch(subject, found):
    """Record when a file holding subject appears in the Maildir INBOX."""
    seen = set()
    end = time.time() + 90
    needle = subject.encode()
    while time.time() < end and "file" not in found:
        for sub in ("new", "cur"):
            d = os.path.join(E["EB_MAILDIR"], sub)
            for name in os.listdir(d):
                if name in seen:
                    continue
                seen.add(name)
                try:
                    with open(os.path.join(d, name), "rb") as f:
                        if needle in f.read(4096):
                            found["file"] = time.time()
                            return
                except OSError:
                    pass
        time.sleep(0.005)


def check_idle():
    subject = "idle-%s" % RUN
    m = ours()
    m.select("INBOX")
    tag = m._new_tag().decode()
    m.send(("%s IDLE\r\n" % tag).encode())
    ok(m.readline().startswith(b"+"), "IDLE is accepted")
    found = {}
    t = threading.Thread(target=maildir_watch, args=(subject, found))
    t.start()
    sent = time.time()
    deliver(subject)
    m.sock.settimeout(90)
    got = None
    try:
        while True:
            line = m.readline()
            if not line:
                break
            if line.rstrip().endswith(b"EXISTS"):
                got = time.time()
                break
    except socket.timeout:
        pass
    t.join()
    m.send(b"DONE\r\n")
    if not ok(got is not None, "IDLE reports EXISTS for mail delivered on SOGo"):
        return
    if ok("file" in found, "the mail appears in the Maildir"):
        delay = got - found["file"]
        print("     IDLE notified %.0f ms after the file appeared in the Maildir; %.1f s after delivery on SOGo"
              % (delay * 1000, got - sent))
        ok(delay < 1.0, "IDLE notified within a second of the mail reaching the Maildir (%.0f ms)" % (delay * 1000))


def check_changes():
    m = ours()
    flagged, moved, deleted = ("seed-%s-%d" % (RUN, i) for i in (1, 2, 3))
    # flag
    uid = find(m, "INBOX", flagged, readonly=False)[0]
    typ, _ = m.uid("STORE", uid, "+FLAGS", "(\\Flagged)")
    ok(typ == "OK", "STORE +FLAGS (\\Flagged) over easbridge IMAP")
    s = sogo()
    ok(wait(lambda: "\\Flagged" in flags(s, "INBOX", find(s, "INBOX", flagged)[0])),
       "the flag reaches SOGo")
    # folder create, then move into it
    typ, _ = m.create("ebmoved-%s" % RUN)
    ok(typ == "OK", "CREATE a folder over easbridge IMAP")
    ok(wait(lambda: sogo().select('"ebmoved-%s"' % RUN, readonly=True)[0] == "OK"),
       "the folder reaches SOGo")
    uid = find(m, "INBOX", moved, readonly=False)[0]
    typ, _ = m.uid("MOVE", uid, '"ebmoved-%s"' % RUN)
    ok(typ == "OK", "UID MOVE into it over easbridge IMAP")
    s = sogo()
    ok(wait(lambda: find(s, "ebmoved-%s" % RUN, moved) and not find(s, "INBOX", moved)),
       "the move reaches SOGo")
    # delete
    uid = find(m, "INBOX", deleted, readonly=False)[0]
    m.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    typ, _ = m.expunge()
    ok(typ == "OK", "STORE \\Deleted and EXPUNGE over easbridge IMAP")
    # SOGo deletes by moving to Trash (with \Deleted left in INBOX).
    ok(wait(lambda: not find(s, "INBOX", deleted)), "the delete reaches SOGo")
    m.logout()


def curl(user, pw, rcpts, path):
    cmd = ["curl", "-sS", "-v", "smtp://127.0.0.1:%s" % E["EB_SMTP_PORT"], "--user", "%s:%s" % (user, pw),
           "--mail-from", E["EAS_EMAIL"], "--upload-file", path]
    for r in rcpts:
        cmd += ["--mail-rcpt", r]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    replies = [l[2:] for l in p.stderr.splitlines() if re.match(r"< [245]\d\d ", l)]
    return replies[-2] if len(replies) >= 2 and replies[-1].startswith("221") else (replies[-1] if replies else p.stderr[-300:])


def check_smtp():
    subject = "smtp-%s" % RUN
    to2 = "%s@%s" % (E["EAS_USER_2"], E["EAS_DOMAIN"])
    to3 = "%s@%s" % (E["EAS_USER_3"], E["EAS_DOMAIN"])
    path = "/tmp/eb-imap-run-%s.eml" % RUN
    with open(path, "w") as f:
        f.write(message(subject, to=to2).replace("From: sender@example.net", "From: " + E["EAS_EMAIL"]))
    reply = curl(E["EB_USER"], "wrong", [to2], path)
    ok(reply.startswith("535"), "SMTP AUTH with a wrong password: %s" % reply)
    t0 = time.time()
    reply = curl(E["EB_USER"], E["EB_PASS"], [to2, to3], path)
    ok(reply.startswith("250") and "sent" in reply, "curl smtp:// submission (To user2, Bcc user3): %s" % reply)
    print("     submission answered in %.0f ms" % ((time.time() - t0) * 1000))
    ok(wait(lambda: find(sogo(E["EAS_USER_2"], E["EAS_PASSWORD_2"]), "INBOX", subject)),
       "the recipient on SOGo received it")
    ok(wait(lambda: find(sogo(E["EAS_USER_3"], E["EAS_PASSWORD_3"]), "INBOX", subject)),
       "the Bcc recipient (envelope only) received it")
    ok(wait(lambda: find(sogo(), "Sent", subject)), "SOGo saved it in the sender's Sent")
    ok(wait(lambda: find(ours(), "Sent", subject)), "and the engine brought the Sent copy to easbridge IMAP")
    reply = curl(E["EB_USER"], E["EB_PASS"], [to2], E["EB_BIG"])
    ok(reply.startswith("554") and "Refused" in reply,
       "a message the server refuses (above its size limit) gets a permanent SMTP error: %s" % reply)
    ok(not outbox_files(), "the refused message was not queued in the Outbox")
    os.remove(path)


def outbox_files():
    outbox = os.path.join(E["EB_MAILDIR"], ".Outbox")
    return [n for sub in ("new", "cur") for n in os.listdir(os.path.join(outbox, sub))]


def check_outbox():
    subject = "outbox-%s" % RUN
    to2 = "%s@%s" % (E["EAS_USER_2"], E["EAS_DOMAIN"])
    msg = message(subject, to=to2).replace("From: sender@example.net", "From: " + E["EAS_EMAIL"])
    typ, _ = ours().append("Outbox", None, None, msg.encode())
    ok(typ == "OK", "APPEND to the Outbox over easbridge IMAP")
    ok(wait(lambda: find(sogo(E["EAS_USER_2"], E["EAS_PASSWORD_2"]), "INBOX", subject)),
       "the engine sends it: the recipient on SOGo received it")
    ok(wait(lambda: not outbox_files()), "and it left the Outbox")


def main():
    check_login()
    ok(wait(seeded, timeout=90), "the seeded SOGo mail shows up over easbridge IMAP")
    typ, lst = ours().list()
    names = b" ".join(lst)
    ok(b"\\Sent" in names and b"\\Trash" in names, "LIST shows SOGo's folders with special-use attributes")
    check_idle()
    check_changes()
    check_smtp()
    check_outbox()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
