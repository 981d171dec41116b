package bridge

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/easbridge/easbridge/bridge/convert"
	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/eas"
)

// claimSentAdd handles a server Add of an item the store does not know
// that is really one of our own adds whose answer was lost (a dropped
// connection after the server applied the Sync, or a kill -9 before the
// answer was committed). Exchange replays its answer to a repeated
// SyncKey (MS-ASCMD 2.2.3.166), but SOGo treats the old key as valid and
// reports the item it created as a server Add, and takes the repeated
// ClientId as a new item. Events carry their UID and the store matches
// them; contacts and tasks carry none, so the Add is matched by content
// against the adds sent and not answered. On a match out takes the local
// object, so the store maps the ServerId to it and drops the entry: it is
// not sent again and no copy appears on either side.
func (e *Engine) claimSentAdd(ctx context.Context, st *collSync, ch eas.ServerChange, fresh *local, out *store.ServerItemChange) error {
	// SOGo may report it as a Change: after a lost answer it re-sends
	// the items changed since the client's key, and an item created in
	// the key's own second counts as changed, not added.
	if (ch.Kind != eas.ChangeAdd && ch.Kind != eas.ChangeModify) || st.c.Kind == store.KindMail {
		return nil
	}
	adds, err := e.st.SentAdds(ctx, st.c.ID)
	if err != nil || len(adds) == 0 {
		return err
	}
	for _, en := range adds {
		if claimed(st, en.LocalID) {
			continue
		}
		l, err := parseLocal(st.c.Kind, en.Data)
		if err != nil {
			continue
		}
		sent, err := e.toServer(st.c.Kind, l, ch.ServerID)
		if err != nil || !sameAsSent(sent, ch.Item) {
			continue
		}
		m, err := mergeStored(l, fresh)
		if err != nil {
			return err
		}
		e.log.Info("server add matched to a local add whose answer was lost", "collection", st.c.Name, "object", en.LocalID)
		out.LocalID, out.UID, out.Data = en.LocalID, m.uid, m.data
		return nil
	}
	return nil
}

// claimed reports whether a change of this response already took the
// local object.
func claimed(st *collSync, localID string) bool {
	for _, ch := range st.changes {
		if ch.LocalID == localID {
			return true
		}
	}
	return false
}

// sameAsSent reports whether the server's item holds what our add sent:
// every field the sent item sets has the same value on the server (which
// may fill in more, such as a FileAs of its own).
func sameAsSent(sent, server eas.Item) bool {
	diff, err := convert.Diff(sent, server)
	if err != nil {
		return false
	}
	v := reflect.Indirect(reflect.ValueOf(sent))
	for _, name := range diff {
		if f := v.FieldByName(name); !f.IsValid() || !f.IsZero() {
			return false
		}
	}
	return true
}

// resyncLostAdds starts a collection over from SyncKey 0 when one of its
// adds was sent and never answered, before that add is sent again. The
// server may have created the item and will not report it on the old key:
// SOGo's keys are whole seconds of the last change and it reports changes
// after the key, so an item created in the same second as the key is
// never reported, and the re-sent ClientId makes a second item. The full
// resync reports every item; claimSentAdd matches ours by content, and
// only an add the server never saw is sent again. Mail (no adds) and
// calendars (the store matches events by UID) are left alone.
//
// The server may still be applying the lost add (see waitLostAdds). With
// hold, a folder within that grace period is synced this cycle without
// sending its adds (held: changes and deletes of known items go), and
// syncAllHold resyncs it at the end of the cycle; the other folders do not
// wait for it.
func (e *Engine) resyncLostAdds(ctx context.Context, colls []store.Collection, hold bool) ([]store.Collection, error) {
	for i, c := range colls {
		if c.SyncKey == "0" || c.Kind == store.KindMail || c.Kind == store.KindEvents {
			continue
		}
		adds, err := e.st.SentAdds(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		if len(adds) == 0 {
			continue
		}
		if hold && e.lostAddWait() > 0 {
			if e.held == nil {
				e.held = map[int64]bool{}
			}
			e.held[c.ID] = true
			continue
		}
		if err := e.waitLostAdds(ctx); err != nil {
			return nil, err
		}
		e.log.Warn("an add was never answered, resyncing the folder before sending it again", "collection", c.Name)
		if c, err = e.resyncFolder(ctx, c); err != nil {
			return nil, err
		}
		colls[i] = c
	}
	return colls, nil
}

// resyncFolder pulls a whole folder from SyncKey 0 before anything is
// sent: the add must meet the server's copy first. A resync reports only
// the items the server has, so an item mapped before and not reported is
// one the server deleted meanwhile (its Delete was never applied here, or
// was in an answer that was lost): it is removed locally, unless a local
// change of it waits (an edit against a delete keeps the edit).
func (e *Engine) resyncFolder(ctx context.Context, c store.Collection) (store.Collection, error) {
	before, err := e.st.Items(ctx, c.ID)
	if err != nil {
		return c, err
	}
	if err := e.st.SetSyncKey(ctx, c.ID, c.SyncKey, "0"); err != nil {
		return c, err
	}
	c.SyncKey = "0"
	seen := map[string]bool{}
	e.resyncSeen = map[string]map[string]bool{c.ServerID: seen}
	defer func() { e.resyncSeen = nil }()
	for round := 0; ; round++ {
		more, err := e.syncBatch(ctx, []store.Collection{c}, map[int64]int{}, false)
		if err != nil {
			return c, err
		}
		if c, err = e.st.CollectionByName(ctx, c.Name); err != nil {
			return c, err
		}
		if more && round >= maxRounds {
			return c, nil // not all reported: nothing can be called gone
		}
		if !more {
			break
		}
	}
	var gone []store.ServerItemChange
	for _, it := range before {
		if seen[it.ServerID] {
			continue
		}
		if p, err := e.st.PendingFor(ctx, c.ID, it.LocalID); err != nil {
			return c, err
		} else if len(p) > 0 {
			continue
		}
		gone = append(gone, store.ServerItemChange{Op: store.ServerDelete, ServerID: it.ServerID})
	}
	if len(gone) == 0 {
		return c, nil
	}
	e.log.Info("items the server deleted found by a resync", "collection", c.Name, "count", len(gone))
	return c, e.st.ApplySync(ctx, c.ID, c.SyncKey, c.SyncKey, nil, gone)
}

// lostAddGrace is how long after a restart, or after a Sync with adds
// left, a server may still be applying that request: the process that
// sent it was killed, or its connection dropped, and the server goes on.
const lostAddGrace = 12 * time.Second

// waitLostAdds waits, before a folder with unanswered adds is resynced,
// until lostAddGrace has passed since the engine started and since the
// last Sync carrying adds was sent. A server still applying the lost add
// would otherwise report nothing yet, the content match would find no
// copy, and the add sent again would make a second item.
func (e *Engine) waitLostAdds(ctx context.Context) error {
	d := e.lostAddWait()
	if d <= 0 {
		return nil
	}
	e.log.Info("waiting for the server to finish a request that may be under way", "wait", d)
	if !e.hooks.sleep(ctx, d, nil) {
		return fmt.Errorf("bridge: waiting before a resync: %w", ctx.Err())
	}
	return nil
}

// lostAddWait is what is left of the grace period (0 when it is over).
func (e *Engine) lostAddWait() time.Duration {
	since := e.started
	if e.addSent.After(since) {
		since = e.addSent
	}
	return max(0, e.hooks.lostAddGrace-e.hooks.now().Sub(since))
}

// sameAsBase reports whether a server version of a known item is the one
// both sides last agreed on: a re-report (a resync from key 0, or SOGo
// re-sending what a lost answer carried), not a change. Taking it as a
// change would undo a waiting local edit or delete of the item.
func (e *Engine) sameAsBase(k store.Kind, item store.Item, server eas.Item) bool {
	if len(item.Base) == 0 || server == nil || k == store.KindMail {
		return false
	}
	l, err := parseLocal(k, item.Base)
	if err != nil {
		return false
	}
	base, err := e.toServer(k, l, item.ServerID)
	if err != nil {
		return false
	}
	diff, err := convert.Diff(base, server)
	return err == nil && len(diff) == 0
}
