#!/usr/bin/python3
"""python3-caldav (and plain HTTP for CardDAV) against easbridge serve-dav.

Prints "ok NAME" or "FAIL NAME: reason" per check; exits 1 on any failure.
Usage: caldav_check.py URL USER PASSWORD
"""
import sys
import traceback
from datetime import datetime, timezone, timedelta

import caldav
import requests

URL, USER, PASSWORD = sys.argv[1:4]
failures = 0


def check(name, cond, detail=""):
    global failures
    if cond:
        print("ok   " + name)
    else:
        failures += 1
        print("FAIL %s: %s" % (name, detail))


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def uids(objs):
    out = set()
    for o in objs:
        for line in o.data.splitlines():
            if line.startswith("UID:"):
                out.add(line[4:].strip())
    return out


RECURRING = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//easbridge//interop//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:weekly-interop
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260105T100000
DTEND;TZID=Europe/Berlin:20260105T110000
RRULE:FREQ=WEEKLY;COUNT=6
EXDATE;TZID=Europe/Berlin:20260119T100000
SUMMARY:Weekly sync
END:VEVENT
BEGIN:VEVENT
UID:weekly-interop
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260112T100000
DTSTART;TZID=Europe/Berlin:20260114T150000
DTEND;TZID=Europe/Berlin:20260114T160000
SUMMARY:Weekly sync (moved)
END:VEVENT
END:VCALENDAR
"""

ALLDAY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//easbridge//interop//EN
BEGIN:VEVENT
UID:allday-interop
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260310
DTEND;VALUE=DATE:20260311
SUMMARY:Holiday
END:VEVENT
END:VCALENDAR
"""

PLAIN = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//easbridge//interop//EN
BEGIN:VEVENT
UID:plain-interop
DTSTAMP:20260101T000000Z
DTSTART:20260320T140000Z
DTEND:20260320T150000Z
SUMMARY:Dentist
END:VEVENT
END:VCALENDAR
"""

TODO = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//easbridge//interop//EN
BEGIN:VTODO
UID:todo-interop
DTSTAMP:20260101T000000Z
DUE:20260401T170000Z
SUMMARY:File taxes
END:VTODO
END:VCALENDAR
"""


def search_uids(cal, start, end):
    return uids(cal.date_search(start, end, expand=False))


def run():
    client = caldav.DAVClient(URL, username=USER, password=PASSWORD)
    principal = client.principal()
    check("principal discovered", "/principals/easbridge/" in str(principal.url), principal.url)
    home = principal.calendar_home_set
    check("calendar home set", "/calendars/easbridge/" in str(home.url), home.url)
    cals = {c.name: c for c in principal.calendars()}
    check("calendars listed", {"Calendar", "Tasks"} <= set(cals), sorted(cals))
    cal, tasks = cals["Calendar"], cals["Tasks"]

    for ics in (RECURRING, ALLDAY, PLAIN):
        cal.save_event(ics)
    check("events created", uids(cal.events()) >= {"weekly-interop", "allday-interop", "plain-interop"},
          uids(cal.events()))

    cases = [
        ("first occurrence found", utc(2026, 1, 5, 9), utc(2026, 1, 5, 10), {"weekly-interop"}),
        ("overridden occurrence not at its old time", utc(2026, 1, 12, 9), utc(2026, 1, 12, 10), set()),
        ("overridden occurrence at its new time", utc(2026, 1, 14, 14), utc(2026, 1, 14, 15), {"weekly-interop"}),
        ("deleted occurrence not found", utc(2026, 1, 19), utc(2026, 1, 20), set()),
        ("occurrence after the deleted one", utc(2026, 1, 26, 9, 30), utc(2026, 1, 26, 9, 45), {"weekly-interop"}),
        ("nothing after COUNT ends", utc(2026, 2, 10), utc(2026, 2, 28), set()),
        ("all-day event on its day", utc(2026, 3, 10, 12), utc(2026, 3, 10, 13), {"allday-interop"}),
        ("all-day event not the day after", utc(2026, 3, 11), utc(2026, 3, 12), set()),
        ("range starting exactly at an event's start", utc(2026, 3, 20, 14), utc(2026, 3, 20, 16), {"plain-interop"}),
        ("range ending exactly at an event's start", utc(2026, 3, 20, 12), utc(2026, 3, 20, 14), set()),
        ("range starting exactly at an event's end", utc(2026, 3, 20, 15), utc(2026, 3, 20, 16), set()),
        ("a whole month", utc(2026, 3, 1), utc(2026, 4, 1), {"allday-interop", "plain-interop"}),
    ]
    for name, start, end, want in cases:
        got = search_uids(cal, start, end) & {"weekly-interop", "allday-interop", "plain-interop"}
        check("time range: " + name, got == want, "got %s want %s" % (sorted(got), sorted(want)))

    expanded = cal.date_search(utc(2026, 1, 1), utc(2026, 2, 1), expand=True)
    starts = sorted(str(v.dtstart.value) for e in expanded if "weekly-interop" in e.data
                    for v in e.vobject_instance.vevent_list)
    # Server-side CALDAV:expand (RFC 4791 9.6.5): 5 Jan, 14 Jan (moved
    # from the 12th), 26 Jan; the 19th is excluded.
    want = ["2026-01-05 09:00:00+00:00", "2026-01-14 14:00:00+00:00", "2026-01-26 09:00:00+00:00"]
    check("expanded search gives the January instances", starts == want, starts)

    tasks.save_todo(TODO)
    todos = tasks.todos()
    check("todo created and listed", "todo-interop" in uids(todos), uids(todos))
    due = uids(tasks.date_search(utc(2026, 4, 1), utc(2026, 4, 2), compfilter="VTODO", expand=False))
    check("todo found by time range", "todo-interop" in due, due)
    try:
        tasks.save_event(PLAIN.replace("plain-interop", "misplaced"))
        check("event refused in a task list", False, "accepted")
    except Exception:
        check("event refused in a task list", True)

    # Objects survive a re-read with their recurrence data intact.
    ev = cal.event_by_uid("weekly-interop")
    check("recurring event read back intact", "RECURRENCE-ID" in ev.data and "EXDATE" in ev.data, ev.data[:200])
    ev.delete()
    check("event deleted", "weekly-interop" not in uids(cal.events()))

    contacts()


def contacts():
    """CardDAV with plain HTTP: python3-caldav has no CardDAV client."""
    s = requests.Session()
    s.auth = (USER, PASSWORD)
    book = URL + "contacts/easbridge/contacts/"
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:card-interop\r\nFN:Jürgen Müller\r\nN:Müller;Jürgen;;;\r\nEMAIL:jm@example.com\r\nEND:VCARD\r\n"
    r = s.put(book + "card-interop.vcf", data=card.encode(), headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
    check("contact created (201)", r.status_code == 201, r.status_code)
    r = s.put(book + "card-interop.vcf", data=card.encode(), headers={"Content-Type": "text/vcard", "If-None-Match": "*"})
    check("If-None-Match * on an existing contact is 412", r.status_code == 412, r.status_code)
    query = """<?xml version="1.0" encoding="utf-8"?>
<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data/></D:prop>
  <C:filter><C:prop-filter name="FN"><C:text-match collation="i;unicode-casemap" match-type="contains">MÜLLER</C:text-match></C:prop-filter></C:filter>
</C:addressbook-query>"""
    r = s.request("REPORT", book, data=query.encode(), headers={"Depth": "1", "Content-Type": "application/xml"})
    check("addressbook-query, case-insensitive match", r.status_code == 207 and "card-interop" in r.text, r.status_code)
    multiget = """<?xml version="1.0" encoding="utf-8"?>
<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data/></D:prop>
  <D:href>/contacts/easbridge/contacts/card-interop.vcf</D:href>
  <D:href>/contacts/easbridge/contacts/missing.vcf</D:href>
</C:addressbook-multiget>"""
    r = s.request("REPORT", book, data=multiget.encode(), headers={"Depth": "1", "Content-Type": "application/xml"})
    check("addressbook-multiget", r.status_code == 207 and "Müller" in r.text and "404" in r.text, r.text[:300])


try:
    run()
except Exception:
    traceback.print_exc()
    failures += 1
    print("FAIL caldav client run aborted")
sys.exit(1 if failures else 0)
