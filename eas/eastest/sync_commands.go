package eastest

import (
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// applyCommands applies the client's Add, Change, Delete and Fetch of one
// collection (MS-ASCMD 2.2.3.29.2) and returns the Responses element.
// Changes the client makes are recorded as known to it, so they are not
// echoed back.
func (s *Server) applyCommands(req *request, f *folder, cs *collState, cmds *wbxml.Node, o syncOpts) *wbxml.Node {
	out := box(wbxml.AirSyncResponses)
	if cmds == nil {
		return out
	}
	for _, c := range cmds.Children {
		switch c.Tag {
		case wbxml.AirSyncAdd:
			add(out, s.clientAdd(req, f, cs, c))
		case wbxml.AirSyncChange:
			add(out, s.clientChange(req, f, cs, c, o))
		case wbxml.AirSyncDelete, wbxml.AirSyncSoftDelete:
			add(out, s.clientDelete(req, f, cs, c, o))
		case wbxml.AirSyncFetch:
			add(out, s.clientFetch(req, f, c, o))
		}
	}
	return out
}

// clientAdd stores a new item. A ClientId seen before in this collection,
// or (16.x) a calendar ClientUid already present, answers with the
// existing ServerId instead of adding a duplicate.
func (s *Server) clientAdd(req *request, f *folder, cs *collState, c *wbxml.Node) *wbxml.Node {
	cid := text(c, wbxml.AirSyncClientId)
	resp := func(id string, status int) *wbxml.Node {
		n := box(wbxml.AirSyncAdd, el(wbxml.AirSyncClientId, cid))
		if id != "" {
			add(n, el(wbxml.AirSyncServerId, id))
		}
		return add(n, num(wbxml.AirSyncStatus, status))
	}
	data := child(c, wbxml.AirSyncApplicationData)
	if cid == "" || data == nil {
		return resp("", 4) // protocol error
	}
	if id, ok := cs.clientIDs[cid]; ok && f.items[id] != nil {
		return resp(id, 1)
	}
	r := &record{data: clone(data), ver: req.version, class: classOf(f.typ)}
	r.clientUID = itemClientUID(r)
	if r.clientUID != "" {
		for _, old := range f.items {
			if old.clientUID == r.clientUID {
				cs.clientIDs[cid] = old.id
				return resp(old.id, 1)
			}
		}
	}
	f.put(s, r)
	cs.known[r.id] = r.seq
	cs.clientIDs[cid] = r.id
	return resp(r.id, 1)
}

// clientChange updates an item. When the server changed it since the
// device last saw it, the Conflict option decides (MS-ASCMD 2.2.3.34):
// 1, the default, keeps the server's version and answers status 7.
func (s *Server) clientChange(req *request, f *folder, cs *collState, c *wbxml.Node, o syncOpts) *wbxml.Node {
	id := text(c, wbxml.AirSyncServerId)
	inst := text(c, wbxml.AirSyncBaseInstanceId)
	fail := func(status int) *wbxml.Node {
		n := box(wbxml.AirSyncChange, el(wbxml.AirSyncServerId, id))
		if inst != "" {
			add(n, el(wbxml.AirSyncBaseInstanceId, inst))
		}
		return add(n, num(wbxml.AirSyncStatus, status))
	}
	r := f.items[id]
	data := child(c, wbxml.AirSyncApplicationData)
	switch {
	case r == nil:
		return fail(8)
	case data == nil:
		return fail(4)
	case cs.known[id] < r.seq && o.conflict != 0:
		return fail(7)
	}
	cur, err := s.recordNode(r, req.version)
	if err != nil {
		return fail(6)
	}
	switch {
	case inst != "" && r.class == eas.ClassCalendar:
		cur = setException(cur, inst, data.Children, false)
	case r.class == eas.ClassEmail:
		// Email changes carry only what changed (Read, Flag, Categories).
		cur = merge(cur, data)
	default:
		// Other classes send the whole item; what is absent is gone.
		cur = clone(data)
	}
	r.item, r.data, r.ver = nil, cur, req.version
	r.seq = s.changed()
	cs.known[id] = r.seq
	return nil
}

// clientDelete removes an item, or (16.x, with InstanceId) one occurrence
// of a recurring event. Mail goes to Deleted Items unless DeletesAsMoves
// is 0 (MS-ASCMD 2.2.3.44).
func (s *Server) clientDelete(req *request, f *folder, cs *collState, c *wbxml.Node, o syncOpts) *wbxml.Node {
	id := text(c, wbxml.AirSyncServerId)
	inst := text(c, wbxml.AirSyncBaseInstanceId)
	r := f.items[id]
	if r == nil {
		n := box(wbxml.AirSyncDelete, el(wbxml.AirSyncServerId, id))
		if inst != "" {
			add(n, el(wbxml.AirSyncBaseInstanceId, inst))
		}
		return add(n, num(wbxml.AirSyncStatus, 8))
	}
	if inst != "" && r.class == eas.ClassCalendar {
		cur, err := s.recordNode(r, req.version)
		if err != nil {
			return box(wbxml.AirSyncDelete, el(wbxml.AirSyncServerId, id), num(wbxml.AirSyncStatus, 6))
		}
		r.item, r.data, r.ver = nil, setException(cur, inst, nil, true), req.version
		r.seq = s.changed()
		cs.known[id] = r.seq
		return nil
	}
	delete(cs.known, id)
	trash := req.user.folderOfType(TypeDeletedItems)
	if r.class == eas.ClassEmail && o.asMoves && trash != nil && trash != f {
		s.move(f, trash, r)
		return nil
	}
	delete(f.items, id)
	s.changed()
	return nil
}

// clientFetch answers a Fetch with the item's full data.
func (s *Server) clientFetch(req *request, f *folder, c *wbxml.Node, o syncOpts) *wbxml.Node {
	id := text(c, wbxml.AirSyncServerId)
	r := f.items[id]
	if r == nil {
		return box(wbxml.AirSyncFetch, el(wbxml.AirSyncServerId, id), num(wbxml.AirSyncStatus, 8))
	}
	data, err := s.itemData(req, r, o)
	if err != nil {
		return box(wbxml.AirSyncFetch, el(wbxml.AirSyncServerId, id), num(wbxml.AirSyncStatus, 6))
	}
	return box(wbxml.AirSyncFetch, el(wbxml.AirSyncServerId, id), num(wbxml.AirSyncStatus, 1), data)
}

// merge returns cur with every child of upd replacing the child of the
// same tag (or appended).
func merge(cur, upd *wbxml.Node) *wbxml.Node {
	out := clone(cur)
	for _, u := range upd.Children {
		replaced := false
		for i, c := range out.Children {
			if c.Tag == u.Tag {
				out.Children[i] = clone(u)
				replaced = true
				break
			}
		}
		if !replaced {
			out.Children = append(out.Children, clone(u))
		}
	}
	return out
}

// setException records an exception of a recurring event for the
// occurrence inst (MS-ASCAL 2.2.2.21; 16.x identifies it by
// airsyncbase:InstanceId): changed fields, or Deleted.
func setException(ev *wbxml.Node, inst string, fields []*wbxml.Node, deleted bool) *wbxml.Node {
	out := clone(ev)
	exs := child(out, wbxml.CalendarExceptions)
	if exs == nil {
		exs = box(wbxml.CalendarExceptions)
		out.Children = append(out.Children, exs)
	}
	kept := exs.Children[:0]
	for _, e := range exs.Children {
		if text(e, wbxml.AirSyncBaseInstanceId) != inst {
			kept = append(kept, e)
		}
	}
	exs.Children = kept
	ex := box(wbxml.CalendarException, el(wbxml.AirSyncBaseInstanceId, inst))
	if deleted {
		add(ex, num(wbxml.CalendarDeleted, 1))
	}
	for _, fl := range fields {
		if fl.Tag != wbxml.AirSyncBaseInstanceId && fl.Tag != wbxml.CalendarExceptions &&
			fl.Tag != wbxml.CalendarRecurrence {
			add(ex, clone(fl))
		}
	}
	exs.Children = append(exs.Children, ex)
	return out
}
