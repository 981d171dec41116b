package eastest

import (
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// Window sizes of MS-ASCMD 2.2.3.199: 100 when absent, at most 512.
const (
	defaultWindow = 100
	maxWindow     = 512
)

// collState is a device's state for one collection.
type collState struct {
	key       string            // current SyncKey
	prev      string            // the key the current one answered
	last      *wbxml.Node       // the Collection response to prev, for a retry
	known     map[string]uint64 // ServerId -> item seq the device has
	clientIDs map[string]string // ClientId -> ServerId of client Adds
	filter    int               // FilterType of the last Sync
}

// syncOpts are the Options of one collection (MS-ASCMD 2.2.3.125).
type syncOpts struct {
	prefs       []bodyPref
	mimeSupport int
	conflict    int  // 0: client wins; 1 (default): server wins
	asMoves     bool // DeletesAsMoves (default true, MS-ASCMD 2.2.3.44)
	filter      int  // FilterType (MS-ASCMD 2.2.3.70.1)
}

type bodyPref struct{ typ, trunc int }

func parseOpts(coll *wbxml.Node) syncOpts {
	o := syncOpts{conflict: 1, asMoves: intText(coll, wbxml.AirSyncDeletesAsMoves, 1) != 0}
	opts := child(coll, wbxml.AirSyncOptions)
	if opts == nil {
		return o
	}
	o.mimeSupport = intText(opts, wbxml.AirSyncMIMESupport, 0)
	o.filter = intText(opts, wbxml.AirSyncFilterType, 0)
	o.conflict = intText(opts, wbxml.AirSyncConflict, 1)
	for _, bp := range all(opts, wbxml.AirSyncBaseBodyPreference) {
		o.prefs = append(o.prefs, bodyPref{
			typ:   intText(bp, wbxml.AirSyncBaseType, 1),
			trunc: intText(bp, wbxml.AirSyncBaseTruncationSize, 0),
		})
	}
	return o
}

// sync serves the Sync command (MS-ASCMD 2.2.1.21).
func (s *Server) sync(req *request) (*wbxml.Node, error) {
	root := req.root
	s.mu.Lock()
	if root == nil {
		// An empty Sync repeats the collections and options of the
		// previous request with the current keys and no commands
		// (MS-ASCMD 2.2.1.21); with nothing cached it gets status 13.
		root = s.repeatSync(req.dev)
		if root == nil {
			s.mu.Unlock()
			return box(wbxml.AirSyncSync, num(wbxml.AirSyncStatus, 13)), nil
		}
	} else if root.Tag != wbxml.AirSyncSync {
		s.mu.Unlock()
		return nil, badRequest("Sync without a Sync body")
	} else {
		req.dev.lastSync = root
	}
	colls := all(child(root, wbxml.AirSyncCollections), wbxml.AirSyncCollection)
	if len(colls) == 0 {
		s.mu.Unlock()
		return box(wbxml.AirSyncSync, num(wbxml.AirSyncStatus, 4)), nil
	}
	if f := req.fault; f != nil && f.Kind == FaultSyncStatus3 {
		s.mu.Unlock()
		out := box(wbxml.AirSyncCollections)
		for _, c := range colls {
			add(out, box(wbxml.AirSyncCollection, el(wbxml.AirSyncSyncKey, "0"),
				el(wbxml.AirSyncCollectionId, text(c, wbxml.AirSyncCollectionId)), num(wbxml.AirSyncStatus, 3)))
		}
		return box(wbxml.AirSyncSync, out), nil
	}
	wait := s.syncWait(root)
	if wait < 0 {
		s.mu.Unlock()
		return box(wbxml.AirSyncSync, num(wbxml.AirSyncStatus, 14),
			num(wbxml.AirSyncLimit, s.cfg.MaxHeartbeat)), nil
	}
	if wait == 0 && s.cfg.EmptySyncWhenUnchanged && !s.syncHasWork(req, colls) {
		s.mu.Unlock()
		return nil, nil
	}
	if wait > 0 {
		// Long-poll Sync: hold the request until a collection changes.
		if !s.waitFor(req, wait, func() bool { return s.syncHasWork(req, colls) }) {
			s.mu.Unlock()
			return nil, nil // nothing changed: empty response, keys stay valid
		}
	}
	defer s.mu.Unlock()
	window := intText(root, wbxml.AirSyncWindowSize, 0)
	if window <= 0 || window > maxWindow {
		window = maxWindow
	}
	out := box(wbxml.AirSyncCollections)
	for _, c := range colls {
		n := s.syncCollection(req, c, &window)
		add(out, n)
	}
	return box(wbxml.AirSyncSync, out), nil
}

// repeatSync rebuilds the last Sync request of a device for an empty
// Sync. Callers hold s.mu.
func (s *Server) repeatSync(d *device) *wbxml.Node {
	if d.lastSync == nil {
		return nil
	}
	root := clone(d.lastSync)
	for _, c := range all(child(root, wbxml.AirSyncCollections), wbxml.AirSyncCollection) {
		kept := c.Children[:0]
		for _, k := range c.Children {
			switch k.Tag {
			case wbxml.AirSyncCommands:
			case wbxml.AirSyncSyncKey:
				if cs := d.colls[text(c, wbxml.AirSyncCollectionId)]; cs != nil {
					k.Text = []byte(cs.key)
				}
				kept = append(kept, k)
			default:
				kept = append(kept, k)
			}
		}
		c.Children = kept
	}
	return root
}

// syncWait returns the long-poll interval of a Sync (0 for none, -1 when
// out of bounds): Wait is in minutes, HeartbeatInterval in seconds.
func (s *Server) syncWait(root *wbxml.Node) time.Duration {
	secs := 0
	if has(root, wbxml.AirSyncWait) {
		secs = intText(root, wbxml.AirSyncWait, 0) * 60
	}
	if has(root, wbxml.AirSyncHeartbeatInterval) {
		secs = intText(root, wbxml.AirSyncHeartbeatInterval, 0)
	}
	if secs == 0 {
		return 0
	}
	if secs < s.cfg.MinHeartbeat || secs > s.cfg.MaxHeartbeat {
		return -1
	}
	return time.Duration(secs) * s.cfg.HeartbeatUnit
}

// syncHasWork reports whether a Sync must answer at once: it carries
// commands, uses a key that is not the current one, or a collection has
// pending changes. Callers hold s.mu.
func (s *Server) syncHasWork(req *request, colls []*wbxml.Node) bool {
	for _, c := range colls {
		cs := req.dev.colls[text(c, wbxml.AirSyncCollectionId)]
		f := req.user.folders[text(c, wbxml.AirSyncCollectionId)]
		if has(c, wbxml.AirSyncCommands) || cs == nil || f == nil ||
			text(c, wbxml.AirSyncSyncKey) != cs.key || len(s.pending(f, cs)) > 0 {
			return true
		}
	}
	return false
}

// waitFor releases s.mu and waits until ready() holds (checked at every
// change), the duration ends or the client goes away; it returns with
// s.mu held and reports whether ready() held.
func (s *Server) waitFor(req *request, d time.Duration, ready func() bool) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	s.waiting++
	defer func() { s.waiting-- }()
	for {
		if ready() {
			return true
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-wake:
			s.mu.Lock()
		case <-timer.C:
			s.mu.Lock()
			return ready()
		case <-req.waitDone:
			s.mu.Lock()
			return false
		}
	}
}

// syncCollection answers one Collection of a Sync request.
func (s *Server) syncCollection(req *request, c *wbxml.Node, window *int) *wbxml.Node {
	id := text(c, wbxml.AirSyncCollectionId)
	key := text(c, wbxml.AirSyncSyncKey)
	head := func(k string, status int) *wbxml.Node {
		n := box(wbxml.AirSyncCollection)
		if req.version < eas.V140 && has(c, wbxml.AirSyncClass) {
			add(n, el(wbxml.AirSyncClass, text(c, wbxml.AirSyncClass)))
		}
		return add(n, el(wbxml.AirSyncSyncKey, k), el(wbxml.AirSyncCollectionId, id), num(wbxml.AirSyncStatus, status))
	}
	f := req.user.folders[id]
	if f == nil {
		return head(key, 12) // folder hierarchy changed
	}
	cs := req.dev.colls[id]
	switch {
	case key == "0":
		cs = &collState{key: s.newKey(), known: map[string]uint64{}, clientIDs: map[string]string{}}
		req.dev.colls[id] = cs
		return head(cs.key, 1)
	case cs == nil:
		return head("0", 3)
	case key == cs.prev && cs.last != nil:
		return clone(cs.last) // a retry: the same answer, nothing applied twice
	case key != cs.key:
		return head("0", 3)
	}
	opts := parseOpts(c)
	cs.filter = opts.filter
	newKey := s.newKey()
	resp := head(newKey, 1)
	responses := s.applyCommands(req, f, cs, child(c, wbxml.AirSyncCommands), opts)
	getChanges := intText(c, wbxml.AirSyncGetChanges, 1) != 0
	if getChanges {
		size := intText(c, wbxml.AirSyncWindowSize, defaultWindow)
		if size <= 0 || size > maxWindow {
			size = defaultWindow
		}
		size = min(size, *window)
		cmds, more, n := s.serverChanges(req, f, cs, opts, size)
		*window -= n
		if more {
			add(resp, el(wbxml.AirSyncMoreAvailable, ""))
		}
		if len(cmds.Children) > 0 {
			add(resp, cmds)
		}
	}
	if len(responses.Children) > 0 {
		add(resp, responses)
	}
	cs.prev, cs.key, cs.last = key, newKey, clone(resp)
	return resp
}

// change is one pending server-side change for a device.
type change struct {
	id   string
	rec  *record // nil for a delete
	add  bool
	soft bool // the item left the FilterType window: SoftDelete
}

// pending lists what a device knowing cs.known lacks: deletes first
// (SoftDelete for items that left the filter window), then adds and
// changes in item order. A nil cs means a device that never synced.
func (s *Server) pending(f *folder, cs *collState) []change {
	var known map[string]uint64
	filter := 0
	if cs != nil {
		known, filter = cs.known, cs.filter
	}
	var out []change
	var gone []string
	for id := range known {
		if r := f.items[id]; r == nil || !s.inWindow(r, filter) {
			gone = append(gone, id)
		}
	}
	sortItemIDs(gone)
	for _, id := range gone {
		out = append(out, change{id: id, soft: f.items[id] != nil})
	}
	for _, r := range f.sortedItems() {
		if !s.inWindow(r, filter) {
			continue
		}
		seq, ok := known[r.id]
		if !ok || seq < r.seq {
			out = append(out, change{id: r.id, rec: r, add: !ok})
		}
	}
	return out
}

func sortItemIDs(ids []string) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && itemLess(ids[j], ids[j-1]); j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

// serverChanges returns the Commands element with up to size pending
// changes, whether more are left, and how many were sent.
func (s *Server) serverChanges(req *request, f *folder, cs *collState, o syncOpts, size int) (*wbxml.Node, bool, int) {
	cmds := box(wbxml.AirSyncCommands)
	todo := s.pending(f, cs)
	n := 0
	for _, ch := range todo {
		if n == size {
			break
		}
		n++
		if ch.rec == nil {
			t := wbxml.AirSyncDelete
			if ch.soft {
				t = wbxml.AirSyncSoftDelete
			}
			add(cmds, box(t, el(wbxml.AirSyncServerId, ch.id)))
			delete(cs.known, ch.id)
			continue
		}
		data, err := s.itemData(req, ch.rec, o)
		if err != nil {
			// An item that cannot be encoded is skipped, never sent half.
			cs.known[ch.id] = ch.rec.seq
			continue
		}
		t := wbxml.AirSyncChange
		if ch.add {
			t = wbxml.AirSyncAdd
		}
		add(cmds, box(t, el(wbxml.AirSyncServerId, ch.id), data))
		cs.known[ch.id] = ch.rec.seq
	}
	return cmds, n < len(todo), n
}

// SyncState returns the current SyncKey a device holds for a collection
// ("" if it never synced it), for tests of the sync engine.
func (s *Server) SyncState(userName, deviceID, collectionID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userName)
	if u == nil || u.devices[deviceID] == nil || u.devices[deviceID].colls[collectionID] == nil {
		return ""
	}
	return u.devices[deviceID].colls[collectionID].key
}
