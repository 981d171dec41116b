package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
	"github.com/easbridge/easbridge/maildir"
)

// inboxName is the collection name of the Inbox, which is the Maildir++
// root folder.
const inboxName = "INBOX"

// mailChange is a change the user made in the Maildir, waiting for the
// next Sync of its folder. The engine goroutine owns the queue; a change
// lost in a crash is found again by reconcileMail, which compares every
// message's flags with the base recorded for it.
type mailChange struct {
	serverID string
	flags    maildir.Flags
	delete   bool
}

// mailFolder is the Maildir++ folder of a mail collection.
func (e *Engine) mailFolder(ctx context.Context, c store.Collection) (maildir.Folder, error) {
	return mailFolderOf(ctx, e.st, c)
}

// mailFolderOf is the Maildir++ folder of a mail collection: the display
// names from the top of the hierarchy (the Inbox is the root).
func mailFolderOf(ctx context.Context, st *store.Store, c store.Collection) (maildir.Folder, error) {
	if c.Name == inboxName {
		return maildir.Inbox, nil
	}
	path := []string{c.DisplayName}
	parent := c.ParentServerID
	for i := 0; parent != "" && parent != "0" && i < 64; i++ {
		p, err := st.CollectionByServerID(ctx, parent)
		if err != nil {
			break
		}
		name := p.DisplayName
		if p.Name == inboxName {
			name = inboxName
		}
		path = append([]string{name}, path...)
		parent = p.ParentServerID
	}
	return maildir.FolderOf(path...)
}

// ensureMailFolder creates the Maildir folder of a mail collection.
func (e *Engine) ensureMailFolder(ctx context.Context, c store.Collection) error {
	f, err := e.mailFolder(ctx, c)
	if err != nil || f == maildir.Inbox {
		return err
	}
	if err := e.cfg.Maildir.CreateFolder(ctx, f); err != nil && !errors.Is(err, maildir.ErrExists) {
		return fmt.Errorf("bridge: creating mail folder %s: %w", f, err)
	}
	return nil
}

// flagsOf are the Maildir flags of a message's Read and Flag state.
func flagsOf(m *eas.Email, cur maildir.Flags) maildir.Flags {
	if m.Fields.Has(wbxml.EmailRead) || m.Read {
		cur &^= maildir.Seen
		if m.Read {
			cur |= maildir.Seen
		}
	}
	if m.Fields.Has(wbxml.EmailFlag) || m.Flag != nil {
		cur &^= maildir.Flagged
		if m.Flag != nil && m.Flag.Status == eas.FlagActive {
			cur |= maildir.Flagged
		}
	}
	return cur
}

// mailOptions ask for whole MIME messages (MS-ASAIRS 2.2.2.7 type 4 with
// MIMESupport 2, MS-ASCMD 2.2.3.100.3), never truncated.
func (e *Engine) mailOptions() *eas.SyncOptions {
	return &eas.SyncOptions{FilterType: e.cfg.MailFilter, MIMESupport: 2,
		BodyPreferences: []eas.BodyPreference{{Type: int(eas.BodyMIME)}}}
}

// fromServerMail applies one server change of a mail folder to the Maildir
// at once (delivery is idempotent by ServerId, flag changes and removals
// are repeatable) and records the mapping change for the transaction of
// the new SyncKey.
func (e *Engine) fromServerMail(ctx context.Context, st *collSync, ch eas.ServerChange) error {
	c := st.c
	folder, err := e.mailFolder(ctx, c)
	if err != nil {
		return err
	}
	item, err := e.st.ItemByServerID(ctx, c.ID, ch.ServerID)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	switch ch.Kind {
	case eas.ChangeDelete, eas.ChangeSoftDelete:
		// A SoftDelete (the message left the mail_age window) removes the
		// local copy like a Delete: see serverMailGone.
		if !known {
			return nil
		}
		e.serverMailGone(st, item)
		return nil
	case eas.ChangeAdd, eas.ChangeModify:
	default:
		return nil
	}
	m, ok := ch.Item.(*eas.Email)
	if !ok {
		st.skipped = append(st.skipped, quarantined(c, ch.ServerID, nil, errors.New("the message could not be decoded")))
		return nil
	}
	if known {
		return e.serverFlags(ctx, st, folder, item, m)
	}
	if ch.Kind != eas.ChangeAdd {
		return nil
	}
	if m.Body == nil || !m.Body.HasData() || m.Body.Type != eas.BodyMIME || m.Body.Truncated {
		st.skipped = append(st.skipped, quarantined(c, ch.ServerID, nil, errors.New("the server sent no whole MIME body")))
		return nil
	}
	r, err := m.Body.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	flags := flagsOf(m, 0)
	head, body, err := peekHead(r)
	if err != nil {
		return fmt.Errorf("bridge: reading %s: %w", ch.ServerID, err)
	}
	mid := headerMessageID(head)
	key, adopted, err := e.adoptMovedMail(ctx, st, folder, mid)
	if err != nil {
		return err
	}
	if !adopted {
		if key, err = e.deliverOnce(ctx, c, folder, ch.ServerID, mid, body, flags); err != nil {
			return fmt.Errorf("bridge: delivering %s: %w", ch.ServerID, err)
		}
	}
	st.changes = append(st.changes, store.ServerItemChange{Op: store.ServerAdd, ServerID: ch.ServerID,
		LocalID: string(key), Base: []byte(flags.String()), MessageID: mid})
	return nil
}

// serverFlags applies the server's Read and Flag state of a known message.
// Flags merge as sets (DESIGN.md): a flag the user changed since the base
// (the state last agreed with the server) keeps the user's value and is
// sent; every other flag takes the server's.
func (e *Engine) serverFlags(ctx context.Context, st *collSync, folder maildir.Folder, item store.Item, m *eas.Email) error {
	key := maildir.Key(item.LocalID)
	cur, err := e.messageFlags(ctx, st, folder, key)
	if err != nil {
		return err
	}
	base, _ := maildir.ParseFlags(string(item.Base))
	server := flagsOf(m, base)
	local := (cur ^ base) & syncedFlags
	merged := (flagsOf(m, cur) &^ local) | (cur & local)
	if merged != cur {
		if err := e.cfg.Maildir.SetFlags(ctx, folder, key, merged); err != nil && !errors.Is(err, maildir.ErrNotFound) {
			return err
		}
		st.flags[key] = merged
	}
	if merged&syncedFlags != server&syncedFlags {
		e.queueMail(st.c.ID, mailChange{serverID: item.ServerID, flags: merged})
	}
	st.changes = append(st.changes, store.ServerItemChange{Op: store.ServerChange, ServerID: item.ServerID,
		Base: []byte((server & syncedFlags).String())})
	return nil
}

// messageFlags returns the flags of one message (0 when it is gone). The
// folder is listed once per Sync answer, not once per message, so an
// answer that brings read marks for a whole large folder stays linear.
func (e *Engine) messageFlags(ctx context.Context, st *collSync, f maildir.Folder, k maildir.Key) (maildir.Flags, error) {
	if st.flags == nil {
		list, err := e.cfg.Maildir.List(ctx, f)
		if err != nil {
			return 0, err
		}
		st.flags = make(map[maildir.Key]maildir.Flags, len(list))
		for _, m := range list {
			st.flags[m.Key] = m.Flags
		}
	}
	return st.flags[k], nil
}

// addMailOutbox puts the waiting Maildir changes of a mail folder in the
// request: flag changes as Sync Change (Read, Flag; MS-ASEMAIL 2.2.2.47),
// removals as Sync Delete (the server moves them to Deleted Items when
// DeletesAsMoves is on, its default).
func (e *Engine) addMailOutbox(st *collSync, sc *eas.SyncCollection) {
	for _, mc := range e.mailOut[st.c.ID] {
		if mc.delete {
			sc.Deletes = append(sc.Deletes, mc.serverID)
		} else {
			m := eas.ReadChange(mc.flags&maildir.Seen != 0)
			m.Flag = &eas.Flag{}
			if mc.flags&maildir.Flagged != 0 {
				m.Flag.Status = eas.FlagActive
				m.Flag.FlagType = "for Follow Up"
			}
			m.Fields.Set(wbxml.EmailFlag)
			sc.Changes = append(sc.Changes, eas.ClientChange{ServerID: mc.serverID, Item: m})
		}
		st.mailSent = append(st.mailSent, mc)
	}
}

// mailAnswers turns the sent Maildir changes into mapping updates for the
// transaction of the new SyncKey.
func (e *Engine) mailAnswers(st *collSync) []store.ServerItemChange {
	var out []store.ServerItemChange
	for _, mc := range st.mailSent {
		if mc.delete {
			out = append(out, store.ServerItemChange{Op: store.ServerDelete, ServerID: mc.serverID})
		} else {
			out = append(out, store.ServerItemChange{Op: store.ServerChange, ServerID: mc.serverID, Base: []byte(mc.flags.String())})
		}
	}
	return out
}

// dropSentMail removes the sent Maildir changes from the queue once their
// answer is committed. Only the engine goroutine touches the queue, and
// no event is handled while a Sync is under way, so they are its head.
func (e *Engine) dropSentMail(st *collSync) {
	q := e.mailOut[st.c.ID]
	e.mailOut[st.c.ID] = q[min(len(st.mailSent), len(q)):]
}

// queueMail records a Maildir change for the next Sync, replacing an
// earlier one of the same message; once a delete is queued, later changes
// of the message (a second report of the delete, by the watcher and the
// reconcile) are dropped, so one Sync never deletes an item twice.
func (e *Engine) queueMail(collID int64, mc mailChange) {
	q := e.mailOut[collID]
	for i := range q {
		if q[i].serverID != mc.serverID {
			continue
		}
		if !q[i].delete {
			q[i] = mc
		}
		return
	}
	e.mailOut[collID] = append(q, mc)
}

// copyMessage reads a whole message file, for SendMail.
func (e *Engine) readOutbox(ctx context.Context, k maildir.Key) ([]byte, error) {
	r, err := e.cfg.Maildir.OpenMessage(ctx, e.cfg.Maildir.Outbox(), k)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, maxSendSize+1))
}

// maxSendSize bounds a message sent from the outbox.
const maxSendSize = 64 << 20
