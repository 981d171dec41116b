"""Lists, through evolution-data-server, the events of the calendar
sources `easbridge clients --evolution` wrote, and looks for one summary.

Run under dbus-run-session with HOME/XDG_* pointing at the temporary home
whose ~/.config/evolution/sources holds the files (the DAV password is in
the Secret Service, where clients --evolution put it):
    eds_events.py SUMMARY CAL_UID...
Prints one "PASS: ..." or "FAIL: ..." line per check.
"""
import sys
import time

import gi

gi.require_version("EDataServer", "1.2")
gi.require_version("ECal", "2.0")
from gi.repository import ECal, EDataServer, GLib  # noqa: E402

TIMEOUT = 30.0


def say(ok, what):
    print(("PASS: " if ok else "FAIL: ") + what, flush=True)
    return ok


def pump(seconds):
    ctx = GLib.MainContext.default()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        while ctx.pending():
            ctx.iteration(False)
        time.sleep(0.02)


def summaries(client):
    client.refresh_sync(None)
    ok, comps = client.get_object_list_as_comps_sync("#t", None)
    return sorted((c.get_summary().get_value() if c.get_summary() else "") for c in comps)


def main():
    want, uids = sys.argv[1], sys.argv[2:]
    registry = EDataServer.SourceRegistry.new_sync(None)
    deadline = time.monotonic() + TIMEOUT
    srcs = []
    while time.monotonic() < deadline:
        srcs = [registry.ref_source(u) for u in uids]
        if all(srcs):
            break
        pump(0.2)
    if not say(all(srcs), "EDS registry loaded the %d calendar source(s) clients --evolution wrote" % len(uids)):
        return
    found = []
    for src in srcs:
        try:
            client = ECal.Client.connect_sync(src, ECal.ClientSourceType.EVENTS, 3, None)
            got = []
            while time.monotonic() < deadline:
                got = summaries(client)
                if want in got:
                    break
                pump(0.5)
            found += got
        except Exception as e:  # a GLib.Error from EDS: report it
            say(False, "%s: %s" % (src.get_display_name(), e))
    say(want in found, "EDS lists the synced event %r (calendar has %s)" % (want, found))


if __name__ == "__main__":
    main()
