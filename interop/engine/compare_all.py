"""Item-by-item comparison of SOGo (CalDAV, CardDAV, IMAP) with easbridge's
mirror (its DAV server and Maildir), for interop/engine-scale.sh,
interop/engine.sh (check.py compare-all) and bench/engine/run.

usage: compare_all.py OURS_URL MAILDIR [NEVENTS NTASKS NCONTACTS NMAILS]

Each output line is one check, "ok   ..." or "FAIL ...", followed by up to
ten "     ..." lines naming the items and fields that differ. With the
seeded counts given, SOGo itself must hold that many items too (so a
seeding loss cannot pass as an empty comparison).

Semantic equality, per item:
- events, keyed by UID and RECURRENCE-ID (as a UTC instant): SUMMARY,
  LOCATION, DESCRIPTION, start and end as UTC instants (dates for all-day),
  every occurrence of a recurrence until 2028 (RRULE/RDATE minus EXDATE,
  expanded with dateutil in the event's own VTIMEZONE), ORGANIZER and
  ATTENDEE addresses with role and participation status, alarms (minutes
  before start), TRANSP, CATEGORIES, CLASS;
- tasks, keyed by SUMMARY (EAS tasks have no UID): DESCRIPTION, DUE and DTSTART dates,
  completed or not, priority as high/normal/low, CATEGORIES;
- contacts, keyed by FN: N, ORG, TITLE, e-mail addresses, phone numbers,
  postal addresses, BDAY, NOTE and the PHOTO's decoded bytes;
- mail, per IMAP folder and its Maildir++ folder: BODY[] byte for byte
  (SHA-256) together with the \\Seen and \\Flagged flags.
Needs dateutil (Debian python3-dateutil).
"""
import base64
import collections
import datetime as dt
import hashlib
import imaplib
import io
import os
import re
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zoneinfo

from dateutil import rrule as du_rrule
from dateutil import tz as du_tz

UTC = dt.timezone.utc
HORIZON = dt.datetime(2028, 1, 1, tzinfo=UTC)
failures = 0


def check(ok, what, details=()):
    global failures
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures += 1
        for d in list(details)[:10]:
            print("     " + d, flush=True)


# ---- DAV ------------------------------------------------------------------------
def request(url, auth, method="GET", body=None, headers=None):
    r = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    r.add_header("Authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    with urllib.request.urlopen(r, timeout=300) as resp:
        return resp.read()


def fetch_all(url, auth, card=False):
    """Every object of a collection as {href: text}: PROPFIND for the names,
    then calendar-multiget / addressbook-multiget 200 at a time."""
    body = request(url, auth, "PROPFIND", b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>',
                   {"Depth": "1", "Content-Type": "application/xml"})
    path = urllib.parse.urlsplit(url).path
    hrefs = [h.text for h in ET.fromstring(body).iter("{DAV:}href")
             if h.text and not h.text.endswith("/") and urllib.parse.unquote(h.text).rstrip("/") != path.rstrip("/")]
    ns, q, data = (("urn:ietf:params:xml:ns:carddav", "addressbook-multiget", "address-data") if card
                   else ("urn:ietf:params:xml:ns:caldav", "calendar-multiget", "calendar-data"))
    out = {}
    for k in range(0, len(hrefs), 200):
        chunk = hrefs[k:k + 200]
        xml = (f'<?xml version="1.0" encoding="utf-8"?><C:{q} xmlns:D="DAV:" xmlns:C="{ns}">'
               f'<D:prop><D:getetag/><C:{data}/></D:prop>'
               + "".join(f"<D:href>{h.replace('&', '&amp;')}</D:href>" for h in chunk) + f"</C:{q}>")
        res = request(url, auth, "REPORT", xml.encode(), {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
        for resp in ET.fromstring(res).iter("{DAV:}response"):
            href = resp.find("{DAV:}href").text
            d = resp.find(f".//{{{ns}}}{data}")
            if d is not None and d.text:
                out[urllib.parse.unquote(href)] = d.text
    missing = len(set(map(urllib.parse.unquote, hrefs)) - set(out))
    if missing:
        check(False, f"{url}: {missing} of {len(hrefs)} objects listed but not returned by multiget")
    return out


# ---- a small iCalendar / vCard reader -----------------------------------------
class Prop:
    def __init__(self, name, params, value):
        self.name, self.params, self.value = name, params, value


def parse(text):
    """Nested components: {"name", "props": [Prop], "subs": [...]}."""
    lines = re.sub(r"\r?\n[ \t]", "", text.replace("\r\n", "\n")).split("\n")
    root = {"name": "", "props": [], "subs": []}
    stack = [root]
    for line in lines:
        if not line.strip():
            continue
        m = re.match(r'^((?:[^:;"]|"[^"]*")*?)((?:;(?:[^:"]|"[^"]*")*)?):(.*)$', line)
        if not m:
            continue
        name = m.group(1).upper().split(".")[-1]  # drop vCard groups
        params = {}
        for p in re.findall(r';([^=;:]+)=((?:"[^"]*"|[^;:])*)', m.group(2)):
            params[p[0].upper()] = p[1].strip('"').upper()
        for p in re.findall(r';([^=;:]+)(?=;|$)', m.group(2)):  # vCard 2.1 bare types
            params.setdefault("TYPE", p.upper())
        value = m.group(3)
        if name == "BEGIN":
            c = {"name": value.upper(), "props": [], "subs": []}
            stack[-1]["subs"].append(c)
            stack.append(c)
        elif name == "END" and len(stack) > 1:
            stack.pop()
        else:
            stack[-1]["props"].append(Prop(name, params, value))
    return root


def walk(c, name):
    for s in c["subs"]:
        if s["name"] == name:
            yield s
        yield from walk(s, name)


def props(c, name):
    return [p for p in c["props"] if p.name == name]


def one(c, name):
    p = props(c, name)
    return p[0] if p else None


def text(c, name):
    p = one(c, name)
    if p is None:
        return ""
    v = re.sub(r"\\([,;\\])", r"\1", p.value).replace("\\n", "\n").replace("\\N", "\n")
    return v.replace("\r\n", "\n").strip()


# ---- time -----------------------------------------------------------------------
def zones(cal):
    """TZID -> tzinfo from the VCALENDAR's own VTIMEZONEs."""
    out = {}
    for vtz in walk(cal, "VTIMEZONE"):
        tzid = one(vtz, "TZID")
        if tzid is None:
            continue
        src = "BEGIN:VTIMEZONE\n" + "\n".join(f"{p.name}:{p.value}" for p in vtz["props"])
        for s in vtz["subs"]:
            src += f"\nBEGIN:{s['name']}\n" + "\n".join(f"{p.name}:{p.value}" for p in s["props"]) + f"\nEND:{s['name']}"
        src += "\nEND:VTIMEZONE\n"
        try:
            out[tzid.value.upper()] = du_tz.tzical(io.StringIO(src)).get()
        except Exception:
            pass
    return out


def when(p, tzs):
    """A DTSTART-like property as (is_date, aware datetime or date)."""
    v = p.value.strip()
    if p.params.get("VALUE") == "DATE" or re.fullmatch(r"\d{8}", v):
        return True, dt.datetime.strptime(v[:8], "%Y%m%d").date()
    t = dt.datetime.strptime(v.rstrip("Z")[:15], "%Y%m%dT%H%M%S")
    if v.endswith("Z"):
        return False, t.replace(tzinfo=UTC)
    tzid = p.params.get("TZID")
    z = (tzs.get(tzid) or iana(tzid)) if tzid else None
    return False, t.replace(tzinfo=z or UTC)


def iana(tzid):
    """The IANA zone whose name is tzid in any case (params are upper-cased)."""
    for name in zoneinfo.available_timezones():
        if name.upper() == tzid:
            return zoneinfo.ZoneInfo(name)
    return None


def norm(is_date, v):
    return "D" + v.strftime("%Y%m%d") if is_date else v.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def duration(s):
    m = re.fullmatch(r"([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", s.strip())
    if not m:
        return None
    sign = -1 if m.group(1) == "-" else 1
    w, d, h, mi, se = (int(x or 0) for x in m.groups()[1:])
    return sign * dt.timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=se)


def occurrences(ev, tzs, start):
    """The UTC start of every occurrence before HORIZON (None: not recurring)."""
    rr = props(ev, "RRULE")
    rd = props(ev, "RDATE")
    if not rr and not rd:
        return None
    is_date, s = start
    base = dt.datetime.combine(s, dt.time(), UTC) if is_date else s
    out = set()
    for r in rr:
        rule = r.value
        if is_date:
            rule = re.sub(r"UNTIL=(\d{8})T\d{6}Z?", r"UNTIL=\1T000000Z", rule)
            rule = re.sub(r"UNTIL=(\d{8})(?=;|$)", r"UNTIL=\1T000000Z", rule)
        try:
            rs = du_rrule.rrulestr(rule, dtstart=base, ignoretz=False)
        except Exception as e:
            return {f"bad RRULE {r.value}: {e}"}
        for k, t in enumerate(rs):
            if t >= HORIZON or k > 2000:
                break
            out.add(norm(is_date, t.date()) if is_date else norm(False, t))
    for r in rd:
        for v in r.value.split(","):
            out.add(norm(*when(Prop("RDATE", r.params, v), tzs)))
    for x in props(ev, "EXDATE"):
        for v in x.value.split(","):
            out.discard(norm(*when(Prop("EXDATE", x.params, v), tzs)))
    return tuple(sorted(out))


def alarm_minutes(ev):
    out = []
    for a in walk(ev, "VALARM"):
        t = one(a, "TRIGGER")
        d = duration(t.value) if t is not None else None
        out.append(int(-d.total_seconds() // 60) if d is not None else (t.value if t else None))
    return tuple(sorted(map(str, out)))


def address(p):
    return re.sub(r"^mailto:", "", p.value.strip(), flags=re.I).lower() if p is not None else ""


def event_key_values(cal):
    """{(UID, RECURRENCE-ID): {field: value}} of a calendar object's VEVENTs."""
    tzs = zones(cal)
    out = {}
    for ev in walk(cal, "VEVENT"):
        uid = text(ev, "UID")
        rid = one(ev, "RECURRENCE-ID")
        key = (uid, norm(*when(rid, tzs)) if rid is not None else "")
        f = {"summary": text(ev, "SUMMARY"), "location": text(ev, "LOCATION"),
             "description": text(ev, "DESCRIPTION"), "transp": text(ev, "TRANSP") or "OPAQUE",
             "class": text(ev, "CLASS") or "PUBLIC",
             "categories": tuple(sorted(c.strip() for p in props(ev, "CATEGORIES") for c in p.value.split(",") if c.strip()))}
        s = one(ev, "DTSTART")
        if s is not None:
            start = when(s, tzs)
            f["start"] = norm(*start)
            e, d = one(ev, "DTEND"), one(ev, "DURATION")
            if e is not None:
                f["end"] = norm(*when(e, tzs))
            elif d is not None and duration(d.value) is not None:
                f["end"] = norm(start[0], start[1] + duration(d.value))
            else:
                f["end"] = norm(start[0], start[1] + dt.timedelta(days=1)) if start[0] else f["start"]
            if rid is None:
                f["occurrences"] = occurrences(ev, tzs, start)
        f["organizer"] = address(one(ev, "ORGANIZER")) if props(ev, "ATTENDEE") else ""
        f["attendees"] = tuple(sorted((address(a), a.params.get("ROLE", "REQ-PARTICIPANT"),
                                       a.params.get("PARTSTAT", "NEEDS-ACTION")) for a in props(ev, "ATTENDEE")))
        f["alarms"] = alarm_minutes(ev)
        out[key] = f
    return out


def priority(v):
    try:
        n = int(v)
    except ValueError:
        return "normal"
    return "high" if 1 <= n <= 4 else "low" if n >= 6 else "normal"


def day_of(p, tzs):
    if p is None:
        return ""
    is_date, v = when(p, tzs)
    return v.strftime("%Y%m%d") if is_date else v.strftime("%Y%m%d")


def task_key_values(cal):
    tzs = zones(cal)
    out = {}
    for t in walk(cal, "VTODO"):
        status = text(t, "STATUS").upper()
        # EAS tasks carry no UID (MS-ASTASK): the mirror makes its own.
        out[text(t, "SUMMARY")] = {
            "summary": text(t, "SUMMARY"), "description": text(t, "DESCRIPTION"),
            "due": day_of(one(t, "DUE"), tzs), "start": day_of(one(t, "DTSTART"), tzs),
            "completed": status == "COMPLETED" or one(t, "COMPLETED") is not None,
            "priority": priority(text(t, "PRIORITY") or "0"),
            "categories": tuple(sorted(c.strip() for p in props(t, "CATEGORIES") for c in p.value.split(",") if c.strip())),
        }
    return out


def photo_hash(p):
    if p is None:
        return ""
    v = p.value.strip()
    if v.startswith("data:"):
        v = v.split(",", 1)[1]
    try:
        return hashlib.sha256(base64.b64decode(v + "=" * (-len(v) % 4))).hexdigest()[:16]
    except Exception:
        return "undecodable"


def card_key_values(card):
    out = {}
    for c in walk(card, "VCARD"):
        bday = text(c, "BDAY").replace("-", "")[:8]
        out[text(c, "FN")] = {
            "n": tuple(x.strip() for x in (one(c, "N").value if one(c, "N") else "").split(";")[:2]),
            "org": text(c, "ORG").split(";")[0].strip(), "title": text(c, "TITLE"),
            "emails": tuple(sorted(p.value.strip().lower() for p in props(c, "EMAIL"))),
            "phones": tuple(sorted(re.sub(r"[^0-9+]", "", p.value) for p in props(c, "TEL"))),
            "addresses": tuple(sorted(tuple(x.strip() for x in p.value.split(";")[2:7]) for p in props(c, "ADR"))),
            "bday": bday, "note": text(c, "NOTE"), "photo": photo_hash(one(c, "PHOTO")),
        }
    return out


def compare_items(what, sogo, ours, expect=None):
    """Compares two {key: {field: value}} maps and prints one check."""
    only_s = sorted(set(sogo) - set(ours), key=str)
    only_o = sorted(set(ours) - set(sogo), key=str)
    diffs, by_field, differing = [], collections.Counter(), set()
    for k in sorted(set(sogo) & set(ours), key=str):
        for f in sorted(set(sogo[k]) | set(ours[k])):
            a, b = sogo[k].get(f), ours[k].get(f)
            if a != b:
                by_field[f] += 1
                differing.add(k)
                diffs.append(f"{k} {f}: SOGo {str(a)[:160]!s} | mirror {str(b)[:160]!s}")
    ok = not only_s and not only_o and not diffs and len(sogo) > 0
    head = f"{what}: SOGo {len(sogo)}, mirror {len(ours)}, equal {len(set(sogo) & set(ours)) - len(differing)}"
    if not ok:
        head += f"; only in SOGo {len(only_s)}, only in mirror {len(only_o)}, differing fields {dict(by_field)}"
    check(ok, head, [f"only in SOGo: {k}" for k in only_s[:3]] + [f"only in mirror: {k}" for k in only_o[:3]] + diffs)
    if expect is not None:
        check(len(sogo) == expect, f"{what}: SOGo holds the {expect} seeded ({len(sogo)})")


def merged(objs, fn):
    out = {}
    dup = []
    for href, t in objs.items():
        for k, v in fn(parse(t)).items():
            if k in out:
                dup.append(f"{k} twice ({href})")
            out[k] = v
    return out, dup


# ---- mail -----------------------------------------------------------------------
def imap_conn():
    m = imaplib.IMAP4(os.environ["IMAP_HOST"], int(os.environ["IMAP_PORT"]))
    m.login(os.environ["EAS_USER"], os.environ["EAS_PASSWORD"])
    return m


def imap_folder(m, name):
    """[(sha, flags, message-id)] of a folder, \\Deleted ones left out (SOGo
    deletes by flagging them and copying to Trash)."""
    typ, _ = m.select(f'"{name}"', readonly=True)
    if typ != "OK":
        return []
    out = []
    _, data = m.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
    for part in data:
        if not isinstance(part, tuple) or b"\\Deleted" in part[0]:
            continue
        flags = "".join(f for f, t in (("F", b"\\Flagged"), ("S", b"\\Seen")) if t in part[0])
        out.append((hashlib.sha256(part[1]).hexdigest(), flags, msgid(part[1])))
    return out


def msgid(b):
    m = re.search(rb"^Message-ID:\s*(\S+)", b, re.M | re.I)
    return m.group(1).decode(errors="replace") if m else "?"


def maildir_folder(path):
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(path, sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, name), "rb") as f:
                b = f.read()
            info = name.split(":2,", 1)[1] if ":2," in name else ""
            flags = "".join(f for f in "FS" if f in info)
            out.append((hashlib.sha256(b).hexdigest(), flags, msgid(b)))
    return out


def compare_mail(maildir, expect=None):
    m = imap_conn()
    _, lst = m.list()
    total_s = total_o = 0
    for line in lst:
        mm = re.match(rb'\(([^)]*)\) "(.)" (.*)$', line)
        if not mm or b"\\Noselect" in mm.group(1):
            continue
        name = mm.group(3).decode().strip('"')
        sep = mm.group(2).decode()
        s = imap_folder(m, name)
        path = maildir if name.upper() == "INBOX" else os.path.join(maildir, "." + name.replace(sep, "."))
        o = maildir_folder(path)
        total_s, total_o = total_s + len(s), total_o + len(o)
        if not s and not o:
            continue
        cs, co = collections.Counter(x[:2] for x in s), collections.Counter(x[:2] for x in o)
        ids = {x[:2]: x[2] for x in s + o}
        only_s, only_o = list((cs - co).elements()), list((co - cs).elements())
        det = ([f"only in SOGo: {ids[k]} flags {k[1]!r}" for k in only_s[:5]] +
               [f"only in the Maildir: {ids[k]} flags {k[1]!r}" for k in only_o[:5]])
        what = f"mail {name}: IMAP BODY[] and flags of {len(s)} messages identical to {len(o)} Maildir files"
        if only_s or only_o:
            what += f"; {len(only_s)} only in SOGo, {len(only_o)} only in the Maildir (content or flags differ)"
        check(cs == co, what, det)
    m.logout()
    if expect is not None:
        check(total_s >= expect, f"mail: SOGo holds the {expect} seeded ({total_s} in all folders)")


def main(argv):
    our_url, maildir = argv[0], argv[1]
    expect = [int(x) for x in argv[2:6]] if len(argv) >= 6 else [None] * 4
    sogo = (os.environ["EAS_USER"], os.environ["EAS_PASSWORD"])
    ours = ("easbridge", os.environ["EASBRIDGE_DAV_PASSWORD"])
    s_cal = fetch_all(os.environ["CALDAV_URL"], sogo)
    s_ev, d1 = merged(s_cal, event_key_values)
    o_ev, d2 = merged(fetch_all(our_url + "calendars/easbridge/calendar/", ours), event_key_values)
    check(not d1 and not d2, "events: no UID twice on either side", d1 + d2)
    n_uids = len({k[0] for k in s_ev})
    compare_items("events (per UID and occurrence)", s_ev, o_ev)
    if expect[0] is not None:
        check(n_uids >= expect[0], f"events: SOGo holds the {expect[0]} seeded ({n_uids} UIDs)")
    s_t, _ = merged(s_cal, task_key_values)
    o_t, d3 = merged(fetch_all(our_url + "calendars/easbridge/tasks/", ours), task_key_values)
    compare_items("tasks", s_t, o_t)
    if expect[1] is not None:
        check(len(s_t) >= expect[1], f"tasks: SOGo holds the {expect[1]} seeded ({len(s_t)})")
    s_c, d4 = merged(fetch_all(os.environ["CARDDAV_URL"], sogo, card=True), card_key_values)
    o_c, d5 = merged(fetch_all(our_url + "contacts/easbridge/contacts/", ours, card=True), card_key_values)
    check(not d3 and not d4 and not d5, "tasks and contacts: no item twice", d3 + d4 + d5)
    compare_items("contacts", s_c, o_c)
    if expect[2] is not None:
        check(len(s_c) >= expect[2], f"contacts: SOGo holds the {expect[2]} seeded ({len(s_c)})")
    compare_mail(maildir, expect[3])
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
