"""Drives evolution-data-server against easbridge serve-dav.

Run under dbus-run-session with HOME/XDG_* pointing at a temporary tree
that holds the two .source files written by interop/desktop/eds.sh:
    eds_check.py CAL_UID BOOK_UID
(the password is in the Secret Service, where EDS looks it up)
Prints one "PASS: ..." or "FAIL: ..." line per check. Lists the seeded
events and contacts through EDS (ECalClient / EBookClient over D-Bus,
the same factories GNOME Calendar and Contacts use), then creates an event
through EDS; the shell script checks that it reached the server.
"""
import sys
import time

import gi

gi.require_version("EDataServer", "1.2")
gi.require_version("ECal", "2.0")
gi.require_version("EBook", "1.2")
gi.require_version("ICalGLib", "3.0")
from gi.repository import EBook, ECal, EDataServer, GLib, ICalGLib  # noqa: E402

TIMEOUT = 20.0
START = time.monotonic()


def say(ok, what):
    print(("PASS: " if ok else "FAIL: ") + what + " [%.1fs]" % (time.monotonic() - START), flush=True)
    return ok


def poll(fn, want):
    """Calls fn until want(result) or TIMEOUT; returns the last result."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        got = fn()
        if want(got) or time.monotonic() > deadline:
            return got
        pump(0.2)


def pump(seconds):
    """Runs the default main context for a while: the registry's D-Bus
    signals (new sources, credential requests) are delivered there."""
    ctx = GLib.MainContext.default()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        while ctx.pending():
            ctx.iteration(False)
        time.sleep(0.02)


def source(registry, uid):
    return poll(lambda: registry.ref_source(uid), lambda s: s is not None)


def summaries(client):
    client.refresh_sync(None)
    ok, comps = client.get_object_list_as_comps_sync("#t", None)
    return sorted(text_of(c.get_summary()) for c in comps)


def text_of(summary):
    return summary.get_value() if summary is not None else ""


def names(client):
    ok, contacts = client.get_contacts_sync(
        '(contains "x-evolution-any-field" "")', None)
    return sorted(c.get_property("full-name") or "" for c in contacts)


def calendar(registry, uid):
    src = source(registry, uid)
    if not say(src is not None, "EDS registry loaded the CalDAV source"):
        return
    client = ECal.Client.connect_sync(src, ECal.ClientSourceType.EVENTS, 3, None)
    say(client is not None, "ECalClient connected to the caldav backend")
    want = ["Seeded one", "Seeded two"]
    got = poll(lambda: summaries(client), lambda g: all(w in g for w in want))
    say(all(w in got for w in want), "EDS lists the events seeded with curl (%s)" % got)

    comp = ICalGLib.Component.new_from_string(
        "BEGIN:VEVENT\r\nUID:eds-created-1\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART:20260610T090000Z\r\nDTEND:20260610T100000Z\r\n"
        "SUMMARY:Created in EDS\r\nEND:VEVENT\r\n")
    ok, new_uid = client.create_object_sync(comp, ECal.OperationFlags.NONE, None)
    say(ok and new_uid == "eds-created-1", "EDS created an event (uid %s)" % new_uid)


def book(registry, uid):
    src = source(registry, uid)
    if not say(src is not None, "EDS registry loaded the CardDAV source"):
        return
    client = EBook.BookClient.connect_sync(src, 3, None)
    say(client is not None, "EBookClient connected to the carddav backend")
    want = ["Ada Lovelace", "Alan Turing"]
    got = poll(lambda: names(client), lambda g: all(w in g for w in want))
    say(all(w in got for w in want), "EDS lists the contacts seeded with curl (%s)" % got)


def main():
    cal_uid, book_uid = sys.argv[1:3]
    registry = EDataServer.SourceRegistry.new_sync(None)
    for step in (calendar, book):
        try:
            step(registry, cal_uid if step is calendar else book_uid)
        except Exception as e:  # a GLib.Error from EDS: report and go on
            say(False, "%s: %s" % (step.__name__, e))


if __name__ == "__main__":
    main()
