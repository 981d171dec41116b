"""Seed the interop SOGo account, for interop/engine.sh, interop/engine-scale.sh
and bench/engine/run: events, tasks and contacts over CalDAV/CardDAV (PUT,
several keep-alive connections in parallel) and mails straight into Dovecot
(LMTP for the INBOX, IMAP APPEND for other folders), then read and flagged
marks over IMAP.

usage: seed.py NEVENTS NTASKS NCONTACTS NMAILS

The data has the variety issue 6 asks for, chosen by index so that every
kind appears once the counts reach ten or so:
- events: plain UTC with non-ASCII text, in Europe/Berlin with an alarm,
  all-day (one day and three days), weekly in America/New_York with a
  deleted and a moved occurrence, daily in Asia/Tokyo until a date with a
  changed occurrence, meetings with attendees (in Australia/Sydney, and one
  organized by someone else), monthly with a deleted occurrence, yearly
  all-day;
- tasks: with due date, with start, priority and description, completed,
  with categories;
- contacts: three to five phones (work, home, mobile, work fax, pager), up to three e-mail
  addresses, postal addresses, birthday, note, and a PNG photo (1-9 KB) on
  every second one;
- mails: plain UTF-8, quoted-printable Latin-1, text+HTML alternative,
  binary attachment (1-200 KB, RFC 2231 non-ASCII file name), HTML with an
  inline image, a forwarded message, base64 UTF-8 (CJK, emoji) and, one in
  a hundred, a 1.5 MB attachment. 85 % go to the INBOX, 10 % to the user
  folder "Projekte/Ärger" and 5 % to Sent; every third is read, every tenth
  flagged.
Environment: CALDAV_URL CARDDAV_URL EAS_USER EAS_PASSWORD EAS_EMAIL IMAP_HOST
IMAP_PORT SMTP_PORT (LMTP is Dovecot's, at SMTP_PORT - 1; see
interop/easserver/lib.sh), SEED_RUN (a tag in every UID), SEED_JOBS
(parallel connections, default 6).
"""
import base64
import concurrent.futures
import http.client
import imaplib
import os
import smtplib
import struct
import sys
import threading
import time
import urllib.parse
import zlib

RUN = os.environ.get("SEED_RUN", "r")
JOBS = int(os.environ.get("SEED_JOBS", "6"))
# Dovecot user folder (IMAP name, modified UTF-7 of "Projekte/Ärger").
USER_FOLDER = "Projekte/&AMQ-rger"


def crlf(s):
    return "\r\n".join(s.strip("\n").split("\n")) + "\r\n"


# ---- DAV ------------------------------------------------------------------------
_local = threading.local()


def put(url, body, ctype):
    """PUT body to url on this thread's keep-alive connection."""
    u = urllib.parse.urlsplit(url)
    auth = base64.b64encode(f"{os.environ['EAS_USER']}:{os.environ['EAS_PASSWORD']}".encode()).decode()
    for attempt in range(3):
        conn = getattr(_local, "conn", None)
        if conn is None:
            conn = _local.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        try:
            conn.request("PUT", u.path, body=body.encode(), headers={
                "Content-Type": ctype, "Authorization": "Basic " + auth})
            r = conn.getresponse()
            r.read()
            if r.status in (200, 201, 204):
                return
            err = f"PUT {url}: {r.status}"
        except (OSError, http.client.HTTPException) as e:
            err = f"PUT {url}: {e}"
        conn.close()
        _local.conn = None
        time.sleep(0.5 * (attempt + 1))
    raise SystemExit(err)


VTZ = {
    "Europe/Berlin": """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE""",
    "America/New_York": """BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE""",
    "Asia/Tokyo": """BEGIN:VTIMEZONE
TZID:Asia/Tokyo
BEGIN:STANDARD
TZOFFSETFROM:+0900
TZOFFSETTO:+0900
TZNAME:JST
DTSTART:19700101T000000
END:STANDARD
END:VTIMEZONE""",
    "Australia/Sydney": """BEGIN:VTIMEZONE
TZID:Australia/Sydney
BEGIN:STANDARD
TZOFFSETFROM:+1100
TZOFFSETTO:+1000
TZNAME:AEST
DTSTART:19700405T030000
RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU
END:STANDARD
BEGIN:DAYLIGHT
TZOFFSETFROM:+1000
TZOFFSETTO:+1100
TZNAME:AEDT
DTSTART:19701004T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU
END:DAYLIGHT
END:VTIMEZONE""",
}


def day(i, base_month=3):
    """A date in 2026 spread by i: (month, day)."""
    return 1 + (base_month - 1 + i) % 12, 1 + (i * 7) % 28


def event(i):
    uid = f"eng-{RUN}-ev-{i}"
    kind = i % 10
    m, d = day(i)
    hh = 8 + i % 9
    head = f"UID:{uid}\nDTSTAMP:20260301T000000Z\n"
    tz = None
    if kind == 0:  # plain, UTC, non-ASCII
        body = f"""BEGIN:VEVENT
{head}DTSTART:2026{m:02d}{d:02d}T{hh:02d}{i % 6}000Z
DTEND:2026{m:02d}{d:02d}T{hh + 1:02d}{i % 6}000Z
SUMMARY:Réunion {i} – café
LOCATION:Salle {i}
DESCRIPTION:Ordre du jour: élément {i}\\, suite.\\nDeuxième ligne ✓
END:VEVENT"""
    elif kind == 1:  # local time zone with an alarm
        tz = "Europe/Berlin"
        body = f"""BEGIN:VEVENT
{head}DTSTART;TZID={tz}:2026{m:02d}{d:02d}T{hh:02d}3000
DTEND;TZID={tz}:2026{m:02d}{d:02d}T{hh + 2:02d}0000
SUMMARY:Termin {i} in Berlin
LOCATION:Büro {i}
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Termin {i}
TRIGGER:-PT15M
END:VALARM
END:VEVENT"""
    elif kind == 2:  # all-day, one day
        body = f"""BEGIN:VEVENT
{head}DTSTART;VALUE=DATE:2026{m:02d}{d:02d}
DTEND;VALUE=DATE:2026{m:02d}{d + 1:02d}
SUMMARY:All day {i}
TRANSP:TRANSPARENT
END:VEVENT"""
    elif kind == 3:  # all-day, three days
        body = f"""BEGIN:VEVENT
{head}DTSTART;VALUE=DATE:2026{m:02d}{d:02d}
DTEND;VALUE=DATE:2026{m:02d}{d + 3:02d}
SUMMARY:Konferenz {i} (drei Tage)
LOCATION:Zürich
END:VEVENT"""
    elif kind == 4:  # weekly, New York, a deleted and a moved occurrence
        tz = "America/New_York"
        body = f"""BEGIN:VEVENT
{head}DTSTART;TZID={tz}:20260302T{hh:02d}0000
DTEND;TZID={tz}:20260302T{hh + 1:02d}0000
RRULE:FREQ=WEEKLY;COUNT=10
EXDATE;TZID={tz}:20260316T{hh:02d}0000
SUMMARY:Weekly {i}
END:VEVENT
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260301T000000Z
RECURRENCE-ID;TZID={tz}:20260309T{hh:02d}0000
DTSTART;TZID={tz}:20260310T{hh + 2:02d}0000
DTEND;TZID={tz}:20260310T{hh + 3:02d}0000
SUMMARY:Weekly {i} (moved)
END:VEVENT"""
    elif kind == 5:  # daily until a date, Tokyo, one changed occurrence
        tz = "Asia/Tokyo"
        body = f"""BEGIN:VEVENT
{head}DTSTART;TZID={tz}:2026{m:02d}01T090000
DTEND;TZID={tz}:2026{m:02d}01T093000
RRULE:FREQ=DAILY;UNTIL=2026{m:02d}10T000000Z
SUMMARY:朝会 {i}
END:VEVENT
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260301T000000Z
RECURRENCE-ID;TZID={tz}:2026{m:02d}03T090000
DTSTART;TZID={tz}:2026{m:02d}03T090000
DTEND;TZID={tz}:2026{m:02d}03T093000
SUMMARY:朝会 {i} (geändert)
LOCATION:Raum 2
END:VEVENT"""
    elif kind == 6:  # meeting I organize, Sydney
        tz = "Australia/Sydney"
        me = os.environ["EAS_EMAIL"]
        body = f"""BEGIN:VEVENT
{head}DTSTART;TZID={tz}:2026{m:02d}{d:02d}T{hh:02d}0000
DTEND;TZID={tz}:2026{m:02d}{d:02d}T{hh + 1:02d}0000
SUMMARY:Meeting {i}
LOCATION:Opera House
ORGANIZER;CN=Me:mailto:{me}
ATTENDEE;CN=Bob {i};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:bob{i}@example.net
ATTENDEE;CN=Zoë {i};ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:zoe{i}@example.net
ATTENDEE;CN=Ann {i};ROLE=REQ-PARTICIPANT;PARTSTAT=DECLINED:mailto:ann{i}@example.org
END:VEVENT"""
    elif kind == 7:  # monthly, one occurrence deleted
        body = f"""BEGIN:VEVENT
{head}DTSTART:2026010{1 + i % 9}T{hh:02d}0000Z
DTEND:2026010{1 + i % 9}T{hh:02d}4500Z
RRULE:FREQ=MONTHLY;BYMONTHDAY={1 + i % 9};COUNT=12
EXDATE:2026040{1 + i % 9}T{hh:02d}0000Z
SUMMARY:Monatlich {i}
CATEGORIES:Arbeit
END:VEVENT"""
    elif kind == 8:  # yearly all-day
        body = f"""BEGIN:VEVENT
{head}DTSTART;VALUE=DATE:2026{m:02d}{d:02d}
DTEND;VALUE=DATE:2026{m:02d}{d + 1:02d}
RRULE:FREQ=YEARLY
SUMMARY:Jahrestag {i}
TRANSP:TRANSPARENT
END:VEVENT"""
    else:  # meeting someone else organized, Berlin
        tz = "Europe/Berlin"
        me = os.environ["EAS_EMAIL"]
        body = f"""BEGIN:VEVENT
{head}DTSTART;TZID={tz}:2026{m:02d}{d:02d}T{hh:02d}0000
DTEND;TZID={tz}:2026{m:02d}{d:02d}T{hh + 1:02d}3000
SUMMARY:Invitation {i}
ORGANIZER;CN=Carol {i}:mailto:carol{i}@example.com
ATTENDEE;CN=Me;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:{me}
ATTENDEE;CN=Dan {i};ROLE=REQ-PARTICIPANT;PARTSTAT=TENTATIVE:mailto:dan{i}@example.com
END:VEVENT"""
    vtz = VTZ[tz] + "\n" if tz else ""
    return uid, crlf("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//easbridge interop//EN\n" + vtz + body + "\nEND:VCALENDAR")


def task(i):
    uid = f"eng-{RUN}-todo-{i}"
    m, d = day(i, 4)
    kind = i % 4
    extra = ""
    if kind == 1:
        extra = f"DTSTART;VALUE=DATE:2026{m:02d}01\nPRIORITY:1\nDESCRIPTION:Schritt {i}: prüfen\\, dann abschließen\n"
    elif kind == 2:
        extra = "STATUS:COMPLETED\nCOMPLETED:20260320T120000Z\nPERCENT-COMPLETE:100\n"
    elif kind == 3:
        extra = "CATEGORIES:Privat\nPRIORITY:9\n"
    return uid, crlf(f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//easbridge interop//EN
BEGIN:VTODO
UID:{uid}
DTSTAMP:20260301T000000Z
SUMMARY:Task {i} ü
DUE;VALUE=DATE:2026{m:02d}{d:02d}
{extra}END:VTODO
END:VCALENDAR""")


def png(i, size):
    """A valid grey PNG of about size bytes that differs by i."""
    w = 64
    rows = max(1, size // w)
    seed = (i * 2654435761) & 0xFFFFFFFF
    raw = bytearray()
    for _ in range(rows):
        raw.append(0)
        for _ in range(w):
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
            raw.append(seed >> 23)

    def chunk(t, data):
        c = struct.pack(">I", len(data)) + t + data
        return c + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, rows, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(raw), 1)) + chunk(b"IEND", b""))


# The phone kinds SOGo 5.8 carries over EAS (BusinessPhoneNumber,
# HomePhoneNumber, BusinessFaxNumber, MobilePhoneNumber, PagerNumber): a car
# phone, a home fax or a second work or home number stays in SOGo's vCard
# and never reaches any EAS client, so no mirror could hold it.
PHONES = ["TEL;TYPE=CELL:+49 151 {n}", "TEL;TYPE=WORK:+49 30 1{n}", "TEL;TYPE=HOME:+49 30 2{n}",
          "TEL;TYPE=WORK,FAX:+49 30 3{n}", "TEL;TYPE=PAGER:+49 160 {n}"]


def contact(i):
    uid = f"eng-{RUN}-c-{i}"
    lines = [f"UID:{uid}", f"FN:Zoë Müller {RUN} {i}", f"N:Müller {RUN} {i};Zoë;;;",
             f"ORG:Firma {i} GmbH", f"TITLE:Leiterin {i}"]
    lines += [p.format(n=f"{i:05d}") for p in PHONES[:3 + i % 3]]
    lines += [f"EMAIL;TYPE=INTERNET:z{i}@example.net"]
    if i % 2:
        lines += [f"EMAIL;TYPE=INTERNET,WORK:zoe.mueller{i}@firma.example", f"EMAIL;TYPE=INTERNET,HOME:zm{i}@home.example"]
    if i % 3 == 1:
        lines += [f"ADR;TYPE=WORK:;;Hauptstraße {i};Köln;;50667;Deutschland",
                  f"ADR;TYPE=HOME:;;Gartenweg {i};Bonn;;53111;Deutschland"]
    if i % 4 == 0:
        lines += [f"BDAY:19{60 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}"]
    if i % 5 == 0:
        lines += [f"NOTE:Notiz {i}: grüße\\, bis bald"]
    if i % 2 == 0:
        b64 = base64.b64encode(png(i, 1000 + (i * 37) % 8000)).decode()
        lines += [f"PHOTO;ENCODING=b;TYPE=PNG:{b64}"]
    return uid, crlf("BEGIN:VCARD\nVERSION:3.0\n" + "\n".join(lines) + "\nEND:VCARD")


# ---- mail -----------------------------------------------------------------------
def folder_of(i):
    """IMAP folder of mail i: 85 % INBOX, 10 % the user folder, 5 % Sent."""
    r = i % 20
    return USER_FOLDER if r in (3, 13) else "Sent" if r == 7 else "INBOX"


def wrap76(b):
    s = base64.b64encode(b).decode()
    return "\r\n".join(s[j:j + 76] for j in range(0, len(s), 76))


def blob(i, n):
    """n pseudo-random bytes (incompressible, like real attachments)."""
    out = bytearray()
    x = i + 1
    while len(out) < n:
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        out += x.to_bytes(8, "little")
    return bytes(out[:n])


def mail(i, to):
    b = f"=_b{i}_{RUN}"
    head = (f"From: =?UTF-8?Q?Zo=C3=AB_M=C3=BCller?= <zoe@example.net>\r\nTo: {to}\r\n"
            f"Message-ID: <eng-{RUN}-{i}@example.net>\r\nDate: Mon, {1 + i % 28} Mar 2026 09:{i % 60:02d}:00 +0100\r\n"
            "MIME-Version: 1.0\r\n")
    kind = 7 if i % 100 == 42 else i % 7
    if kind == 0:
        return (head + f"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_{RUN}_{i}?=\r\n"
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                f"Hällo {i}, schöne Grüße aus Köln.\r\n" * (1 + i % 20)).encode()
    if kind == 1:
        return (head + f"Subject: =?ISO-8859-1?Q?R=E9sum=E9_{i}?=\r\n"
                "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                f"Voil=E0 le r=E9sum=E9 n=B0 {i}.\r\n").encode()
    if kind == 2:
        return (head + f"Subject: Alternative {i} =?UTF-8?B?w6TDtsO8?=\r\n"
                f"Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n"
                f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nText {i} – ok\r\n"
                f"--{b}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                f"<html><body><p>Text <b>{i}</b> – ok</p></body></html>\r\n--{b}--\r\n").encode()
    if kind in (3, 7):
        size = 1_500_000 if kind == 7 else 1000 + (i * 7919) % 200_000
        return (head + f"Subject: Anhang {i}\r\n"
                f"Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n"
                f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nIm Anhang: Übersicht {i}.\r\n"
                f"--{b}\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Disposition: attachment; filename*=utf-8''%C3%9Cbersicht%20{i}.bin\r\n"
                f"Content-Transfer-Encoding: base64\r\n\r\n{wrap76(blob(i, size))}\r\n--{b}--\r\n").encode()
    if kind == 4:
        return (head + f"Subject: Inline {i}\r\n"
                f"Content-Type: multipart/related; boundary=\"{b}\"; type=\"text/html\"\r\n\r\n"
                f"--{b}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                f"<p>Bild {i} =E2=80=93 sch=C3=B6n</p><img src=3D\"cid:img{i}@x\">\r\n"
                f"--{b}\r\nContent-Type: image/png\r\nContent-ID: <img{i}@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                f"{wrap76(png(i, 3000))}\r\n--{b}--\r\n").encode()
    if kind == 5:
        inner = (f"From: bob@example.org\r\nTo: zoe@example.net\r\nSubject: Original {i}\r\n"
                 f"Message-ID: <inner-{RUN}-{i}@example.org>\r\nDate: Sun, 1 Mar 2026 08:00:00 +0000\r\n\r\nDas Original.\r\n")
        return (head + f"Subject: Fwd: Original {i}\r\n"
                f"Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n"
                f"--{b}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee below.\r\n"
                f"--{b}\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--{b}--\r\n").encode()
    text = f"こんにちは {i} 🎉 — Grüße\r\n" * (1 + i % 5)
    return (head + f"Subject: =?UTF-8?B?{base64.b64encode(f'日本語 {i} 🎉'.encode()).decode()}?=\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            f"{wrap76(text.encode())}\r\n").encode()


def imap():
    m = imaplib.IMAP4(os.environ["IMAP_HOST"], int(os.environ["IMAP_PORT"]))
    m.login(os.environ["EAS_USER"], os.environ["EAS_PASSWORD"])
    return m


def lmtp_batch(items, to):
    """Deliver (i, message) pairs over one LMTP connection."""
    port = int(os.environ.get("LMTP_PORT") or int(os.environ["SMTP_PORT"]) - 1)
    with smtplib.LMTP(os.environ.get("IMAP_HOST", "127.0.0.1"), port) as s:
        for _, msg in items:
            s.sendmail("zoe@example.net", [to], msg)


def flags_of(i):
    f = []
    if i % 3 == 0:
        f.append("\\Seen")
    if i % 10 == 0:
        f.append("\\Flagged")
    return f


def seed_mail(nmail):
    to = os.environ["EAS_EMAIL"]
    by_folder = {}
    for i in range(nmail):
        by_folder.setdefault(folder_of(i), []).append(i)
    m = imap()
    if USER_FOLDER in by_folder:
        m.create("Projekte")
        m.create(USER_FOLDER)
        m.subscribe("Projekte")
        m.subscribe(USER_FOLDER)
    for folder, idx in by_folder.items():
        if folder == "INBOX":
            continue
        for i in idx:
            f = flags_of(i)
            m.append(folder, "(" + " ".join(f) + ")" if f else None, None, mail(i, to))
    inbox = by_folder.get("INBOX", [])
    chunks = [[(i, mail(i, to)) for i in inbox[k::JOBS]] for k in range(JOBS)]
    with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        list(ex.map(lambda c: lmtp_batch(c, to), chunks))
    # LMTP delivers before answering, so the INBOX holds them all now; the
    # read and flagged marks go on by Message-ID order of delivery.
    m.select("INBOX")
    want = set(inbox)
    _, data = m.uid("SEARCH", None, "ALL")
    uids = data[0].split()
    _, hdrs = m.uid("FETCH", b",".join(uids).decode() if uids else "1", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    by_flag = {}
    for part in hdrs:
        if not isinstance(part, tuple):
            continue
        uid = part[0].split(b"UID ")[1].split()[0].decode()
        mid = part[1].decode(errors="replace")
        if f"eng-{RUN}-" not in mid:
            continue
        i = int(mid.split(f"eng-{RUN}-")[1].split("@")[0])
        if i in want:
            for f in flags_of(i):
                by_flag.setdefault(f, []).append(uid)
    for f, uids in by_flag.items():
        for k in range(0, len(uids), 500):
            m.uid("STORE", ",".join(uids[k:k + 500]), "+FLAGS.SILENT", f"({f})")
    # SOGo takes a folder's state from HIGHESTMODSEQ, which Dovecot reports
    # only for mailboxes that had CONDSTORE enabled once (what
    # interop/easserver/prime does): enable it on the folders made here.
    m.logout()
    m = imap()
    m.enable("CONDSTORE")
    for folder in by_folder:
        m.select(folder, readonly=True)
    m.logout()
    return {f: len(v) for f, v in by_folder.items()}


def main():
    nev, ntodo, ncon, nmail = (int(a) for a in sys.argv[1:5])
    cal, card = os.environ["CALDAV_URL"], os.environ["CARDDAV_URL"]
    jobs = [(f"{cal}{uid}.ics", body, "text/calendar; charset=utf-8") for uid, body in map(event, range(nev))]
    jobs += [(f"{cal}{uid}.ics", body, "text/calendar; charset=utf-8") for uid, body in map(task, range(ntodo))]
    jobs += [(f"{card}{uid}.vcf", body, "text/vcard; charset=utf-8") for uid, body in map(contact, range(ncon))]
    t0 = time.time()
    # The PUTs run on their own threads while the mails go in.
    with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        puts = ex.map(lambda j: put(*j), jobs)
        folders = seed_mail(nmail) if nmail else {}
        list(puts)
    print(f"seeded {nev} events, {ntodo} tasks, {ncon} contacts, {nmail} mails {folders} in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
