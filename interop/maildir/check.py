#!/usr/bin/python3
"""Checks for interop/maildir.sh: reads the watcher's JSON event lines and
the delivery logs, talks IMAP to the private Dovecot, and says pass/fail.

Each subcommand prints what it found and exits 0 on success, 1 on failure.
"""
import base64
import hashlib
import imaplib
import json
import os
import statistics
import sys
import time


def events(path):
    """The watcher's events after its ready line."""
    out, ready = [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break  # being written
            ev = json.loads(line)
            if ev["kind"] == "ready":
                ready = True
                continue
            if ready:
                out.append(ev)
    return out


def delivered(path):
    """id -> (key, sha256) from mdtool deliver output."""
    out = {}
    with open(path) as f:
        for line in f:
            key, mid, digest = line.rstrip("\n").split("\t")
            out[mid] = (key, digest)
    return out


def wait_events(path, n, timeout, quiet=1.0):
    """Waits until at least n events arrived and then quiet seconds pass
    with no new one; returns the events."""
    end = time.time() + timeout
    last, since = -1, time.time()
    while time.time() < end:
        evs = events(path)
        if len(evs) != last:
            last, since = len(evs), time.time()
        elif len(evs) >= n and time.time() - since >= quiet:
            return evs
        time.sleep(0.1)
    return events(path)


def show(evs):
    for ev in evs:
        print("   ", {k: ev[k] for k in ("kind", "folder", "key", "old_key", "from", "flags") if ev.get(k)})


def expect(evs, want):
    """want: list of dicts that must each match one event, and nothing else."""
    left = list(evs)
    ok = True
    for w in want:
        hit = next((e for e in left if all(e.get(k) == v for k, v in w.items())), None)
        if hit is None:
            print("    missing:", w)
            ok = False
        else:
            left.remove(hit)
    for e in left:
        print("    unexpected:", {k: e[k] for k in ("kind", "folder", "key", "old_key", "flags") if e.get(k)})
        ok = False
    return ok


def cmd_ready(path, timeout):
    end = time.time() + float(timeout)
    while time.time() < end:
        try:
            with open(path) as f:
                if any('"kind":"ready"' in line for line in f):
                    return 0
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    return 1


def cmd_count(path):
    print(len(events(path)))
    return 0


def cmd_neomutt(evpath, dlog, archive):
    d = delivered(dlog)
    evs = wait_events(evpath, 4, 20)
    show(evs)
    key = lambda i: d["n1-%d" % i][0]
    want = [
        {"kind": "flags", "folder": "INBOX", "key": key(0), "flags": "S"},
        {"kind": "flags", "folder": "INBOX", "key": key(1), "flags": "F"},
        {"kind": "removed", "folder": "INBOX", "key": key(2)},
        {"kind": "moved", "folder": archive, "from": "INBOX", "old_key": key(3)},
    ]
    ok = expect(evs, want)
    moved = [e for e in evs if e["kind"] == "moved"]
    if moved and (moved[0]["key"] == key(3) or not os.path.exists(moved[0]["path"])):
        print("    moved event does not name neomutt's new file:", moved[0])
        ok = False
    return 0 if ok else 1


def cmd_wait_flags(evpath, key, n, timeout):
    """Waits until key has n flag events."""
    end = time.time() + float(timeout)
    while time.time() < end:
        if sum(1 for e in events(evpath) if e["kind"] == "flags" and e["key"] == key) >= int(n):
            return 0
        time.sleep(0.05)
    return 1


def cmd_lag(evpath, key, skip):
    """Median watcher delay of flag events for key after the first skip."""
    lags = [e["lag_ms"] for e in events(evpath) if e["kind"] == "flags" and e["key"] == key][int(skip):]
    if not lags:
        print("no flag events")
        return 1
    print("flag change -> event: median %.1f ms over %d changes (min %.1f, max %.1f)"
          % (statistics.median(lags), len(lags), min(lags), max(lags)))
    return 0


def mutf7_decode(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "&":
            j = s.index("-", i)
            if j == i + 1:
                out.append("&")
            else:
                b64 = s[i + 1:j].replace(",", "/")
                b64 += "=" * (-len(b64) % 4)
                out.append(base64.b64decode(b64).decode("utf-16-be"))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def mutf7_encode(s):
    out, run = [], []

    def flush():
        if run:
            b = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(b).decode().rstrip("=").replace("/", ",") + "-")
            run.clear()

    for c in s:
        if 0x20 <= ord(c) <= 0x7E:
            flush()
            out.append("&-" if c == "&" else c)
        else:
            run.append(c)
    flush()
    return "".join(out)


def quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def uid_of(m, mid):
    typ, data = m.uid("SEARCH", None, "HEADER", "Message-ID", "<%s@easbridge.test>" % mid)
    uids = data[0].split()
    assert typ == "OK" and len(uids) == 1, (typ, data)
    return uids[0].decode()


def cmd_imap(port, dlog, want_folders, result):
    """Lists folders, checks bytes, changes flags and moves; writes what
    it did to result (JSON) for the event check."""
    d = delivered(dlog)
    ok = True
    m = imaplib.IMAP4("127.0.0.1", int(port))
    m.login("mirror", "secret")
    typ, data = m.list()
    names = set()
    for line in data:
        raw = line.decode()
        name = raw.rsplit(' "/" ', 1)[1].strip('"')
        names.add(mutf7_decode(name))
    want = set(want_folders.split("|"))
    print("    IMAP folders:", sorted(names))
    if names != want:
        print("    want:", sorted(want))
        ok = False
    # Byte-identical bodies, in every folder we delivered to.
    checked = 0
    for folder in sorted(names):
        typ, _ = m.select(quote(mutf7_encode(folder)), readonly=True)
        if typ != "OK":
            continue
        typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
        for item in data:
            if not isinstance(item, tuple):
                continue
            body = item[1]
            mid = next((l.split(b"<")[1].split(b"@")[0].decode() for l in body.split(b"\r\n")
                        if l.lower().startswith(b"message-id:")), None)
            if mid not in d:
                continue
            checked += 1
            if hashlib.sha256(body).hexdigest() != d[mid][1]:
                print("    BODY[] of", mid, "in", folder, "differs from what was delivered")
                ok = False
    print("    %d messages fetched byte-identical" % checked if ok else "    byte check failed")
    if checked != len(d):
        print("    fetched %d of %d delivered messages" % (checked, len(d)))
        ok = False
    m.select("INBOX")
    m.uid("STORE", uid_of(m, "d2-0"), "+FLAGS", "(\\Flagged)")
    m.uid("STORE", uid_of(m, "d2-1"), "+FLAGS", "(\\Seen \\Answered)")
    typ, data = m.uid("MOVE", uid_of(m, "d2-2"), quote(mutf7_encode("Café/Menü")))
    if typ != "OK":
        print("    MOVE failed:", data)
        ok = False
    m.logout()
    return 0 if ok else 1


def cmd_imap_events(evpath, dlog):
    d = delivered(dlog)
    evs = wait_events(evpath, 3, 20)
    show(evs)
    want = [
        {"kind": "flags", "folder": "INBOX", "key": d["d2-0"][0], "flags": "F"},
        {"kind": "flags", "folder": "INBOX", "key": d["d2-1"][0], "flags": "RS"},
        # Dovecot keeps the file name when it can hard-link, else writes
        # a copy under a new name (paired by Message-ID): either is fine.
        {"kind": "moved", "folder": "Café/Menü", "from": "INBOX", "old_key": d["d2-2"][0]},
    ]
    return 0 if expect(evs, want) else 1


def keys_in(folder_dir):
    out = set()
    for sub in ("new", "cur"):
        for n in os.listdir(os.path.join(folder_dir, sub)):
            if not n.startswith("."):
                out.add(n.split(":")[0].split(",")[0])
    return out


def cmd_flood(evpath, folder_dir, folder, n):
    evs = wait_events(evpath, int(n), 240, quiet=3.0)
    state = set()
    for e in evs:
        if e.get("folder") != folder:
            continue
        if e["kind"] == "added":
            state.add(e["key"])
        elif e["kind"] == "removed":
            state.discard(e["key"])
    disk = keys_in(folder_dir)
    print("    reported %d messages, %d on disk, %d events" % (len(state), len(disk), len(evs)))
    if state != disk or len(disk) != int(n):
        print("    only reported:", len(state - disk), "only on disk:", len(disk - state))
        return 1
    return 0


def cmd_crash(folder_dir, n, prefix, crash_time):
    ids = []
    for sub in ("new", "cur"):
        for name in os.listdir(os.path.join(folder_dir, sub)):
            base = name.split(":")[0]
            fields = dict(f.split("=", 1) for f in base.split(",")[1:] if "=" in f)
            ids.append(fields.get("X", "?"))
            size = os.path.getsize(os.path.join(folder_dir, sub, name))
            if str(size) != fields.get("S"):
                print("    truncated file:", name, size)
                return 1
    want = ["%s-%d" % (prefix, i) for i in range(int(n))]
    dups = len(ids) - len(set(ids))
    lost = set(want) - set(ids)
    extra = set(ids) - set(want)
    stray = [f for f in os.listdir(os.path.join(folder_dir, "tmp"))
             if os.path.getmtime(os.path.join(folder_dir, "tmp", f)) < float(crash_time)]
    print("    %d files, %d duplicates, %d lost, %d unexpected, %d stray in tmp/"
          % (len(ids), dups, len(lost), len(extra), len(stray)))
    return 0 if not (dups or lost or extra or stray) else 1


if __name__ == "__main__":
    cmd = sys.argv[1].replace("-", "_")
    sys.exit(globals()["cmd_" + cmd](*sys.argv[2:]))
