package eastest

import (
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// ping serves the Ping command (MS-ASCMD 2.2.1.13): it waits until a
// watched folder has changes the device has not synced, or the heartbeat
// ends. Statuses: 1 heartbeat ended, 2 changes, 3 missing parameters,
// 5 heartbeat out of bounds (with the bound), 6 too many folders (with
// the maximum), 7 folder hierarchy out of date.
func (s *Server) ping(req *request) (*wbxml.Node, error) {
	if req.root != nil && req.root.Tag != wbxml.PingPing {
		return nil, badRequest("Ping without a Ping body")
	}
	status := func(n int, extra ...*wbxml.Node) *wbxml.Node {
		return add(box(wbxml.PingPing, num(wbxml.PingStatus, n)), extra...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := req.dev
	hb := d.pingHB
	ids := d.pingIDs
	if req.root != nil {
		if has(req.root, wbxml.PingHeartbeatInterval) {
			hb = intText(req.root, wbxml.PingHeartbeatInterval, 0)
		}
		if fs := child(req.root, wbxml.PingFolders); fs != nil {
			ids = nil
			for _, f := range all(fs, wbxml.PingFolder) {
				ids = append(ids, text(f, wbxml.PingId))
			}
		}
	}
	switch {
	case hb == 0 || len(ids) == 0:
		return status(3), nil
	case hb < s.cfg.MinHeartbeat:
		return status(5, num(wbxml.PingHeartbeatInterval, s.cfg.MinHeartbeat)), nil
	case hb > s.cfg.MaxHeartbeat:
		return status(5, num(wbxml.PingHeartbeatInterval, s.cfg.MaxHeartbeat)), nil
	case len(ids) > s.cfg.MaxPingFolders:
		return status(6, num(wbxml.PingMaxFolders, s.cfg.MaxPingFolders)), nil
	}
	for _, id := range ids {
		if req.user.folders[id] == nil {
			return status(7), nil
		}
	}
	d.pingHB, d.pingIDs = hb, ids
	d.pingGen++
	gen := d.pingGen
	s.broadcast() // an older Ping of this device ends
	var changed []string
	ready := func() bool {
		changed = s.changedFolders(req, ids)
		return len(changed) > 0 || d.pingGen != gen
	}
	s.waitFor(req, time.Duration(hb)*s.cfg.HeartbeatUnit, ready)
	if len(changed) == 0 {
		return status(1), nil
	}
	fs := box(wbxml.PingFolders)
	for _, id := range changed {
		add(fs, el(wbxml.PingFolder, id))
	}
	return status(2, fs), nil
}

// changedFolders returns the folders among ids that have changes the
// device has not synced (a folder it never synced counts its items).
func (s *Server) changedFolders(req *request, ids []string) []string {
	var out []string
	for _, id := range ids {
		f := req.user.folders[id]
		if f == nil {
			out = append(out, id) // deleted meanwhile: the client must look
			continue
		}
		if len(s.pending(f, req.dev.colls[id])) > 0 {
			out = append(out, id)
		}
	}
	return out
}

// getItemEstimate serves GetItemEstimate (MS-ASCMD 2.2.1.9): the number
// of changes a Sync with the given key would bring. Statuses: 2 unknown
// collection, 3 key 0 (sync state not primed), 4 invalid key.
func (s *Server) getItemEstimate(req *request) (*wbxml.Node, error) {
	if req.root == nil || req.root.Tag != wbxml.GetItemEstimateGetItemEstimate {
		return nil, badRequest("GetItemEstimate without a GetItemEstimate body")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := box(wbxml.GetItemEstimateGetItemEstimate)
	colls := all(child(req.root, wbxml.GetItemEstimateCollections), wbxml.GetItemEstimateCollection)
	for _, c := range colls {
		id := text(c, wbxml.GetItemEstimateCollectionId)
		key := text(c, wbxml.AirSyncSyncKey)
		r := box(wbxml.GetItemEstimateResponse)
		f := req.user.folders[id]
		cs := req.dev.colls[id]
		switch {
		case f == nil:
			add(r, num(wbxml.GetItemEstimateStatus, 2))
		case key == "0" || key == "":
			add(r, num(wbxml.GetItemEstimateStatus, 3))
		case cs == nil || (key != cs.key && key != cs.prev):
			add(r, num(wbxml.GetItemEstimateStatus, 4))
		default:
			add(r, num(wbxml.GetItemEstimateStatus, 1), box(wbxml.GetItemEstimateCollection,
				el(wbxml.GetItemEstimateCollectionId, id),
				num(wbxml.GetItemEstimateEstimate, len(s.pending(f, cs)))))
		}
		add(out, r)
	}
	if len(colls) == 0 {
		add(out, num(wbxml.GetItemEstimateStatus, 2))
	}
	return out, nil
}
