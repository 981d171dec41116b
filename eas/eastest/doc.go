// Package eastest is an in-process Exchange ActiveSync server for tests of
// the eas client and of the sync engine. A *Server is an http.Handler: mount
// it on an httptest.Server and point a client at its URL.
//
// It speaks WBXML through eas/wbxml and typed items through the eas
// package's EncodeItem and DecodeItem, and follows the specifications
// rather than any one server: MS-ASHTTP for the transport (plain and
// base64-encoded query values, 449, 503 with Retry-After), MS-ASPROV for
// the two phases of Provision and remote wipe, MS-ASCMD for the commands.
//
// Sync keeps faithful SyncKey semantics (MS-ASCMD 2.2.3.166.4): every
// response hands out a new key, a request repeated with the previous key is
// answered exactly as before without applying its commands twice, and any
// other key gets status 3. Items live per user and folder; tests change
// them from the server side with AddItem, ChangeItem, DeleteItem and
// DeliverMail, which wake a waiting Ping or long-poll Sync.
//
// Faults (dropped connections, HTTP errors with Retry-After, status 3, 449,
// delays, truncated bodies) are injected with Server.Inject for the next N
// requests, optionally of one command only.
//
// The server keeps everything in memory behind one mutex; a waiting Ping
// releases it while it waits.
package eastest
