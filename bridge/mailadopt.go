package bridge

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/maildir"
)

// peekHead reads the header block of a message (at most maxHead bytes and
// one read beyond) and returns it with a reader of the whole message.
func peekHead(r io.Reader) ([]byte, io.Reader, error) {
	s := &midSniffer{r: r}
	var buf bytes.Buffer
	p := make([]byte, 4096)
	for !s.done {
		n, err := s.Read(p)
		buf.Write(p[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return s.head, io.MultiReader(&buf, r), nil
}

// adoptMovedMail finds, for a server Add of an unknown ServerId, a file of
// the folder with the same Message-ID that no mapping of the collection
// claims, and returns its key. Such a file is the message itself: the user
// moved it here, the server applied the MoveItems, and the mapping change
// was never committed (a kill, or the answer lost), so the server's Add in
// this folder is that move, not a new message. The stale mapping of the
// key in the other collection is dropped, with any mail change queued for
// it, so nothing is sent again and the server's Delete of the old ServerId
// removes nothing here.
//
// The folder is listed once per answer, and only files without a mapping
// are read (none in the common case, such as an initial sync).
func (e *Engine) adoptMovedMail(ctx context.Context, st *collSync, f maildir.Folder, mid string) (maildir.Key, bool, error) {
	if mid == "" {
		return "", false, nil
	}
	if st.strays == nil {
		if err := e.listStrays(ctx, st, f); err != nil {
			return "", false, err
		}
	}
	keys := st.strays[mid]
	if len(keys) == 0 {
		return "", false, nil
	}
	key := keys[0]
	st.strays[mid] = keys[1:]
	if claimed(st, string(key)) {
		return "", false, nil
	}
	colls, err := e.mailCollections(ctx)
	if err != nil {
		return "", false, err
	}
	for _, c := range colls {
		if c.ID == st.c.ID {
			continue
		}
		old, err := e.st.ItemByLocalID(ctx, c.ID, string(key))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", false, err
		}
		e.dropQueuedMail(c.ID, old.ServerID)
		if err := e.st.ApplySync(ctx, c.ID, c.SyncKey, c.SyncKey, nil,
			[]store.ServerItemChange{{Op: store.ServerDelete, ServerID: old.ServerID}}); err != nil {
			return "", false, err
		}
	}
	e.log.Info("server add matched to a message moved into its folder", "collection", st.c.Name)
	return key, true, nil
}

// listStrays records the Message-IDs of the folder's files that no mapping
// of the collection claims.
func (e *Engine) listStrays(ctx context.Context, st *collSync, f maildir.Folder) error {
	st.strays = map[string][]maildir.Key{}
	list, err := e.cfg.Maildir.List(ctx, f)
	if err != nil || len(list) == 0 {
		return err
	}
	items, err := e.st.Items(ctx, st.c.ID)
	if err != nil {
		return err
	}
	mapped := make(map[string]bool, len(items))
	for _, it := range items {
		mapped[it.LocalID] = true
	}
	for _, m := range list {
		if mapped[string(m.Key)] {
			continue
		}
		if mid := e.messageIDOf(ctx, f, m.Key); mid != "" {
			st.strays[mid] = append(st.strays[mid], m.Key)
		}
	}
	return nil
}
