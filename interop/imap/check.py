#!/usr/bin/python3
"""imaplib half of interop/imap.sh: drives easbridge's IMAP server like a
client would, and checks the Maildir on disk after each change.

usage: check.py PORT ROOT CONTROL_FIFO OUT_DIR
Prints PASS:/FAIL: lines; exit status 0 when nothing failed."""
import glob, imaplib, json, os, re, socket, subprocess, sys, time

port, root, fifo, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
failed = 0


def check(ok, what):
    global failed
    print(("PASS: " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failed += 1


def files(folder):
    d = root if folder == "INBOX" else os.path.join(root, "." + folder)
    return sorted(glob.glob(d + "/cur/*") + glob.glob(d + "/new/*"))


def changes():
    with open(os.path.join(out, "changes.jsonl")) as f:
        return [json.loads(l) for l in f if l.strip()]


M = imaplib.IMAP4("127.0.0.1", port)
try:
    M.login("alice", "wrong")
    check(False, "wrong password refused")
except imaplib.IMAP4.error:
    check(True, "wrong password refused")
M = imaplib.IMAP4("127.0.0.1", port)
M.login("alice", "secret")
typ, caps = M.capability()
check(b"IDLE" in caps[0] and b"UIDPLUS" in caps[0] and b"MOVE" in caps[0], "IDLE, UIDPLUS, MOVE advertised after login")

typ, lines = M.list()
listing = b"\n".join(lines).decode()
check(typ == "OK" and '\\Sent' in listing and '"Sent"' in listing and '\\Drafts' in listing and '\\Trash' in listing,
      "LIST shows Sent/Drafts/Trash with special-use attributes")

typ, data = M.select("INBOX")
n = int(data[0])
check(n == 5, f"SELECT INBOX: 5 messages (got {n})")
typ, data = M.uid("FETCH", "1:*", "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (Subject From)])")
subjects = [p[1] for p in data if isinstance(p, tuple)]
check(len(subjects) == 5 and all(b"Subject: start" in s for s in subjects), "UID FETCH headers of all 5")

typ, data = M.uid("FETCH", "1", "(BODY[])")
body = data[0][1]
check(b"Body of start 0." in body, "read message 1 (BODY[])")
time.sleep(0.1)
check(any(re.search(r":2,[A-Z]*S", f) for f in files("INBOX")), "reading set S on the file in cur/")

M.uid("STORE", "2", "+FLAGS", "(\\Flagged)")
check(any(re.search(r":2,F", f) for f in files("INBOX")), "flag: STORE +FLAGS \\Flagged renamed the file with F")

before = len(files("Archive"))
typ, data = M.uid("MOVE", "3", "Archive")
check(typ == "OK" and len(files("Archive")) == before + 1 and len(files("INBOX")) == 4, "move: UID MOVE 3 Archive")

M.uid("STORE", "4", "+FLAGS", "(\\Deleted)")
M.expunge()
check(len(files("INBOX")) == 3, "delete: \\Deleted + EXPUNGE removed the file")

msg = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: draft\r\n\r\nDraft body.\r\n"
typ, data = M.append("Drafts", "(\\Draft)", None, msg)
check(typ == "OK" and b"APPENDUID" in data[0] and any(re.search(r":2,D", f) for f in files("Drafts")),
      "append: APPEND to Drafts with APPENDUID, file has D")
typ, data = M.append("Outbox", None, None, msg.replace(b"draft", b"to send"))
time.sleep(0.1)
kinds = {(c["source"], c["kind"]) for c in changes()}
check(typ == "OK" and ("imap", "outbox") in kinds, "append to Outbox is reported as an outbox message")
check({("imap", "flags"), ("imap", "moved"), ("imap", "removed"), ("imap", "added")} <= kinds,
      "every IMAP change reported as a maildir event (flags, moved, removed, added)")

ndrafts = len(files("Drafts"))
try:
    typ, data = M.append("Drafts", None, None, b"this is not a message")
    check(typ == "NO" and b"PARSE" in data[0], "malformed APPEND refused (%s %s)" % (typ, data[0][:40]))
except imaplib.IMAP4.error as e:
    check("PARSE" in str(e), "malformed APPEND refused with NO [PARSE]")
check(len(files("Drafts")) == ndrafts, "malformed APPEND left nothing in the Maildir")


def idle_wait(trigger, what):
    """IDLE, run trigger, return seconds until an EXISTS arrives."""
    tag = M._new_tag()
    M.send(tag + b" IDLE\r\n")
    line = M.readline()
    assert line.startswith(b"+"), line
    M.sock.settimeout(10)
    t0 = time.monotonic()
    trigger()
    delay = None
    while True:
        try:
            line = M.readline()
        except socket.timeout:
            break
        if b"EXISTS" in line:
            delay = time.monotonic() - t0
            break
    M.send(b"DONE\r\n")
    while not M.readline().startswith(tag):
        pass
    M.sock.settimeout(None)
    return delay


def via_store():
    with open(fifo, "w") as f:
        f.write("deliver INBOX idle-test\n")


d = idle_wait(via_store, "store")
check(d is not None and d < 1.0, f"IDLE: notified {d if d is None else round(d*1000)} ms after a delivery through the Store (engine path)")

tool = os.environ["IMAPTOOL"]
d = idle_wait(lambda: subprocess.run([tool, "fill", "-root", root, "-n", "1", "-prefix", "external"], check=True), "external")
check(d is not None and d < 1.0, f"IDLE: notified {d if d is None else round(d*1000)} ms after another process delivered (watcher path)")

M.logout()
sys.exit(1 if failed else 0)
