package bridge

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/easbridge/easbridge/bridge/convert"
	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/maildir"
)

// collSync is one collection's part of one Sync request.
type collSync struct {
	c        store.Collection
	sent     []store.OutboxEntry           // entries the request carries
	results  []store.OutboxResult          // entries settled before sending (quarantined)
	changes  []store.ServerItemChange      // the server's changes, converted
	skipped  []store.Conflict              // server items that could not be taken
	mailSent []mailChange                  // Maildir changes the request carries
	flags    map[maildir.Key]maildir.Flags // the mail folder's flags, listed once per answer (messageFlags)
	removals []string                      // Maildir keys to remove once the answer is committed
	strays   map[string][]maildir.Key      // unmapped files by Message-ID, listed once per answer (adoptMovedMail)
}

// syncable lists the collections the engine syncs with Sync: every DAV
// collection the server knows.
func (e *Engine) syncable(ctx context.Context) ([]store.Collection, error) {
	all, err := e.st.Collections(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.Collection
	for _, c := range all {
		if c.ServerID == "" || (c.Kind == store.KindMail && e.cfg.Maildir == nil) {
			continue
		}
		if e.only != nil && !e.only[c.ServerID] && c.SyncKey != "0" && len(e.mailOut[c.ID]) == 0 {
			if n, err := e.st.PendingCount(ctx, c.ID); err != nil {
				return nil, err
			} else if n == 0 {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// syncAll syncs every collection until none has more to bring or to send.
func (e *Engine) syncAll(ctx context.Context) error { return e.syncAllHold(ctx, true) }

// syncAllHold is syncAll; hold lets a folder with an unanswered add sync
// without sending while the server may still be applying that add, and
// be resynced at the end of the cycle (see resyncLostAdds).
func (e *Engine) syncAllHold(ctx context.Context, hold bool) error {
	resets := map[int64]int{}
	initial := map[int64]bool{} // collections starting from key 0: estimate wanted
	for round := 0; round < maxRounds; round++ {
		colls, err := e.syncable(ctx)
		if err == nil && round == 0 {
			colls, err = e.resyncLostAdds(ctx, colls, hold)
		}
		if err != nil {
			return err
		}
		for _, c := range colls {
			if c.SyncKey == "0" {
				initial[c.ID] = true
			}
		}
		e.estimate(ctx, colls, initial)
		more := false
		for i := 0; i < len(colls); i += collectionsPerSync {
			m, err := e.syncBatch(ctx, colls[i:min(i+collectionsPerSync, len(colls))], resets, round > 0)
			if err != nil {
				return err
			}
			more = more || m
		}
		if round == 0 && !more {
			// The first round only pulled; send what waits locally.
			for _, c := range colls {
				if len(e.mailOut[c.ID]) > 0 {
					more = true
				} else if n, err := e.st.PendingCount(ctx, c.ID); err != nil {
					return err
				} else if n > 0 {
					more = true
				}
			}
		}
		if !more && len(e.held) > 0 {
			clear(e.held)
			return e.syncAllHold(ctx, false)
		}
		if !more {
			return nil
		}
	}
	return errors.New("bridge: the server keeps reporting more changes")
}

// metaEstimate + collection name holds the item count GetItemEstimate
// gave at the start of the collection's initial sync.
const metaEstimate = "engine-estimate:"

// estimate asks GetItemEstimate (MS-ASCMD 2.2.1.9) how many items the
// initial sync of each primed collection in initial will bring, and logs
// and records it as progress information. It needs a key the server gave,
// so it runs after the priming Sync with key 0; failures only lose the
// estimate.
func (e *Engine) estimate(ctx context.Context, colls []store.Collection, initial map[int64]bool) {
	var reqs []eas.EstimateRequest
	byID := map[string]store.Collection{}
	for _, c := range colls {
		if !initial[c.ID] || c.SyncKey == "0" {
			continue
		}
		delete(initial, c.ID)
		f := eas.FilterType(0)
		switch c.Kind {
		case store.KindEvents:
			f = e.cfg.CalendarFilter
		case store.KindMail:
			f = e.cfg.MailFilter
		}
		reqs = append(reqs, eas.EstimateRequest{CollectionID: c.ServerID, SyncKey: c.SyncKey, Class: classOf(c.Kind), FilterType: f})
		byID[c.ServerID] = c
	}
	if len(reqs) == 0 {
		return
	}
	est, err := e.c.GetItemEstimate(ctx, reqs)
	if err != nil {
		e.log.Info("no item estimate for the initial sync", "err", err)
		return
	}
	for _, x := range est {
		c, ok := byID[x.CollectionID]
		if x.Status != 1 || !ok {
			continue
		}
		e.log.Info("initial sync", "collection", c.Name, "estimated_items", x.Count)
		e.setMeta(ctx, metaEstimate+c.Name, strconv.Itoa(x.Count))
		e.startProgress(ctx, c, x.Count)
	}
}

// syncOptions are the Options of a collection's Sync.
func (e *Engine) syncOptions(k store.Kind) *eas.SyncOptions {
	o := &eas.SyncOptions{BodyPreferences: []eas.BodyPreference{{Type: int(eas.BodyPlain)}}}
	if k == store.KindEvents {
		o.FilterType = e.cfg.CalendarFilter
	}
	return o
}

// syncBatch sends one Sync over colls and commits each collection's
// answer. more reports that another round is due.
//
// Local changes go only with send: the first round of a cycle pulls the
// server's changes alone, so that a change made on both sides is seen as
// a conflict and merged before ours leaves (a server that takes a client
// Change over its own newer version without status 7, as SOGo does,
// would otherwise lose the server's edit silently).
func (e *Engine) syncBatch(ctx context.Context, colls []store.Collection, resets map[int64]int, send bool) (more bool, err error) {
	req := &eas.SyncRequest{WindowSize: e.cfg.WindowSize}
	states := make(map[string]*collSync, len(colls))
	for _, c := range colls {
		st := &collSync{c: c}
		sc := eas.SyncCollection{CollectionID: c.ServerID, SyncKey: c.SyncKey, Class: classOf(c.Kind)}
		if c.Kind == store.KindMail && c.SyncKey == "0" {
			if err := e.ensureMailFolder(ctx, c); err != nil {
				return false, err
			}
		}
		if c.SyncKey != "0" {
			sc.GetChanges = true
			sc.WindowSize = e.cfg.WindowSize
			switch {
			case c.Kind == store.KindMail:
				sc.Options = e.mailOptions()
				if send {
					e.addMailOutbox(st, &sc)
				}
			default:
				sc.Options = e.syncOptions(c.Kind)
				if !send {
					break
				}
				if err := e.addOutbox(ctx, st, &sc); err != nil {
					return false, err
				}
			}
		}
		states[c.ServerID] = st
		req.Collections = append(req.Collections, sc)
	}
	for _, sc := range req.Collections {
		if len(sc.Adds) > 0 {
			e.addSent = e.hooks.now()
		}
	}
	res, err := e.c.Sync(ctx, req, func(ch eas.ServerChange) error {
		st := states[ch.CollectionID]
		if st == nil {
			return nil
		}
		if seen := e.resyncSeen[ch.CollectionID]; seen != nil {
			seen[ch.ServerID] = true
		}
		if st.c.Kind == store.KindMail {
			return e.fromServerMail(ctx, st, ch)
		}
		return e.fromServer(ctx, st, ch)
	})
	if err != nil && res == nil {
		return false, fmt.Errorf("bridge: sync: %w", err)
	}
	// With a result, err only sums up the failed collections, each of
	// which carries its own Err.
	for _, c := range colls {
		cr := res.Collection(c.ServerID)
		m, err := e.finish(ctx, states[c.ServerID], cr, resets)
		if err != nil {
			return false, err
		}
		if cr == nil || cr.Err == nil {
			e.advanceProgress(ctx, c, cr != nil && cr.MoreAvailable)
		}
		more = more || m
	}
	return more, nil
}

// addOutbox takes the collection's waiting local changes and puts them in
// the request. Their ClientIds are persisted by TakeOutbox before the
// request leaves, so a retry after a lost answer cannot create twice.
func (e *Engine) addOutbox(ctx context.Context, st *collSync, sc *eas.SyncCollection) error {
	entries, err := e.st.TakeOutbox(ctx, st.c.ID, outboxPerSync)
	if err != nil {
		return err
	}
	for _, en := range entries {
		if e.held[st.c.ID] && en.Op != store.OpDelete && (en.Op == store.OpAdd || en.ServerID == "") {
			continue // an add waits for the resync (resyncLostAdds)
		}
		if en.Op == store.OpDelete {
			if en.ServerID == "" {
				st.results = append(st.results, store.OutboxResult{ID: en.ID})
				continue
			}
			sc.Deletes = append(sc.Deletes, en.ServerID)
			st.sent = append(st.sent, en)
			continue
		}
		if en.Data == nil {
			st.results = append(st.results, store.OutboxResult{ID: en.ID, Failure: "the object no longer exists"})
			continue
		}
		it, err := e.outgoing(st.c.Kind, en)
		if err != nil {
			e.log.Warn("local change quarantined", "collection", st.c.Name, "object", en.LocalID, "err", err)
			st.results = append(st.results, store.OutboxResult{ID: en.ID, Failure: err.Error()})
			continue
		}
		if en.Op == store.OpAdd || en.ServerID == "" {
			sc.Adds = append(sc.Adds, eas.ClientAdd{ClientID: en.ClientID, Item: it})
		} else {
			sc.Changes = append(sc.Changes, eas.ClientChange{ServerID: en.ServerID, Item: it})
		}
		st.sent = append(st.sent, en)
	}
	return nil
}

// outgoing converts an outbox entry's object into its server item.
func (e *Engine) outgoing(k store.Kind, en store.OutboxEntry) (eas.Item, error) {
	l, err := parseLocal(k, en.Data)
	if err != nil {
		return nil, err
	}
	it, err := e.toServer(k, l, en.ServerID)
	if err != nil {
		return nil, fmt.Errorf("bridge: converting %s for the server: %w", en.LocalID, err)
	}
	return it, nil
}

// finish commits one collection's answer: the answers to what was sent,
// the server's changes and the new SyncKey, in one transaction.
func (e *Engine) finish(ctx context.Context, st *collSync, cr *eas.CollectionResult, resets map[int64]int) (bool, error) {
	c := st.c
	if cr == nil {
		cr = &eas.CollectionResult{CollectionID: c.ServerID, SyncKey: c.SyncKey, NoChanges: true}
	}
	if cr.Err != nil {
		return e.collectionFailed(ctx, c, cr, resets)
	}
	results := append(st.results, e.answers(st, cr)...)
	if len(st.mailSent) > 0 {
		st.changes = append(e.mailAnswers(st), st.changes...)
	}
	newKey := cr.SyncKey
	if newKey == "" {
		newKey = c.SyncKey
	}
	for _, q := range st.skipped {
		if err := e.st.RecordConflict(ctx, c.ID, q); err != nil {
			return false, err
		}
	}
	if newKey == c.SyncKey && len(results) == 0 && len(st.changes) == 0 {
		e.markSynced(ctx, c.Name)
		return false, nil // an empty answer: no changes
	}
	err := e.st.ApplySync(ctx, c.ID, c.SyncKey, newKey, results, st.changes)
	if err != nil && ctx.Err() == nil && len(st.changes) > 0 && !errors.Is(err, store.ErrPrecondition) {
		err = e.applyOneByOne(ctx, st, newKey, results)
	}
	if err != nil {
		return false, err
	}
	e.removeGoneMail(ctx, st)
	e.dropSentMail(st)
	e.markSynced(ctx, c.Name)
	e.setMeta(ctx, metaCollError+c.Name, "")
	advanced := newKey != c.SyncKey
	return cr.MoreAvailable || (advanced && (c.SyncKey == "0" || len(st.sent) > 0 || len(st.mailSent) > 0 || len(results) > 0)), nil
}

// metaCollError + collection name holds the collection's last error.
const metaCollError = "engine-error:"

// collectionFailed handles a collection whose Sync status was a failure.
// Nothing of its answer is committed.
func (e *Engine) collectionFailed(ctx context.Context, c store.Collection, cr *eas.CollectionResult, resets map[int64]int) (bool, error) {
	switch {
	case errors.Is(cr.Err, eas.ErrHierarchyChanged):
		return false, cr.Err
	case errors.Is(cr.Err, eas.ErrInvalidSyncKey):
		// MS-ASCMD 2.2.3.177.16 status 3: start over from key 0. The
		// server then adds every item again; the store maps them to the
		// items it holds by ServerId (or UID), so nothing is duplicated.
		resets[c.ID]++
		if resets[c.ID] > 3 {
			return false, fmt.Errorf("bridge: %s: the server keeps rejecting its sync key", c.Name)
		}
		e.log.Warn("sync key rejected, resyncing", "collection", c.Name)
		return true, e.st.SetSyncKey(ctx, c.ID, c.SyncKey, "0")
	}
	e.log.Warn("collection sync failed", "collection", c.Name, "err", cr.Err)
	e.setMeta(ctx, metaCollError+c.Name, cr.Err.Error())
	return false, nil
}

// answers maps the server's answer to each sent entry.
func (e *Engine) answers(st *collSync, cr *eas.CollectionResult) []store.OutboxResult {
	var out []store.OutboxResult
	for _, en := range st.sent {
		r := store.OutboxResult{ID: en.ID}
		switch {
		case en.Op == store.OpDelete:
			if s := itemStatus(cr.Deletes, en.ServerID); s != 0 && s != 1 && s != 8 {
				r.Failure = fmt.Sprintf("the server refused the delete (status %d)", s)
			}
		case en.Op == store.OpAdd || en.ServerID == "":
			a := addResult(cr.Adds, en.ClientID)
			if a == nil {
				continue // not answered: sent again with the same ClientId
			}
			if a.Status != 1 || a.ServerID == "" {
				r.Failure = fmt.Sprintf("the server refused the item (status %d)", a.Status)
			}
			r.ServerID = a.ServerID
		default:
			switch s := itemStatus(cr.Changes, en.ServerID); s {
			case 0, 1:
			case 7:
				// Conflict: the server kept its version (MS-ASCMD
				// 2.2.3.34) and reports it; the entry stays, so what the
				// three-way merge keeps of ours is sent again.
				continue
			default:
				r.Failure = fmt.Sprintf("the server refused the change (status %d)", s)
			}
		}
		if r.Failure != "" {
			e.log.Warn("local change quarantined", "collection", st.c.Name, "object", en.LocalID, "reason", r.Failure)
		}
		out = append(out, r)
	}
	return out
}

func itemStatus(list []eas.ItemStatus, serverID string) int {
	for _, s := range list {
		if s.ServerID == serverID {
			return s.Status
		}
	}
	return 0
}

func addResult(list []eas.AddResult, clientID string) *eas.AddResult {
	for i := range list {
		if list[i].ClientID == clientID {
			return &list[i]
		}
	}
	return nil
}

// applyOneByOne isolates the server changes the store refuses (a poisoned
// item): each change is applied alone under the old key, the refused ones
// are quarantined, then the key moves with the outbox answers. Applying a
// change twice is harmless, so a crash in between loses nothing.
func (e *Engine) applyOneByOne(ctx context.Context, st *collSync, newKey string, results []store.OutboxResult) error {
	c := st.c
	for _, ch := range st.changes {
		err := e.st.ApplySync(ctx, c.ID, c.SyncKey, c.SyncKey, nil, []store.ServerItemChange{ch})
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return err
		}
		e.log.Warn("server item quarantined", "collection", c.Name, "server_id", ch.ServerID, "err", err)
		q := quarantined(c, ch.ServerID, ch.Data, err)
		if err := e.st.RecordConflict(ctx, c.ID, q); err != nil {
			return err
		}
	}
	return e.st.ApplySync(ctx, c.ID, c.SyncKey, newKey, results, nil)
}

// quarantinePrefix starts the Reason of a conflicts row that records a
// server item the bridge could not take.
const quarantinePrefix = "quarantined: "

func quarantined(c store.Collection, serverID string, data []byte, err error) store.Conflict {
	return store.Conflict{ServerID: serverID, Winner: "client", LoserData: data,
		Reason: quarantinePrefix + err.Error(), SyncKey: c.SyncKey}
}

// fromServer converts one server change and decides it against local
// changes; the result waits in st until the response is complete.
func (e *Engine) fromServer(ctx context.Context, st *collSync, ch eas.ServerChange) error {
	c := st.c
	switch ch.Kind {
	case eas.ChangeDelete, eas.ChangeSoftDelete:
		return e.serverDelete(ctx, st, ch.ServerID, ch.Kind == eas.ChangeSoftDelete)
	case eas.ChangeAdd, eas.ChangeModify:
	default:
		return nil
	}
	if ch.Item == nil {
		st.skipped = append(st.skipped, quarantined(c, ch.ServerID, nil, errors.New("the item could not be decoded")))
		return nil
	}
	if ct, ok := ch.Item.(*eas.Contact); ok {
		convert.FillFileAs(ct)
	}
	fresh, err := e.toLocal(c.Kind, ch.Item, ch.ServerID)
	if err != nil {
		e.log.Warn("server item quarantined", "collection", c.Name, "server_id", ch.ServerID, "err", err)
		st.skipped = append(st.skipped, quarantined(c, ch.ServerID, nil, err))
		return nil
	}
	out := store.ServerItemChange{Op: store.ServerAdd, ServerID: ch.ServerID, UID: fresh.uid, Data: fresh.data, Base: fresh.data,
		LocalID: objectName(c.Kind, fresh.uid, ch.ServerID)}
	item, err := e.st.ItemByServerID(ctx, c.ID, ch.ServerID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := e.claimSentAdd(ctx, st, ch, fresh, &out); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		if e.sameAsBase(c.Kind, item, ch.Item) {
			return nil // nothing new: a waiting local change stays
		}
		out.Op, out.LocalID = store.ServerChange, item.LocalID
		if err := e.mergeLocal(ctx, st, ch.Item, item, fresh, &out); err != nil {
			return err
		}
	}
	st.changes = append(st.changes, out)
	return nil
}

// serverDelete handles a Delete (or SoftDelete) of the server: the local
// object goes, unless it was edited locally (an edit beats a delete).
//
// A SoftDelete (MS-ASCMD 2.2.3.166: the item left the calendar_age
// window, it still exists) removes the local copy too: the collection
// mirrors the window the user chose, and a kept copy would have no
// ServerId, so editing it would add a duplicate to the server. A local
// delete waiting for it is still sent (the user wanted it gone). A local
// edit is not re-added as for a Delete (the server still holds the item:
// that would duplicate it), and a server outside the window treats a
// Change as a conflict it never resolves (the item is not reported
// again); the edited version goes to the conflicts table instead, where
// `status` shows it.
func (e *Engine) serverDelete(ctx context.Context, st *collSync, serverID string, soft bool) error {
	out := store.ServerItemChange{Op: store.ServerDelete, ServerID: serverID}
	item, err := e.st.ItemByServerID(ctx, st.c.ID, serverID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	pend, err := e.st.PendingFor(ctx, st.c.ID, item.LocalID)
	if err != nil {
		return err
	}
	switch {
	case soft && hasEdit(pend):
		objs, err := e.st.GetObjects(ctx, st.c.Name, []string{item.LocalID})
		if err != nil {
			return err
		}
		var data []byte
		if len(objs) > 0 {
			data = objs[0].Data
		}
		out.Conflict = &store.Conflict{ServerID: serverID, LocalID: item.LocalID, Winner: "server", LoserData: data,
			Reason: "left the sync window on the server while edited here: the edit was not sent", SyncKey: st.c.SyncKey}
	case soft && len(pend) > 0:
		return nil // a local delete waits: it goes to the item, with its mapping
	case hasEdit(pend):
		out.KeepLocal = true
		out.Conflict = &store.Conflict{ServerID: serverID, LocalID: item.LocalID, Winner: "client", LoserData: item.Base,
			Reason: "deleted on the server, edited locally: kept and added again", SyncKey: st.c.SyncKey}
	}
	st.changes = append(st.changes, out)
	return nil
}

// hasEdit reports whether pending holds a local add or change.
func hasEdit(pending []store.OutboxEntry) bool {
	for _, p := range pending {
		if p.Op != store.OpDelete {
			return true
		}
	}
	return false
}

// mergeLocal folds a server change into the stored object: what EAS cannot
// carry survives, and a waiting local change is merged three-way against
// the base (DESIGN.md, conflicts keyed on sync keys).
func (e *Engine) mergeLocal(ctx context.Context, st *collSync, server eas.Item, item store.Item, fresh *local, out *store.ServerItemChange) error {
	c := st.c
	objs, err := e.st.GetObjects(ctx, c.Name, []string{item.LocalID})
	if err != nil || len(objs) == 0 {
		return err
	}
	stored, err := parseLocal(c.Kind, objs[0].Data)
	if err != nil {
		return nil // an unreadable stored object is replaced by the server's
	}
	pend, err := e.st.PendingFor(ctx, c.ID, item.LocalID)
	if err != nil {
		return err
	}
	if !hasEdit(pend) {
		m, err := mergeStored(stored, fresh)
		if err != nil {
			return err
		}
		out.Data, out.UID = m.data, m.uid
		return nil
	}
	res, err := e.merge3(c.Kind, item, stored, server)
	if err != nil {
		// No usable base: the policy decides the whole item.
		res = &convert.MergeResult{Item: server, Conflicts: []string{"*"}}
		if e.cfg.Policy == convert.ClientWins {
			res.Item, err = e.toServer(c.Kind, stored, item.ServerID)
			if err != nil {
				return nil
			}
			res.FromLocal = []string{"*"}
		}
	}
	mergedFresh, err := e.toLocal(c.Kind, res.Item, item.ServerID)
	if err != nil {
		return nil
	}
	m, err := mergeStored(stored, mergedFresh)
	if err != nil {
		return err
	}
	out.Data, out.UID = m.data, m.uid
	out.KeepPending = len(res.FromLocal) > 0
	if len(res.Conflicts) > 0 {
		winner, loser := "server", stored.data
		if e.cfg.Policy == convert.ClientWins {
			winner, loser = "client", fresh.data
		}
		out.Conflict = &store.Conflict{ServerID: item.ServerID, LocalID: item.LocalID, Winner: winner, LoserData: loser,
			Reason: "changed on both sides: " + strings.Join(res.Conflicts, ", "), SyncKey: c.SyncKey}
	}
	return nil
}

// merge3 merges the stored (local) version and the server's against the
// base both last agreed on.
func (e *Engine) merge3(k store.Kind, item store.Item, stored *local, server eas.Item) (*convert.MergeResult, error) {
	if len(item.Base) == 0 {
		return nil, errors.New("bridge: no base version")
	}
	baseL, err := parseLocal(k, item.Base)
	if err != nil {
		return nil, err
	}
	base, err := e.toServer(k, baseL, item.ServerID)
	if err != nil {
		return nil, err
	}
	loc, err := e.toServer(k, stored, item.ServerID)
	if err != nil {
		return nil, err
	}
	return convert.Merge3(base, loc, server, e.cfg.Policy)
}
