// Package maildir is easbridge's Maildir++ mirror and its watcher. It
// knows nothing of EAS: the sync engine delivers messages and changes
// flags through a Store, and learns what the user did (in mutt, neomutt,
// aerc, notmuch, Evolution, or Dovecot serving the same directory) from
// the Events of Store.Watch.
//
// # Layout
//
// Maildir++ (the Courier/Dovecot convention): INBOX is the root directory
// with its cur/ new/ tmp/; every other folder is a directory ".A.B" beside
// them, with its own cur/ new/ tmp/ and a "maildirfolder" marker, where '.'
// separates the levels (A, then its child B). A Folder value is that
// directory name ("" for INBOX).
//
// # Folder names
//
// EAS display names may hold anything: '.', '/', non-ASCII. Each level is
// encoded on its own:
//   - non-ASCII (and control characters) in modified UTF-7 (RFC 3501
//     section 5.1.3), '&' as "&-";
//   - '.', '/' and '\' as \2e, \2f and \5c;
//   - other printable ASCII as itself.
//
// Why modified UTF-7 and not raw UTF-8: it is what Dovecot 2.3 reads and
// writes on disk by default (the "UTF-8" mail_location option, which would
// store UTF-8, is off by default, and Dovecot interprets "&" sequences in
// directory names as modified UTF-7), and what Courier does; so Dovecot
// serving this mirror lists "Café" as "Café" to IMAP clients with no
// special configuration, and an IMAP client's folder list matches EAS.
// The cost: mutt and neomutt show the raw directory name ("Caf&AOk-") for
// non-ASCII folders, since they do not decode Maildir++ names; that is
// cosmetic, and mutt users of non-ASCII folder names already live with it
// under Dovecot. A folder made by hand in UTF-8 (".Café") still decodes:
// bytes that are not modified UTF-7 are taken as they are.
//
// Why \2e and \2f: Maildir++ uses '.' as the level separator, and '/' is
// the directory separator, so neither can appear raw. The \xx form is the
// one Dovecot's listescape plugin uses on disk (listescape_char "\"), so
// Dovecot 2.3 with that plugin and a '/' separator lists "v1.2 release" as
// "v1.2 release" (checked by interop/maildir.sh). Without the plugin
// Dovecot still serves the folder, named "v1\2e2 release". A '/' inside a
// name round-trips exactly here, but IMAP cannot show its own separator
// inside a name, so Dovecot (listescape decodes \2f to the separator)
// shows "A/B" as folder B under A; with separator '.' the same holds for
// dots. mutt shows the directory names as they are.
//
// # Message files and keys
//
// A delivered file is named "<unique>,S=<size>,X=<id>:2,<flags>". The
// unique part follows the Maildir spec (cr.yp.to/proto/maildir.html):
// "<seconds>.M<usec>P<pid>Q<count>R<random>.<host>" with '/', ':' (and our
// ',') in the host escaped as \057, \072, \054. The Key of a message is
// that unique part, everything before the first ',' or ':'. Flag changes
// by any client rename only the part after ':', and a move that renames
// the file (Dovecot with hard links, this package) keeps it, so the key is
// stable. ",S=" is the size Dovecot reads to skip a stat.
//
// # Idempotent delivery
//
// The caller's id (the EAS ServerId) is kept in the file name, as the
// ",X=" field (percent-encoded; hashed when long). We chose the name over
// an index file because the name is the one thing the Maildir protocol
// makes atomic with the message itself: the rename from tmp/ that makes
// the message appear also records its id, so after a kill -9 at any
// instant either both exist or neither, and there is no second file to
// keep consistent (an id->key index written before the rename lies after
// a crash, one written after loses the id). Clients keep the base name
// when they change flags. A message header (X-EAS-ServerId) would change
// the bytes the server gave, and extended attributes are not kept by every
// file system, backup or client. Deliver and Lookup find ids through an
// in-memory index built by listing each folder once.
//
// Delivery streams from an io.Reader into tmp/ (64 KB at a time), fsyncs
// the file, renames it into new/ (no flags) or cur/, and fsyncs the
// directory. tmp/ files are named "easbridge.<pid>.<unique>" so that Open
// can remove the leftovers of our own crashed processes (pid no longer
// alive, or older than 36 hours) and never another program's file.
//
// # Flags
//
// The ":2," info holds the standard flags D F P R S T (Draft, Flagged,
// Passed, Replied, Seen, Trashed) in ASCII order. Other letters (Dovecot
// keywords a-z, whose names live in dovecot-keywords) are kept as they
// are when we change flags, and reported as Keywords.
//
// # The watcher
//
// Store.Watch watches, with fsnotify on Linux, the root (folders appearing
// or going) and each folder's directory, cur/ and new/. Notifications are
// hints: after Options.Debounce of quiet (at most Options.MaxDelay) the
// folders with activity are listed again and diffed against the last
// known state, which yields Added, Removed, FlagsChanged, Moved,
// FolderAdded, FolderRemoved, FolderRenamed (a new folder directory that is
// the same inode as a vanished one) and OutboxMessage events. A queue
// overflow, a watcher error, and every Options.Reconcile tick rescan
// everything; where notifications are unsuitable (kqueue on macOS needs a
// descriptor per file) the watcher polls. Listing a folder reads names
// only, no stat, so a rescan of 100,000 messages is cheap.
//
// Moves are recognised two ways: the same key leaves one folder and
// arrives in another (a rename: Dovecot, aerc, this package), or a client
// writes a copy with a new name and deletes the original (mutt and
// neomutt do; the copy's bytes differ, mutt adds Content-Length). The
// second is paired by the Message-ID header: a foreign file whose
// Message-ID matches a message removed in the same rescan is a move; if
// the original still exists, the copy is held (for Options.CopyHold)
// until the original goes. For that the watcher reads the header of every
// message once when it starts.
//
// Changes made through the Store (Deliver, SetFlags, Move, Remove, folder
// operations) update the known state under the same lock the diff holds,
// so they are never echoed back as user changes. The view returned by
// Store.AsUser does not: its changes are found and reported like any
// other program's, which is what the loopback IMAP server wants for what
// its clients do. A Subscription (Store.Subscribe) hears which folders
// changed, whoever changed them, for IMAP IDLE.
//
// # The outbox
//
// A message the user drops into the outbox folder (default "Outbox") is
// reported as OutboxMessage once it has not changed for Options.Settle and
// starts with a header block; the engine sends it and calls Store.Sent,
// which removes it. What is there when Watch starts is reported again, so
// nothing waits forever after a crash.
//
// # Errors
//
// Nothing the user put in the mirror makes the Store or the watcher fail or
// delete anything: a directory that cannot be read is reported once as a
// Problem (with its path) and keeps its last known state; a malformed or
// half-written outbox file is reported or waited for and left in place; a
// name without an info suffix is a message without flags.
package maildir
