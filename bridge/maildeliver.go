package bridge

import (
	"context"
	"errors"
	"io"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/maildir"
)

// deliverOnce delivers a server message to folder, idempotent by its
// ServerId. A file carrying the same id can also be another message: one
// the user moved in from another folder keeps the id it had there, and
// servers whose ServerIds are per-folder IMAP UIDs (SOGo) reuse the
// number in this folder. When the file found is mapped to another item,
// the message goes under an id of its own (the ServerId with a suffix,
// still stable across a redelivery), instead of taking that file and
// failing the mapping.
func (e *Engine) deliverOnce(ctx context.Context, c store.Collection, f maildir.Folder, serverID string, r io.Reader, flags maildir.Flags) (maildir.Key, error) {
	key, err := e.cfg.Maildir.Deliver(ctx, f, serverID, r, flags)
	if err != nil {
		return "", err
	}
	other, err := e.st.ItemByLocalID(ctx, c.ID, string(key))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return key, nil
	case err != nil:
		return "", err
	case other.ServerID == serverID:
		return key, nil
	}
	// Deliver wrote nothing and read nothing of r: it can deliver now.
	return e.cfg.Maildir.Deliver(ctx, f, serverID+"-"+c.ServerID, r, flags)
}
