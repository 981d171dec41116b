package bridge

import (
	"context"
	"errors"
	"io"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/maildir"
)

// deliverOnce delivers a server message with Message-ID mid to folder,
// idempotent by its ServerId. A file carrying the same id can also be
// another message: one the user moved in from another folder keeps the
// id it had there, and servers whose ServerIds are per-folder IMAP UIDs
// (SOGo) reuse the number in this folder. Such a file is this message
// only when no other item of the collection claims it and it has the
// same Message-ID (a delivery whose mapping a kill kept from being
// committed); otherwise the message goes under an id of its own (the
// ServerId with a suffix, still stable across a redelivery), instead of
// taking over the other message's file.
func (e *Engine) deliverOnce(ctx context.Context, c store.Collection, f maildir.Folder, serverID, mid string, r io.Reader, flags maildir.Flags) (maildir.Key, error) {
	key, found, err := e.cfg.Maildir.Lookup(ctx, f, serverID)
	if err != nil {
		return "", err
	}
	if !found {
		return e.cfg.Maildir.Deliver(ctx, f, serverID, r, flags)
	}
	other, err := e.st.ItemByLocalID(ctx, c.ID, string(key))
	switch {
	case errors.Is(err, store.ErrNotFound):
		if e.messageIDOf(ctx, f, key) == mid {
			return key, nil
		}
	case err != nil:
		return "", err
	case other.ServerID == serverID:
		return key, nil
	}
	return e.cfg.Maildir.Deliver(ctx, f, serverID+"-"+c.ServerID, r, flags)
}
