// Package eas is an Exchange ActiveSync client: the HTTP transport of
// MS-ASHTTP, the commands of MS-ASCMD and the typed items of MS-ASEMAIL,
// MS-ASCAL, MS-ASCNTC, MS-ASTASK and MS-ASNOTE.
//
// The client keeps no sync state of its own. Every command that moves a
// SyncKey takes the key from the caller and hands the new one back, so
// that the caller can commit the key in the same transaction as the items
// it brought; a request whose answer was lost can be sent again with the
// same key and ClientIds.
package eas
