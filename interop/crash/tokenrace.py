"""Show SOGo's whole-second sync-key race, with no fault and no kill: events are
edited over CalDAV every 0.35 s while `easbridge sync --once` runs in a loop; then
two more syncs, and each edit the mirror still lacks is printed with SOGo's
c_lastmodified for it. SOGo's key for a calendar or address book is the newest
c_lastmodified (whole seconds) and a Sync reports rows modified after the key, so
an edit made in the same second as the key but after the answer is never reported.

usage: tokenrace.py EASBRIDGE_BINARY [N]
Environment: the KEY=VALUE lines of interop/easserver/start (EAS_URL CALDAV_URL EAS_USER ...).
Exit status 1 when an edit was lost. Found by interop/crash.sh; run by hand.
"""
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crash  # noqa: E402


def main():
    binary, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20
    tmp = tempfile.mkdtemp(prefix="eb-tokenrace.")
    run = f"race{int(time.time())}"
    cal = os.environ["CALDAV_URL"]
    for i in range(n):
        uid = f"{run}-{i}"
        crash.req(cal + uid + ".ics", *crash.sogo(), "PUT", crash.ics(uid, f"start {i}"), {"Content-Type": "text/calendar"})
    with open(os.path.join(tmp, "config.toml"), "w") as f:
        f.write(f'[dav]\nlisten = "127.0.0.1:0"\npassword_command = "echo x"\n[[account]]\nname = "race"\n'
                f'url = "{os.environ["EAS_URL"]}"\nusername = "{os.environ["EAS_USER"]}"\n'
                f'password_command = "printf %s {os.environ["EAS_PASSWORD"]}"\nemail = "{os.environ["EAS_EMAIL"]}"\n'
                f'state_dir = "{tmp}/state"\nmaildir = "{tmp}/mail"\ncalendar_age = "all"\nmail_age = "all"\n')

    def sync():
        subprocess.run([binary, "--config", os.path.join(tmp, "config.toml"), "sync", "--once"], capture_output=True)

    sync()
    stop = threading.Event()
    t = threading.Thread(target=lambda: [sync() for _ in iter(stop.is_set, True)])
    t.start()
    want = {}
    for i in range(n):
        uid = f"{run}-{i}"
        _, body = crash.req(cal + uid + ".ics", *crash.sogo())
        want[uid] = f"edit {i} at {time.time():.2f}"
        crash.req(cal + uid + ".ics", *crash.sogo(), "PUT", crash.resummary(body.decode(), want[uid]).encode(),
                  {"Content-Type": "text/calendar"})
        time.sleep(0.35)
    stop.set()
    t.join()
    time.sleep(1.5)
    sync()
    sync()
    db = sqlite3.connect(os.path.join(tmp, "state", "state.db"))
    lost = []
    for uid, summary in want.items():
        row = db.execute("SELECT data FROM object WHERE name = ?", (uid + ".ics",)).fetchone()
        got = re.search(r"SUMMARY:([^\r\n]*)", bytes(row[0]).decode()).group(1) if row else None
        if got != summary:
            lost.append((uid, summary, got))
    table = [r[0].rsplit("/", 1)[1] for r in crash.sogo_sql("SELECT c_location FROM sogo_folder_info WHERE c_folder_type = 'Appointment'")]
    mods = dict(crash.sogo_sql(f"SELECT c_name, c_lastmodified FROM {table[0]} WHERE c_name LIKE '{run}-%'")) if table else {}
    print(f"{len(lost)} of {n} server edits never reached the mirror")
    for uid, summary, got in lost:
        sec = mods.get(uid + ".ics")
        peers = sorted(u for u, m in mods.items() if m == sec and u != uid + ".ics")
        print(f"  {uid}: SOGo has {summary!r}, mirror {got!r}; c_lastmodified {sec}, same second as {peers}")
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
