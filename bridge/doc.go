// Package bridge is easbridge's sync engine: for one account it ties the EAS
// client (package eas), the state database (bridge/store), the converters
// (bridge/convert), the DAV server (package dav) and the Maildir (package
// maildir) together, so that the account's calendars, task lists, notes,
// address books and mail folders mirror both ways.
//
// # Goroutine model
//
// One Engine serves one account, and one goroutine — the one running
// Engine.Run (or Engine.SyncOnce) — owns its sync state: it alone sends
// FolderSync and Sync, takes outbox entries and commits SyncKeys. Nothing
// else advances a key, so every store write that moves a key can insist on
// the old one (store.ErrPrecondition catches a bug, never a race).
//
// Other goroutines only send the owner messages:
//   - the DAV handler writes through Engine.DAV, a dav.Backend that commits
//     the object and its outbox row in one transaction (bridge/store) and
//     then calls Engine.Wake, a non-blocking send on a channel of one slot;
//   - the Ping long poll runs in a short-lived goroutine of its own that
//     only performs the HTTP exchange and hands its result back on a
//     channel; a wake-up cancels it at once through its context;
//   - the Maildir watcher (maildir.Store.Watch) runs in a goroutine of its
//     own and sends typed events on a channel; the owner turns them into
//     Sync changes, MoveItems and SendMail.
//
// Run and SyncOnce must not run at the same time on one Engine. ReadStatus
// may be called from anywhere, even another process: it reads the store.
//
// # Data flow
//
// Server to desktop: each Sync response is converted item by item in the
// client's callback (bodies are released when it returns) and buffered per
// collection; when the response is complete and the collection's status is
// good, its changes, the answers to the entries the request carried, and
// its new SyncKey are committed in one transaction (store.ApplySync). A
// collection that failed (status 3, 12, ...) commits nothing, so a lost or
// failed answer is simply asked for again with the same key and ClientIds.
//
// Mail is delivered to the Maildir inside the callback, streamed from the
// body spool and idempotent by ServerId, before the transaction that
// records the mapping and the new key; a crash in between only makes the
// next Sync bring the message again, which finds it delivered.
//
// Desktop to server: the first round of a cycle only pulls, so that a
// change made on both sides meets its server version before ours leaves.
// Then outbox entries are taken (their ClientIds persisted
// first, by store.TakeOutbox), converted and sent in the next Sync; an entry
// that cannot be converted or that the server rejects is quarantined with
// its reason (store.OutboxResult.Failure) and never blocks its collection.
//
// # Conflicts
//
// When the server reports a change to an item that has a waiting local
// change, the two are merged field by field against the base version both
// sides last agreed on (convert.Merge3); a field changed on both sides goes
// by the policy (server-wins by default), and the losing version is kept in
// the store's conflicts table. A server delete of an item edited locally
// keeps the edit and adds it to the server again.
//
// # Maildir changes made while stopped
//
// On start (and every hour while running) reconcileMail compares each
// mirrored Maildir folder with the mappings in the store: flags that
// differ from the recorded base become Sync Change, a missing or Trashed
// message a Sync Delete, and a message that turns up in another mirrored
// folder (same file name, or a copy with the Message-ID recorded at
// delivery) MoveItems. The bridge removes a file only after the removal
// of its mapping is committed, so its own removals are never taken for
// the user's.
//
// # Server SoftDelete
//
// An item that left the mail_age or calendar_age window (SoftDelete) is
// removed locally like a Delete: the mirror follows the window the user
// chose. A local delete waiting for it is still sent; a local edit is
// kept in the conflicts table rather than re-added (the server still has
// the item).
//
// # Push, sleep and network loss
//
// Run pings the Inbox first, then the DAV collections, then other mail,
// up to the server's MaxFolders (Ping status 6); the folders left out are
// synced whenever a Ping ends. The heartbeat follows the bound the server
// names with status 5. A server whose OPTIONS lists no Ping (or that
// answers Ping with 501/404) is polled with Sync every PollInterval. A
// wall clock running ahead of the monotonic clock (a suspend) cancels the
// Ping in flight, ends a backoff, and syncs every folder at once; a Ping
// unanswered past its heartbeat is taken for a lost connection. Failures
// back off exponentially with jitter (Retry-After honoured, 30 s at least
// when the server throttles), and the next cycle covers every folder.
//
// # Limits
//
// Not yet done: a Maildir folder moved under another parent is only
// renamed on the server (creates, renames and deletes of folders are
// carried, for DAV collections and Maildir folders alike); a message the
// user copies into a mirrored folder stays local (EAS cannot upload one);
// a Maildir folder removed while the daemon is stopped is not deleted on
// the server.
package bridge
