#!/usr/bin/python3
"""Checks a PROPFIND multistatus answer (stdin) against the request body.

Usage: propcheck.py REQUEST_BODY_FILE MUST_BE_200...
Every property of the request must be answered (in a 200 or 404 propstat)
for every response; the properties named (as {ns}name or prefix:name with
d:, c:, cs:, a:) must be 200 in at least the first response. Prints what
is missing and exits 1 on failure.
"""
import sys
import xml.etree.ElementTree as ET

NS = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav", "cs": "http://calendarserver.org/ns/",
      "a": "http://apple.com/ns/ical/", "card": "urn:ietf:params:xml:ns:carddav"}


def qname(s):
    if s.startswith("{"):
        return s
    prefix, name = s.split(":", 1)
    return "{%s}%s" % (NS[prefix], name)


req = ET.parse(sys.argv[1]).getroot()
asked = [child.tag for child in req.find("{DAV:}prop")]
must = [qname(s) for s in sys.argv[2:]]
body = sys.stdin.read()
try:
    ms = ET.fromstring(body)
except ET.ParseError as e:
    print("not XML: %s\n%s" % (e, body[:500]))
    sys.exit(1)
ok = True
responses = ms.findall("{DAV:}response")
if not responses:
    print("no responses:\n" + body[:500])
    sys.exit(1)
for i, resp in enumerate(responses):
    href = resp.findtext("{DAV:}href")
    status = {}
    for ps in resp.findall("{DAV:}propstat"):
        code = ps.findtext("{DAV:}status", "").split(" ")[1] if ps.findtext("{DAV:}status") else "?"
        for p in ps.find("{DAV:}prop"):
            status[p.tag] = code
    for tag in asked:
        if tag not in status:
            print("%s: %s not answered" % (href, tag))
            ok = False
    if i == 0:
        for tag in must:
            if status.get(tag) != "200":
                print("%s: %s is %s, want 200" % (href, tag, status.get(tag, "absent")))
                ok = False
if "d:supported-report-set" in sys.argv[2:] and "sync-collection" not in body:
    print("supported-report-set lacks sync-collection")
    ok = False
sys.exit(0 if ok else 1)
