#!/usr/bin/python3
"""Times one IMAP server for bench/imap/run.

usage: bench.py PORT ROOT [CONTROL_FIFO]
Prints one JSON object: select_cold, select_warm (median of 5), fetch1000
(median of 5, Thunderbird's header FETCH of 1,000 messages), idle_file
(median delay from a message renamed into new/ to the EXISTS push), and
with a control FIFO idle_store (delivery through the Store + Notify)."""
import imaplib, json, os, socket, statistics, sys, time

port, root = int(sys.argv[1]), sys.argv[2]
fifo = sys.argv[3] if len(sys.argv) > 3 else None
M = imaplib.IMAP4("127.0.0.1", port)
M.login("alice", "secret")
res = {}


def timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def select_big():
    typ, data = M.select("Big", readonly=True)
    assert typ == "OK" and int(data[0]) == 50000, (typ, data)


res["select_cold"] = timed(select_big)
M.close()
warm = []
for _ in range(5):
    warm.append(timed(select_big))
    M.close()
res["select_warm"] = statistics.median(warm)

typ, data = M.select("INBOX")
assert int(data[0]) >= 1000, data
HDR = "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])"
fetches = []
for _ in range(5):
    def f():
        typ, data = M.fetch("1:1000", HDR)
        assert typ == "OK" and sum(1 for d in data if isinstance(d, tuple)) == 1000, len(data)
    fetches.append(timed(f))
res["fetch1000"] = statistics.median(fetches)

n = 0


def idle_once(trigger):
    tag = M._new_tag()
    M.send(tag + b" IDLE\r\n")
    assert M.readline().startswith(b"+")
    M.sock.settimeout(10)
    t0 = trigger()
    delay = None
    while True:
        try:
            line = M.readline()
        except socket.timeout:
            break
        if b"EXISTS" in line:
            delay = time.perf_counter() - t0
            break
    M.send(b"DONE\r\n")
    while not M.readline().startswith(tag):
        pass
    M.sock.settimeout(None)
    return delay


def drop_file():
    global n
    n += 1
    name = "%d.bench%d_%d.localhost" % (time.time(), os.getpid(), n)
    tmp = os.path.join(root, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(b"From: x@example.org\r\nSubject: idle %d\r\nMessage-ID: <idle%d.%d@example.org>\r\n\r\nhi\r\n" % (n, os.getpid(), n))
    os.chown(tmp, os.stat(root).st_uid, os.stat(root).st_gid)
    os.rename(tmp, os.path.join(root, "new", name))
    return time.perf_counter()


def via_store():
    with open(fifo, "w") as f:
        t0 = time.perf_counter()
        f.write("deliver INBOX idle\n")
    return t0


def idle_series(trigger):
    ds = []
    for _ in range(5):
        ds.append(idle_once(trigger))
        time.sleep(0.3)
    ok = [d for d in ds if d is not None]
    return statistics.median(ok) if len(ok) == len(ds) else None


res["idle_file"] = idle_series(drop_file)
if fifo:
    res["idle_store"] = idle_series(via_store)
M.logout()
print(json.dumps(res))
