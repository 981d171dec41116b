"""A minimal Marionette client (stdlib only) that checks what a headless
Thunderbird loaded from its prepared profile.

    marionette.py logins PROFILE_DIR IMAP_PASSWORD DAV_URL DAV_PASSWORD
    marionette.py check PROFILE_DIR N_MESSAGES EVENT_SUMMARY...

Waits for PROFILE_DIR/MarionetteActivePort, opens a session, switches to
the chrome context and runs privileged JavaScript. "logins" stores the
IMAP and CalDAV passwords in the login manager (what Thunderbird saves
after the first prompt; it encrypts them in logins.json with key4.db, so
Thunderbird itself has to write them) and quits. "check" polls until the
IMAP Inbox counts N_MESSAGES and the CalDAV calendar returns every
EVENT_SUMMARY, then adds the event "Created in Thunderbird" (uid
tb-created-1) and quits. Prints PASS:/FAIL: lines.
The protocol: each message is "LENGTH:JSON"; a command is
[0, id, name, params] and its answer [1, id, error, result].
"""
import json
import os
import socket
import sys
import time

TIMEOUT = 90.0


class Marionette:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""
        self.next_id = 0
        self.read()  # the server's hello

    def read(self):
        while b":" not in self.buf:
            self.buf += self.recv()
        n, _, rest = self.buf.partition(b":")
        n = int(n)
        while len(rest) < n:
            rest += self.recv()
        self.buf = rest[n:]
        return json.loads(rest[:n])

    def recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("marionette closed the connection")
        return data

    def call(self, name, params):
        self.next_id += 1
        body = json.dumps([0, self.next_id, name, params]).encode()
        self.sock.sendall(b"%d:%s" % (len(body), body))
        while True:
            msg = self.read()
            if msg[0] == 1 and msg[1] == self.next_id:
                if msg[2]:
                    raise RuntimeError("%s: %s" % (name, msg[2]))
                return msg[3]

    def js(self, script, *args):
        res = self.call("WebDriver:ExecuteScript",
                        {"script": script, "args": list(args), "scriptTimeout": 30000})
        return res.get("value") if isinstance(res, dict) else res


SETUP = """
const [imapPass, davOrigin, davPass] = arguments;
const add = async (origin, realm, user, pass) => {
  const info = Cc["@mozilla.org/login-manager/loginInfo;1"].createInstance(Ci.nsILoginInfo);
  info.init(origin, null, realm, user, pass, "", "");
  await Services.logins.addLoginAsync(info);
};
return (async () => {
  await add("imap://127.0.0.1", "imap://127.0.0.1", "alice", imapPass);
  await add(davOrigin, "easbridge", "easbridge", davPass);
  return (await Services.logins.getAllLogins()).length;
})();
"""

INBOX = """
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const server = MailServices.accounts.allServers.find(s => s.type == "imap");
if (!server) return "no imap server";
const inbox = server.rootFolder.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
if (!inbox) { server.performExpand(null); return "no inbox yet"; }
inbox.updateFolder(null);
return inbox.getTotalMessages(false);
"""

EVENTS = """
const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
const c = cal.manager.getCalendars().find(c => c.type == "caldav");
if (!c) return ["no caldav calendar"];
const items = [];
const it = cal.iterate.streamValues(c.getItems(Ci.calICalendar.ITEM_FILTER_TYPE_EVENT, 0, null, null));
for await (const chunk of it) items.push(...chunk.map(i => i.title));
if (items.length == 0) c.refresh();
return items.sort();
"""


CREATE = """
const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
const { CalEvent } = ChromeUtils.importESModule("resource:///modules/CalEvent.sys.mjs");
const c = cal.manager.getCalendars().find(c => c.type == "caldav");
const ev = new CalEvent();
ev.id = "tb-created-1";
ev.title = "Created in Thunderbird";
ev.startDate = cal.createDateTime("20260615T090000Z");
ev.endDate = cal.createDateTime("20260615T100000Z");
const added = await c.adoptItem(ev);
return added.id;
"""


def poll(fn, want):
    deadline = time.monotonic() + TIMEOUT
    while True:
        got = fn()
        if want(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.5)


def say(ok, what):
    print(("PASS: " if ok else "FAIL: ") + what, flush=True)


def session(profile):
    port_file = os.path.join(profile, "MarionetteActivePort")
    port = poll(lambda: os.path.exists(port_file) and open(port_file).read().strip(), bool)
    if not port:
        say(False, "Thunderbird opened a Marionette port")
        return None
    m = Marionette(int(port))
    m.call("WebDriver:NewSession", {"capabilities": {}})
    m.call("Marionette:SetContext", {"value": "chrome"})
    return m


def quit(m):
    try:
        m.call("Marionette:Quit", {"flags": ["eForceQuit"]})
    except (ConnectionError, RuntimeError, OSError):
        pass


def logins(profile, imap_pass, dav_url, dav_pass):
    m = session(profile)
    if m is None:
        return
    parts = dav_url.split("/", 3)
    m.js(SETUP, imap_pass, parts[0] + "//" + parts[2], dav_pass)
    say(os.path.exists(os.path.join(profile, "logins.json")) or
        poll(lambda: os.path.exists(os.path.join(profile, "logins.json")), bool),
        "Thunderbird stored the IMAP and CalDAV passwords in logins.json")
    quit(m)


def check(profile, n, *summaries):
    m = session(profile)
    if m is None:
        return
    say(True, "Thunderbird headless with the prepared profile answers over Marionette")
    got = poll(lambda: m.js(INBOX), lambda g: g == int(n))
    say(got == int(n), "Thunderbird's IMAP Inbox shows the %s messages (got %s)" % (n, got))
    got = poll(lambda: m.js("return (async () => {" + EVENTS + "})();"),
               lambda g: all(s in g for s in summaries))
    say(all(s in got for s in summaries),
        "Thunderbird's CalDAV calendar loaded the seeded events (%s)" % got)
    got = m.js("return (async () => {" + CREATE + "})();")
    say(got == "tb-created-1", "Thunderbird added an event to the CalDAV calendar (%s)" % got)
    quit(m)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    try:
        {"logins": logins, "check": check}[cmd](*args)
    except (ConnectionError, RuntimeError, OSError) as e:
        say(False, "marionette %s: %s" % (cmd, e))


if __name__ == "__main__":
    main()
