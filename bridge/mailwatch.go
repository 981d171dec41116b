package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/maildir"
)

// syncedFlags are the flags EAS carries (Read and Flag).
const syncedFlags = maildir.Seen | maildir.Flagged

// mailCollections maps the Maildir folders of the synced mail collections
// to their collections.
func (e *Engine) mailCollections(ctx context.Context) (map[maildir.Folder]store.Collection, error) {
	colls, err := e.st.Collections(ctx)
	if err != nil {
		return nil, err
	}
	out := map[maildir.Folder]store.Collection{}
	for _, c := range colls {
		if c.Kind != store.KindMail || c.ServerID == "" {
			continue
		}
		f, err := e.mailFolder(ctx, c)
		if err != nil {
			e.log.Warn("mail folder has no Maildir name", "collection", c.Name, "err", err)
			continue
		}
		out[f] = c
	}
	return out, nil
}

// handleMailEvent turns what the user did in the Maildir into changes for
// the server. Flag changes and deletions wait for the next Sync; moves and
// outgoing messages are sent at once (MoveItems, SendMail).
func (e *Engine) handleMailEvent(ctx context.Context, ev maildir.Event) error {
	colls, err := e.mailCollections(ctx)
	if err != nil {
		return err
	}
	switch ev.Kind {
	case maildir.FlagsChanged, maildir.Removed:
		c, ok := colls[ev.Folder]
		if !ok {
			return nil
		}
		item, err := e.st.ItemByLocalID(ctx, c.ID, string(ev.Key))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		del := ev.Kind == maildir.Removed || ev.Flags&maildir.Trashed != 0
		e.queueMail(c.ID, mailChange{serverID: item.ServerID, flags: ev.Flags, delete: del})
	case maildir.Moved:
		return e.moveMail(ctx, colls, ev)
	case maildir.FolderAdded, maildir.FolderRemoved, maildir.FolderRenamed:
		err := e.mailFolderChanged(ctx, colls, ev)
		e.needFolderSync = true // carries the queued folder change
		return err
	case maildir.OutboxMessage:
		err := e.sendOutbox(ctx, ev.Key)
		if err != nil && !Refused(err) && !errors.Is(err, maildir.ErrNotFound) {
			e.outboxRetry[ev.Key] = true
		}
		return err
	}
	return nil
}

// moveMail carries a move between two mirrored folders to the server
// (MoveItems, MS-ASCMD 2.2.1.12) and moves the mapping with it.
func (e *Engine) moveMail(ctx context.Context, colls map[maildir.Folder]store.Collection, ev maildir.Event) error {
	src, ok1 := colls[ev.From]
	dst, ok2 := colls[ev.Folder]
	if !ok1 {
		return nil
	}
	item, err := e.st.ItemByLocalID(ctx, src.ID, string(ev.OldKey))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !ok2 {
		// Moved out of the mirrored folders: a delete for the server.
		e.queueMail(src.ID, mailChange{serverID: item.ServerID, delete: true})
		return nil
	}
	res, err := e.c.MoveItems(ctx, []eas.Move{{SrcMsgID: item.ServerID, SrcFldID: src.ServerID, DstFldID: dst.ServerID}})
	if err != nil {
		return fmt.Errorf("bridge: moving a message: %w", err)
	}
	if len(res) != 1 || !res[0].OK() || res[0].DstMsgID == "" {
		e.log.Warn("the server refused a move", "from", src.Name, "to", dst.Name)
		return nil
	}
	if err := e.st.ApplySync(ctx, src.ID, src.SyncKey, src.SyncKey, nil,
		[]store.ServerItemChange{{Op: store.ServerDelete, ServerID: item.ServerID}}); err != nil {
		return err
	}
	return e.st.ApplySync(ctx, dst.ID, dst.SyncKey, dst.SyncKey, nil, []store.ServerItemChange{{
		Op: store.ServerAdd, ServerID: res[0].DstMsgID, LocalID: string(ev.Key), Base: []byte((ev.Flags & syncedFlags).String()),
		MessageID: item.MessageID,
	}})
}

// sendOutbox sends a message the user put in the outbox (Send: SendMail,
// saved in Sent Items by the server, never twice where it can be told)
// and removes it.
func (e *Engine) sendOutbox(ctx context.Context, k maildir.Key) error {
	data, err := e.readOutbox(ctx, k)
	if err != nil {
		return err
	}
	if len(data) > maxSendSize {
		return fmt.Errorf("bridge: outgoing message %s is larger than %d bytes", k, maxSendSize)
	}
	if err := e.send(ctx, data, true); err != nil {
		return fmt.Errorf("bridge: sending %s: %w", k, err)
	}
	return e.cfg.Maildir.Sent(ctx, k)
}

// retryOutbox sends again the outbox messages whose send failed for a
// reason that may have passed. One the server refuses stays in the
// outbox, reported, until the user changes or removes it (or the next
// start tries it again).
func (e *Engine) retryOutbox(ctx context.Context) error {
	for k := range e.outboxRetry {
		err := e.sendOutbox(ctx, k)
		switch {
		case err == nil || errors.Is(err, maildir.ErrNotFound):
			delete(e.outboxRetry, k)
		case Refused(err):
			delete(e.outboxRetry, k)
			e.log.Warn("the server refused a message of the outbox; it stays there", "key", string(k), "err", err)
			e.recordError(err)
		default:
			return err
		}
	}
	return nil
}

// flushOutbox sends every message waiting in the Maildir outbox (what
// the watcher reports one by one while Run is active).
func (e *Engine) flushOutbox(ctx context.Context) error {
	if e.cfg.Maildir == nil {
		return nil
	}
	list, err := e.cfg.Maildir.List(ctx, e.cfg.Maildir.Outbox())
	if errors.Is(err, maildir.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, m := range list {
		if err := e.sendOutbox(ctx, m.Key); err != nil {
			return err
		}
	}
	return nil
}

// mailFolderChanged queues a folder the user created, removed or renamed
// in the Maildir for the server (FolderCreate, FolderDelete, FolderUpdate:
// MS-ASCMD 2.2.1.3, 2.2.1.4, 2.2.1.7), through the store's folder queue.
func (e *Engine) mailFolderChanged(ctx context.Context, colls map[maildir.Folder]store.Collection, ev maildir.Event) error {
	if ev.Folder == e.cfg.Maildir.Outbox() || ev.From == e.cfg.Maildir.Outbox() {
		return nil
	}
	switch ev.Kind {
	case maildir.FolderRemoved:
		if c, ok := colls[ev.Folder]; ok {
			return e.st.DeleteCollection(ctx, c.Name, true)
		}
	case maildir.FolderRenamed:
		c, ok := colls[ev.From]
		if !ok {
			return nil
		}
		path, err := ev.Folder.Path()
		if err != nil || len(path) == 0 {
			return err
		}
		return e.renameMailFolder(ctx, c, path[len(path)-1])
	case maildir.FolderAdded:
		if _, ok := colls[ev.Folder]; ok {
			return nil
		}
		path, err := ev.Folder.Path()
		if err != nil || len(path) == 0 {
			return err
		}
		parent := "0"
		if p, ok := colls[ev.Folder.Parent()]; ok && ev.Folder.Parent() != maildir.Inbox {
			parent = p.ServerID
		} else if len(path) > 1 {
			return nil // under a folder the server does not know (yet)
		}
		display := path[len(path)-1]
		name := collectionName(eas.Folder{DisplayName: display, ServerID: string(ev.Folder)}, store.KindMail)
		if c, err := e.st.CollectionByName(ctx, name); err == nil {
			if f, err := e.mailFolder(ctx, c); err == nil && f == ev.Folder {
				return nil // already queued or known
			}
			name += "-" + slug(string(ev.Folder))
		}
		_, err = e.st.CreateCollection(ctx, store.Collection{Name: name, Kind: store.KindMail, DisplayName: display,
			ParentServerID: parent, SyncKey: "0"}, true)
		return err
	}
	return nil
}

// renameMailFolder renames a mail folder on the server at once
// (FolderUpdate; the store queues renames of DAV collections only). A crash
// after the server's answer is repaired by the next FolderSync, which
// reports the new name.
func (e *Engine) renameMailFolder(ctx context.Context, c store.Collection, name string) error {
	if c.DisplayName == name {
		return nil
	}
	key, err := e.st.FolderSyncKey(ctx)
	if err != nil {
		return err
	}
	parent := c.ParentServerID
	if parent == "" {
		parent = "0"
	}
	newKey, err := e.c.FolderUpdate(ctx, key, c.ServerID, parent, name)
	if err != nil {
		return fmt.Errorf("bridge: renaming folder %s: %w", c.Name, err)
	}
	if err := e.st.CompleteFolderChange(ctx, store.FolderChange{Op: "update"}, "", key, newKey); err != nil {
		return err
	}
	return e.st.UpdateCollection(ctx, c.Name, store.CollectionUpdate{DisplayName: &name}, false)
}

// OutboxClientID is the SendMail ClientId of an outgoing message: its
// hash, the same whichever path sends the same bytes (MS-ASCMD 2.2.3.28.1:
// the server uses it to recognise a message sent again).
func OutboxClientID(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}
