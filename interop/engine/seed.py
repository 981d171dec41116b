"""Seed the interop SOGo account with events, tasks and contacts over
CalDAV/CardDAV (PUT) and mails over SMTP, for interop/engine.sh.

usage: seed.py NEVENTS NTASKS NCONTACTS NMAILS
Environment: CALDAV_URL CARDDAV_URL EAS_USER EAS_PASSWORD EAS_EMAIL SMTP_HOST SMTP_PORT
"""
import base64
import os
import smtplib
import sys
import urllib.request

RUN = os.environ.get("SEED_RUN", "r")


def put(url, body, ctype):
    req = urllib.request.Request(url, data=body.encode(), method="PUT",
                                 headers={"Content-Type": ctype})
    auth = base64.b64encode(f"{os.environ['EAS_USER']}:{os.environ['EAS_PASSWORD']}".encode()).decode()
    req.add_header("Authorization", "Basic " + auth)
    with urllib.request.urlopen(req) as r:
        if r.status not in (200, 201, 204):
            raise SystemExit(f"PUT {url}: {r.status}")


def crlf(s):
    return "\r\n".join(s.strip("\n").split("\n")) + "\r\n"


def event(i):
    uid = f"eng-{RUN}-ev-{i}"
    kind = i % 4
    if kind == 0:  # plain, non-ASCII
        body = f"""BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260301T000000Z
DTSTART:20260{3 + i % 6}1{i % 10}T09{i % 6}000Z
DTEND:20260{3 + i % 6}1{i % 10}T10{i % 6}000Z
SUMMARY:Réunion {i} – café
LOCATION:Salle {i}
END:VEVENT"""
    elif kind == 1:  # all-day
        body = f"""BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260301T000000Z
DTSTART;VALUE=DATE:20260{4 + i % 5}{10 + i % 18}
DTEND;VALUE=DATE:20260{4 + i % 5}{11 + i % 18}
SUMMARY:All day {i}
END:VEVENT"""
    elif kind == 2:  # weekly with a moved and a deleted occurrence
        body = f"""BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260301T000000Z
DTSTART:20260302T140000Z
DTEND:20260302T150000Z
RRULE:FREQ=WEEKLY;COUNT=10
EXDATE:20260316T140000Z
SUMMARY:Weekly {i}
END:VEVENT
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260301T000000Z
RECURRENCE-ID:20260309T140000Z
DTSTART:20260309T160000Z
DTEND:20260309T170000Z
SUMMARY:Weekly {i} (moved)
END:VEVENT"""
    else:  # meeting with attendees
        me = os.environ["EAS_EMAIL"]
        body = f"""BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260301T000000Z
DTSTART:20260{5 + i % 4}0{1 + i % 9}T080000Z
DTEND:20260{5 + i % 4}0{1 + i % 9}T090000Z
SUMMARY:Meeting {i}
ORGANIZER;CN=Me:mailto:{me}
ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:bob{i}@example.net
ATTENDEE;CN=Zoë;ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:zoe{i}@example.net
END:VEVENT"""
    return uid, crlf("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//easbridge interop//EN\n" + body + "\nEND:VCALENDAR")


def task(i):
    uid = f"eng-{RUN}-todo-{i}"
    return uid, crlf(f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//easbridge interop//EN
BEGIN:VTODO
UID:{uid}
DTSTAMP:20260301T000000Z
SUMMARY:Task {i} ü
DUE;VALUE=DATE:2026051{i % 10}
END:VTODO
END:VCALENDAR""")


PHOTO = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()


def contact(i):
    uid = f"eng-{RUN}-c-{i}"
    photo = f"PHOTO;ENCODING=b;TYPE=PNG:{PHOTO}\n" if i % 3 == 0 else ""
    return uid, crlf(f"""BEGIN:VCARD
VERSION:3.0
UID:{uid}
FN:Zoë Müller {RUN} {i}
N:Müller {RUN} {i};Zoë;;;
TEL;TYPE=CELL:+49 151 000{i:04d}
TEL;TYPE=WORK:+49 30 100{i:04d}
TEL;TYPE=HOME:+49 30 200{i:04d}
EMAIL;TYPE=INTERNET:z{i}@example.net
ORG:Firma {i}
{photo}END:VCARD""")


def mail(i, to):
    boundary = f"b{i}"
    att = base64.b64encode(bytes(range(256)) * 4).decode()
    att = "\r\n".join(att[j:j + 76] for j in range(0, len(att), 76))
    return (f"From: Zoë <zoe@example.net>\r\nTo: {to}\r\n"
            f"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_{RUN}_{i}?=\r\n"
            f"Message-ID: <eng-{RUN}-{i}@example.net>\r\nDate: Mon, 2 Mar 2026 09:{i % 60:02d}:00 +0000\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary={boundary}\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            f"Hällo {i}, schöne Grüße.\r\n--{boundary}\r\n"
            f"Content-Type: application/octet-stream; name=\"data{i}.bin\"\r\n"
            f"Content-Disposition: attachment; filename=\"data{i}.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            f"{att}\r\n--{boundary}--\r\n").encode()


def main():
    nev, ntodo, ncon, nmail = (int(a) for a in sys.argv[1:5])
    cal, card = os.environ["CALDAV_URL"], os.environ["CARDDAV_URL"]
    for i in range(nev):
        uid, body = event(i)
        put(f"{cal}{uid}.ics", body, "text/calendar; charset=utf-8")
    for i in range(ntodo):
        uid, body = task(i)
        put(f"{cal}{uid}.ics", body, "text/calendar; charset=utf-8")
    for i in range(ncon):
        uid, body = contact(i)
        put(f"{card}{uid}.vcf", body, "text/vcard; charset=utf-8")
    to = os.environ["EAS_EMAIL"]
    with smtplib.SMTP(os.environ["SMTP_HOST"], int(os.environ["SMTP_PORT"])) as s:
        for i in range(nmail):
            s.sendmail("zoe@example.net", [to], mail(i, to))
    print(f"seeded {nev} events, {ntodo} tasks, {ncon} contacts, {nmail} mails")


if __name__ == "__main__":
    main()
