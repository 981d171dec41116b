// Package imapd serves the Maildir mirror over IMAP4rev1 on loopback, so
// Thunderbird (which cannot share a Maildir with another writer) and any
// other IMAP client see the same mail that mutt sees on disk.
//
// # Protocol
//
// The wire protocol, literal handling, IDLE and the per-session view of
// sequence numbers come from github.com/emersion/go-imap/v2/imapserver;
// this package is the backend over a maildir.Store. Advertised beyond
// IMAP4rev1: IDLE, UIDPLUS (RFC 4315), MOVE (RFC 6851), SPECIAL-USE
// (RFC 6154), NAMESPACE, CHILDREN, UNSELECT, APPENDLIMIT (RFC 7889) and
// AUTH=PLAIN. CONDSTORE is not advertised: the library's mailbox tracker
// carries no MODSEQ, and a half CONDSTORE makes Thunderbird miss flag
// changes. IMAP4rev2 is not advertised either (it requires ESEARCH).
//
// # UIDs
//
// A message's Maildir key (the unique part of its file name) is stable
// across flag changes and moves, so a UID is bound to a key. Each folder
// keeps "easbridge-uidlist" in its own directory (beside cur/ and new/,
// where neither Maildir readers nor the maildir watcher look): the
// UIDVALIDITY, UIDNEXT and one "uid key [keyword...]" line per message.
// It is rewritten crash-safely (temp file, fsync, rename, fsync of the
// directory) before any new UID is shown to a client, so a UID is never
// reused and survives restarts; a folder renamed keeps its file and its
// UIDs. A missing or unreadable file starts a new UIDVALIDITY.
//
// # Changes
//
// Every change made over IMAP goes through the maildir.Store API
// (Deliver, SetFlags, Move, Remove, folder operations). The daemon
// (easbridge run) gives the server the Store's user view
// (maildir.Store.AsUser): its changes are not recorded as the bridge's
// own, so the watcher reports them to the sync engine exactly as it
// reports mutt's. Each change is also passed to Config.Changed, if set,
// as the maildir.Event the watcher would send (for tools and tests that
// run no watcher).
//
// New mail reaches selected and idling sessions by a refresh of the
// folder listing: at once when Server.Notify is called (the daemon calls
// it for every folder a maildir.Subscription reports changed, the
// engine's deliveries included; HandleEvent does it for a watcher
// event), and otherwise at most Config.Poll after it appears in the
// Store (a shared poll per folder, only while a session idles or sends
// commands there). Several accounts share one listener through a Group.
//
// # Message data
//
// BODY[], BODY[HEADER], BODY[HEADER.FIELDS ...], BODY[TEXT] and their
// partial forms are streamed from the file (a section reader over the
// open file, the header read up to its blank line); only nested MIME
// parts, BODYSTRUCTURE and ENVELOPE parse the message. A message whose header has
// bare LF line endings (mutt, aerc) is served converted to CRLF, with
// sizes to match (see wire.go); others are served as stored.
//
// INTERNALDATE is the date of the topmost Received field, else of Date,
// else the file's modification time: it survives copies and tells when
// the mail arrived rather than when easbridge first synced it.
//
// # Not implemented
//
// CONDSTORE (RFC 7162): go-imap v2.0.0-beta.8's server parses neither
// SELECT (CONDSTORE), FETCH (CHANGEDSINCE) and the MODSEQ item, nor
// STORE (UNCHANGEDSINCE), and writes no HIGHESTMODSEQ, so it is not
// advertised (clients then fall back to flag FETCHes, which is correct).
// ID (RFC 2971): the library answers it BAD and has no hook to add it;
// it is not advertised, and clients send ID only when it is (RFC 2971
// 3.1; Thunderbird checks the capability).
package imapd
