"""Push latency of a running `easbridge run`, for bench/engine/run.

usage: push.py mail MAILDIR TRIES        (mail delivered on the server -> file in the Maildir)
       push.py dav RUN_DAV_URL ACCOUNT TRIES   (PUT to the bridge -> visible in SOGo's CalDAV)
Prints one JSON line: {"kind", "latencies_s": [...], "missed": n}.

mail: each try delivers one message straight into Dovecot over LMTP; the
clock starts when LMTP accepted it (the server holds it) and stops when a
new file holding its Message-ID is in the Maildir's new/ or cur/ (polled
every 20 ms). dav: the clock starts before the PUT of a new event to the
bridge's CalDAV server and stops when SOGo's CalDAV returns an event with
its UID from a calendar-query over the event's own day (polled every
100 ms). Tries are 0.5-2.5 s apart, at random, so they fall at every phase
of SOGo's 5 s internal change polling. Environment as from
interop/easserver/start; EASBRIDGE_DAV_PASSWORD for the bridge.
"""
import base64
import json
import os
import random
import smtplib
import sys
import time
import urllib.request

RUN = f"b{int(time.time())}"
LIMIT = 60


def mail(maildir, tries):
    port = int(os.environ["SMTP_PORT"]) - 1  # Dovecot LMTP, see interop/easserver/lib.sh
    dirs = [os.path.join(maildir, d) for d in ("new", "cur")]
    out, missed = [], 0
    for k in range(tries):
        seen = {n for d in dirs for n in os.listdir(d)}
        mid = f"<push-{RUN}-{k}@example.net>"
        msg = (f"From: zoe@example.net\r\nTo: {os.environ['EAS_EMAIL']}\r\nSubject: push {RUN} {k}\r\n"
               f"Message-ID: {mid}\r\nDate: Mon, 2 Mar 2026 11:00:00 +0000\r\n\r\npushed {k}\r\n").encode()
        with smtplib.LMTP("127.0.0.1", port) as s:
            s.sendmail("zoe@example.net", [os.environ["EAS_EMAIL"]], msg)
        t0 = time.monotonic()
        found = None
        while time.monotonic() - t0 < LIMIT and found is None:
            for d in dirs:
                for n in os.listdir(d):
                    if n in seen:
                        continue
                    seen.add(n)
                    try:
                        with open(os.path.join(d, n), "rb") as f:
                            if mid.encode() in f.read(4096):
                                found = time.monotonic() - t0
                    except FileNotFoundError:
                        pass  # renamed new/ -> cur/ meanwhile: seen again there
            time.sleep(0.02)
        if found is None:
            missed += 1
        else:
            out.append(found)
        time.sleep(random.uniform(0.5, 2.5))
    return out, missed


def req(url, auth, method, body=None, headers=None):
    r = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    r.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    with urllib.request.urlopen(r, timeout=60) as resp:
        return resp.status, resp.read()


def dav(run_url, account, tries):
    ours = (account, os.environ["EASBRIDGE_DAV_PASSWORD"])
    sogo = (os.environ["EAS_USER"], os.environ["EAS_PASSWORD"])
    out, missed = [], 0
    for k in range(tries):
        uid = f"push-{RUN}-{k}"
        day = f"2031{1 + k // 28:02d}{1 + k % 28:02d}"
        ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
               f"\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:{day}T090000Z\r\nDTEND:{day}T100000Z\r\n"
               f"SUMMARY:Push {k}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
        query = ('<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
                 '<D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR">'
                 f'<C:comp-filter name="VEVENT"><C:time-range start="{day}T000000Z" end="{day}T235959Z"/>'
                 '</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>').encode()
        t0 = time.monotonic()
        st, _ = req(run_url + f"calendars/{account}/calendar/{uid}.ics", ours, "PUT", ics.encode(), {"Content-Type": "text/calendar"})
        found = None
        while st in (201, 204) and time.monotonic() - t0 < LIMIT:
            _, body = req(os.environ["CALDAV_URL"], sogo, "REPORT", query, {"Depth": "1", "Content-Type": "application/xml"})
            if uid.encode() in body:
                found = time.monotonic() - t0
                break
            time.sleep(0.1)
        if found is None:
            missed += 1
        else:
            out.append(found)
        time.sleep(random.uniform(0.5, 2.5))
    return out, missed


def main():
    kind = sys.argv[1]
    if kind == "mail":
        lat, missed = mail(sys.argv[2], int(sys.argv[3]))
    else:
        lat, missed = dav(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    print(json.dumps({"kind": kind, "latencies_s": [round(x, 3) for x in lat], "missed": missed}))


if __name__ == "__main__":
    main()
