package bridge

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strings"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/maildir"
)

// reconcileMail finds what the user did in the Maildir while no watcher
// saw it (the daemon was stopped, or crashed before sending) by comparing
// every mirrored folder with the mappings the store recorded:
//   - flags that differ from the base recorded with the last SyncKey
//     become Sync Change (they then merge as sets with the server's);
//   - a message marked T (Trashed) becomes a Sync Delete;
//   - a mapped message whose file is gone, and which does not turn up in
//     another mirrored folder, becomes a Sync Delete (the server moves it
//     to Deleted Items when DeletesAsMoves is on, MS-ASCMD 2.2.3.47);
//   - a mapped message that turns up in another mirrored folder (the same
//     file name, or a copy with its Message-ID and no bridge id, as mutt
//     makes) becomes MoveItems, sent at once;
//   - a copy with the Message-ID of a vanished message in the same folder
//     (a client that rewrote the file) takes over its mapping.
//
// The bridge's own work is never taken for the user's: it removes a file
// only after the mapping's removal is committed (removeGoneMail), and a
// file it delivered without committing carries the bridge's id, so it is
// neither a move nor a stray copy. A folder missing from the Maildir is
// skipped: a removed folder is a FolderDelete, never one delete per message.
func (e *Engine) reconcileMail(ctx context.Context) error {
	if e.cfg.Maildir == nil {
		return nil
	}
	colls, err := e.mailCollections(ctx)
	if err != nil {
		return err
	}
	var scan mailScan
	for f, c := range colls {
		if c.SyncKey == "0" || f == e.cfg.Maildir.Outbox() {
			continue
		}
		if err := e.scanMailFolder(ctx, f, c, &scan); err != nil {
			return err
		}
	}
	if len(scan.gone) == 0 {
		return nil
	}
	var moves []pairedMail
	for _, s := range scan.strays {
		g := scan.byKey[s.m.Key]
		if g == nil && s.m.ID == "" && len(scan.byMID) > 0 {
			g = scan.byMID[e.messageIDOf(ctx, s.f, s.m.Key)]
		}
		if g == nil || g.used {
			continue
		}
		g.used = true
		moves = append(moves, pairedMail{g, s})
	}
	if err := e.reconcileMoves(ctx, moves); err != nil {
		return err
	}
	return e.reconcileDeletes(ctx, &scan)
}

// Mass-delete guard: when at least massGoneMin messages of a folder, and
// more than half of those mapped, vanished while the daemon was stopped,
// the Maildir was more likely replaced (a new path, a restored backup)
// than emptied by hand.
const massGoneMin = 20

// reconcileDeletes queues a Sync Delete for every vanished message that
// was not moved, except in a folder that lost most of its messages: that
// folder is fetched again from the server instead (its missing messages'
// mappings dropped and its SyncKey reset), so a lost Maildir never
// empties the mailbox on the server.
func (e *Engine) reconcileDeletes(ctx context.Context, scan *mailScan) error {
	gone := map[int64][]*goneMail{}
	for _, g := range scan.gone {
		if !g.used {
			gone[g.c.ID] = append(gone[g.c.ID], g)
		}
	}
	for _, list := range gone {
		c := list[0].c
		if len(list) >= massGoneMin && 2*len(list) > scan.mapped[c.ID] {
			if err := e.refetchMailFolder(ctx, c, list); err != nil {
				return err
			}
			continue
		}
		for _, g := range list {
			e.log.Info("message deleted while stopped", "collection", c.Name)
			e.queueMail(c.ID, mailChange{serverID: g.it.ServerID, delete: true})
		}
	}
	return nil
}

// refetchMailFolder forgets the vanished messages of a folder and starts
// its sync over, so the server sends them again (the ones still present
// keep their mappings and are matched by ServerId).
func (e *Engine) refetchMailFolder(ctx context.Context, c store.Collection, list []*goneMail) error {
	e.log.Warn("most messages of a mail folder are missing from the Maildir; fetching them again instead of deleting them on the server",
		"collection", c.Name, "missing", len(list))
	e.setMeta(ctx, metaCollError+c.Name, fmt.Sprintf("%d messages were missing from the Maildir and are fetched again; delete them while the bridge runs to delete them on the server", len(list)))
	changes := make([]store.ServerItemChange, 0, len(list))
	for _, g := range list {
		changes = append(changes, store.ServerItemChange{Op: store.ServerDelete, ServerID: g.it.ServerID})
		e.dropQueuedMail(c.ID, g.it.ServerID)
	}
	return e.st.ApplySync(ctx, c.ID, c.SyncKey, "0", nil, changes)
}

// mailScan is what reconcileMail found in the mirrored folders.
type mailScan struct {
	gone   []*goneMail // mapped messages whose file is missing
	byKey  map[maildir.Key]*goneMail
	byMID  map[string]*goneMail // by Message-ID
	strays []strayMail          // files without a mapping
	mapped map[int64]int        // mapped messages per collection
}

// goneMail is a mapped message whose file left its folder.
type goneMail struct {
	c    store.Collection
	it   store.Item
	used bool // paired with a stray: moved, not deleted
}

// strayMail is a message file of a mirrored folder without a mapping.
type strayMail struct {
	f maildir.Folder
	c store.Collection
	m maildir.Message
}

type pairedMail struct {
	from *goneMail
	to   strayMail
}

// scanMailFolder compares one folder with its mappings.
func (e *Engine) scanMailFolder(ctx context.Context, f maildir.Folder, c store.Collection, scan *mailScan) error {
	list, err := e.cfg.Maildir.List(ctx, f)
	if errors.Is(err, maildir.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	items, err := e.st.Items(ctx, c.ID)
	if err != nil {
		return err
	}
	if scan.byKey == nil {
		scan.byKey, scan.byMID, scan.mapped = map[maildir.Key]*goneMail{}, map[string]*goneMail{}, map[int64]int{}
	}
	scan.mapped[c.ID] = len(items)
	here := make(map[maildir.Key]maildir.Message, len(list))
	for _, m := range list {
		here[m.Key] = m
	}
	mapped := make(map[maildir.Key]bool, len(items))
	for _, it := range items {
		k := maildir.Key(it.LocalID)
		mapped[k] = true
		m, ok := here[k]
		switch {
		case !ok:
			g := &goneMail{c: c, it: it}
			scan.gone = append(scan.gone, g)
			scan.byKey[k] = g
			if it.MessageID != "" {
				scan.byMID[it.MessageID] = g
			}
		case m.Flags&maildir.Trashed != 0:
			e.queueMail(c.ID, mailChange{serverID: it.ServerID, flags: m.Flags, delete: true})
		default:
			if base, _ := maildir.ParseFlags(string(it.Base)); base&syncedFlags != m.Flags&syncedFlags {
				e.queueMail(c.ID, mailChange{serverID: it.ServerID, flags: m.Flags})
			}
		}
	}
	for _, m := range list {
		if !mapped[m.Key] {
			scan.strays = append(scan.strays, strayMail{f: f, c: c, m: m})
		}
	}
	return nil
}

// reconcileMoves carries messages moved while the daemon was stopped to
// the server in one MoveItems (MS-ASCMD 2.2.1.12) and moves their
// mappings; a message that only got a new file in its own folder keeps
// its item under the new key. A move the server refuses leaves both sides
// as they are (the next reconcile tries again; a message the server
// deleted meanwhile comes back as a Delete).
func (e *Engine) reconcileMoves(ctx context.Context, pairs []pairedMail) error {
	var moves []eas.Move
	var sent []pairedMail
	for _, p := range pairs {
		if p.from.c.ID == p.to.c.ID {
			if err := e.remapMail(ctx, p.to.c, p.from.it, p.from.it.ServerID, p.to.m); err != nil {
				return err
			}
			continue
		}
		moves = append(moves, eas.Move{SrcMsgID: p.from.it.ServerID, SrcFldID: p.from.c.ServerID, DstFldID: p.to.c.ServerID})
		sent = append(sent, p)
	}
	if len(moves) == 0 {
		return nil
	}
	res, err := e.c.MoveItems(ctx, moves)
	if err != nil {
		return fmt.Errorf("bridge: moving messages moved while stopped: %w", err)
	}
	for _, p := range sent {
		r := moveResult(res, p.from.it.ServerID)
		if r == nil || !r.OK() || r.DstMsgID == "" {
			e.log.Warn("the server refused a move made while stopped", "from", p.from.c.Name, "to", p.to.c.Name)
			continue
		}
		e.log.Info("message moved while stopped", "from", p.from.c.Name, "to", p.to.c.Name)
		e.dropQueuedMail(p.from.c.ID, p.from.it.ServerID)
		if err := e.st.ApplySync(ctx, p.from.c.ID, p.from.c.SyncKey, p.from.c.SyncKey, nil,
			[]store.ServerItemChange{{Op: store.ServerDelete, ServerID: p.from.it.ServerID}}); err != nil {
			return err
		}
		if err := e.remapMail(ctx, p.to.c, p.from.it, r.DstMsgID, p.to.m); err != nil {
			return err
		}
	}
	return nil
}

// remapMail maps message m of collection c to serverID in place of the
// mapping old had (dropped in the same transaction when it belongs to c).
// Flags that differ from old's base are queued for the server.
func (e *Engine) remapMail(ctx context.Context, c store.Collection, old store.Item, serverID string, m maildir.Message) error {
	var changes []store.ServerItemChange
	if old.ServerID == serverID {
		changes = append(changes, store.ServerItemChange{Op: store.ServerDelete, ServerID: old.ServerID})
	}
	base, _ := maildir.ParseFlags(string(old.Base))
	changes = append(changes, store.ServerItemChange{Op: store.ServerAdd, ServerID: serverID, LocalID: string(m.Key),
		Base: []byte((base & syncedFlags).String()), MessageID: old.MessageID})
	if err := e.st.ApplySync(ctx, c.ID, c.SyncKey, c.SyncKey, nil, changes); err != nil {
		return err
	}
	if base&syncedFlags != m.Flags&syncedFlags {
		e.queueMail(c.ID, mailChange{serverID: serverID, flags: m.Flags})
	}
	return nil
}

func moveResult(list []eas.MoveResult, src string) *eas.MoveResult {
	for i := range list {
		if list[i].SrcMsgID == src {
			return &list[i]
		}
	}
	return nil
}

// dropQueuedMail forgets the queued Maildir changes of one message (it
// moved away; its old ServerId is gone).
func (e *Engine) dropQueuedMail(collID int64, serverID string) {
	q := e.mailOut[collID][:0:0]
	for _, mc := range e.mailOut[collID] {
		if mc.serverID != serverID {
			q = append(q, mc)
		}
	}
	e.mailOut[collID] = q
}

// serverMailGone handles a server Delete or SoftDelete of a mapped
// message: the mapping goes with the new SyncKey, the file only after
// that commit (removeGoneMail), so a crash in between can leave an
// unmapped copy but never makes the next reconcile take the missing file
// for a delete by the user.
//
// A SoftDelete means the message left the mail_age window; it still
// exists on the server (MS-ASCMD 2.2.3.166). The mirror drops it like a
// Delete: the Maildir mirrors the window the user chose, and a kept copy
// would be dead (its flags, moves and deletion would no longer reach the
// server) while looking like a live one. Widening mail_age brings it back.
func (e *Engine) serverMailGone(st *collSync, item store.Item) {
	st.changes = append(st.changes, store.ServerItemChange{Op: store.ServerDelete, ServerID: item.ServerID})
	st.removals = append(st.removals, item.LocalID)
}

// removeGoneMail removes the files of messages whose mappings the last
// commit dropped. A failure only leaves an unmapped copy behind.
func (e *Engine) removeGoneMail(ctx context.Context, st *collSync) {
	if len(st.removals) == 0 || e.cfg.Maildir == nil {
		return
	}
	folder, err := e.mailFolder(ctx, st.c)
	if err != nil {
		return
	}
	for _, k := range st.removals {
		if err := e.cfg.Maildir.Remove(ctx, folder, maildir.Key(k)); err != nil && !errors.Is(err, maildir.ErrNotFound) {
			e.log.Warn("removing a message deleted on the server failed", "collection", st.c.Name, "err", err)
		}
	}
	st.removals = nil
}

// maxHead bounds the bytes of a message searched for its Message-ID.
const maxHead = 64 << 10

// midSniffer passes a message through and keeps its head, for the
// Message-ID recorded with the mapping.
type midSniffer struct {
	r    io.Reader
	head []byte
	done bool
}

func (s *midSniffer) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if !s.done && n > 0 {
		s.head = append(s.head, p[:min(n, maxHead-len(s.head))]...)
		s.done = len(s.head) >= maxHead || bytes.Contains(s.head, []byte("\n\r\n")) || bytes.Contains(s.head, []byte("\n\n"))
	}
	return n, err
}

// messageID is the normalised Message-ID of the head read so far.
func (s *midSniffer) messageID() string { return headerMessageID(s.head) }

// messageIDOf reads the Message-ID of a Maildir message ("" if none).
func (e *Engine) messageIDOf(ctx context.Context, f maildir.Folder, k maildir.Key) string {
	r, err := e.cfg.Maildir.OpenMessage(ctx, f, k)
	if err != nil {
		return ""
	}
	defer r.Close()
	s := &midSniffer{r: io.LimitReader(r, maxHead)}
	buf := make([]byte, 4096)
	for !s.done {
		if _, err := s.Read(buf); err != nil {
			break
		}
	}
	return s.messageID()
}

// headerMessageID extracts the Message-ID header (RFC 5322 3.6.4) of a
// message head, without spaces; "" when there is none.
func headerMessageID(head []byte) string {
	tp := textproto.NewReader(bufio.NewReader(io.MultiReader(bytes.NewReader(head), strings.NewReader("\r\n\r\n"))))
	h, _ := tp.ReadMIMEHeader()
	return strings.Join(strings.Fields(h.Get("Message-Id")), "")
}
