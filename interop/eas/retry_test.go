//go:build interop

package eas_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
)

// TestRepeatWithSameKey plays a lost answer: a reader syncs a change, then
// sends the same request with the same SyncKey again, as a client whose
// answer was lost would. Upserting by ServerId must leave the same state,
// whatever the server resends (SOGo resends the folder as Adds).
func TestRepeatWithSameKey(t *testing.T) {
	forVersions(t, func(t *testing.T, e *env, v eas.Version) {
		w := newAccount(t, e, 1, v)
		r := newAccount(t, e, 1, v)
		wcol := w.open(w.folder(eas.FolderContacts))
		rcol := r.open(r.folder(eas.FolderContacts))
		time.Sleep(1100 * time.Millisecond) // see TestItemsAddChangeDelete
		last := fmt.Sprintf("Retry %s %d", runID, v)
		cr := wcol.sync(eas.SyncCollection{Adds: []eas.ClientAdd{{ClientID: "retry-" + last, Item: &eas.Contact{FirstName: "Rita", LastName: last, FileAs: last}}}})
		if len(cr.Adds) != 1 || cr.Adds[0].Status != 1 {
			t.Fatalf("add: %+v", cr.Adds)
		}
		sid := cr.Adds[0].ServerID
		oldKey := rcol.key
		if !rcol.pullUntil(10*time.Second, func() bool { _, ok := rcol.items[sid]; return ok }) {
			t.Fatalf("added contact not synced")
		}
		before := len(rcol.items)
		// The answer was "lost": the same request again, with the old key.
		rcol.key = oldKey
		rcol.pull()
		if _, ok := rcol.items[sid]; !ok || len(rcol.items) != before {
			t.Errorf("after the repeat: %d items (was %d), contact present %v", len(rcol.items), before, ok)
		}
		wcol.sync(eas.SyncCollection{Deletes: []string{sid}})
	})
}
