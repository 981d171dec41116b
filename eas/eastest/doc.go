// Package eastest is an in-process Exchange ActiveSync server for tests of
// the eas client and of the sync engine. A *Server is an http.Handler: mount
// it on an httptest.Server and point a client at its URL.
//
// It speaks WBXML through eas/wbxml and typed items through the eas
// package's EncodeItem and DecodeItem, and follows the specifications
// rather than any one server: MS-ASHTTP for the transport (plain and
// base64-encoded query values, 449, 451, 503 with Retry-After), MS-ASPROV
// for the two phases of Provision and remote wipe, MS-ASCMD for the
// commands: Settings, FolderSync/Create/Update/Delete, Sync, Ping,
// GetItemEstimate, SendMail/SmartReply/SmartForward (raw MIME and
// ComposeMail), MoveItems, ItemOperations (inline or multipart),
// MeetingResponse, Search (GAL), and POX Autodiscover.
//
// Sync keeps faithful SyncKey semantics (MS-ASCMD 2.2.3.166.4): every
// response hands out a new key, a request repeated with the previous key is
// answered exactly as before without applying its commands twice, and any
// other key gets status 3. A client Add repeated with the same ClientId
// (or, in 16.x, the same calendar ClientUid) does not create a second
// item. Items live per user and folder; tests change them from the server
// side with AddItem, ChangeItem, DeleteItem and DeliverMail, which wake a
// waiting Ping or long-poll Sync.
//
// Items a test puts in are kept typed and encoded for the version of each
// request (so a 14.1 and a 16.1 device see Location in their own shape);
// items a client sends are kept as the WBXML it sent and decoded with
// eas.DecodeItem when a test asks for them (Server.Item).
//
// Faults (dropped connections, HTTP errors with headers, status 3, 449,
// delays, truncated bodies) are injected with Server.Inject for the next N
// requests, optionally of one command only.
//
// Not served: Find, ResolveRecipients, ValidateCert, GetAttachment, Search
// of the Mailbox store, Partial Sync, drafts sent through Sync (16.x), Oof
// set. The server keeps everything in memory behind one mutex; a waiting
// Ping or Sync releases it while it waits.
package eastest
