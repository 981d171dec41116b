package eastest

import (
	"github.com/easbridge/easbridge/eas/wbxml"
)

// hierState is a device's view of the folder hierarchy: the folders (and
// the version of each) it was told about with the current key.
type hierState struct {
	key   string            // current FolderSync key
	prev  string            // the key the current one answered
	last  *wbxml.Node       // the FolderSync response to prev, for a retry
	known map[string]uint64 // folder id -> folder seq the device has
}

// folderSync serves FolderSync (MS-ASCMD 2.2.1.5): key 0 lists every
// folder; the current key lists the changes since; the previous key gets
// the previous answer again; any other key gets status 9.
func (s *Server) folderSync(req *request) (*wbxml.Node, error) {
	if req.root == nil || req.root.Tag != wbxml.FolderHierarchyFolderSync {
		return nil, badRequest("FolderSync without a FolderSync body")
	}
	key := text(req.root, wbxml.FolderHierarchySyncKey)
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &req.dev.hier
	switch {
	case key == "0":
		h.known = map[string]uint64{}
	case key == h.key && h.key != "":
	case key == h.prev && h.last != nil:
		return h.last, nil
	default:
		return box(wbxml.FolderHierarchyFolderSync, num(wbxml.FolderHierarchyStatus, 9)), nil
	}
	changes := s.hierChanges(req.user, h.known)
	if len(changes) == 0 && key != "0" {
		return box(wbxml.FolderHierarchyFolderSync, num(wbxml.FolderHierarchyStatus, 1),
			el(wbxml.FolderHierarchySyncKey, key),
			box(wbxml.FolderHierarchyChanges, num(wbxml.FolderHierarchyCount, 0))), nil
	}
	newKey := s.newKey()
	resp := box(wbxml.FolderHierarchyFolderSync, num(wbxml.FolderHierarchyStatus, 1),
		el(wbxml.FolderHierarchySyncKey, newKey),
		add(box(wbxml.FolderHierarchyChanges, num(wbxml.FolderHierarchyCount, len(changes))), changes...))
	h.prev, h.key, h.last = key, newKey, resp
	return resp, nil
}

// hierChanges returns the Delete, Update and Add elements that bring a
// device knowing `known` up to date, and records them as known.
func (s *Server) hierChanges(u *user, known map[string]uint64) []*wbxml.Node {
	var dels, ups, adds []*wbxml.Node
	ids := make([]string, 0, len(known))
	for id := range known {
		ids = append(ids, id)
	}
	sortIDs(ids)
	for _, id := range ids {
		if u.folders[id] == nil {
			dels = append(dels, box(wbxml.FolderHierarchyDelete, el(wbxml.FolderHierarchyServerId, id)))
			delete(known, id)
		}
	}
	// parents before children
	var visit func(parent string)
	visit = func(parent string) {
		for _, f := range u.sortedFolders() {
			if f.parent != parent {
				continue
			}
			if seq, ok := known[f.id]; !ok {
				adds = append(adds, folderNode(wbxml.FolderHierarchyAdd, f))
			} else if seq < f.seq {
				ups = append(ups, folderNode(wbxml.FolderHierarchyUpdate, f))
			}
			known[f.id] = f.seq
			visit(f.id)
		}
	}
	visit("0")
	return append(append(dels, ups...), adds...)
}

func sortIDs(ids []string) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && idLess(ids[j], ids[j-1]); j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

func folderNode(t wbxml.Tag, f *folder) *wbxml.Node {
	return box(t, el(wbxml.FolderHierarchyServerId, f.id), el(wbxml.FolderHierarchyParentId, f.parent),
		el(wbxml.FolderHierarchyDisplayName, f.name), num(wbxml.FolderHierarchyType, f.typ))
}

// hierStep checks the SyncKey of FolderCreate/Update/Delete and, when
// valid, returns the new key (recording the change as known to the device).
func (s *Server) hierStep(req *request, key string) (string, bool) {
	h := &req.dev.hier
	if key == "" || key != h.key {
		return "", false
	}
	newKey := s.newKey()
	h.prev, h.key, h.last = "", newKey, nil
	return newKey, true
}

// nameTaken reports whether parent already holds a folder called name.
func (u *user) nameTaken(parent, name, except string) bool {
	for _, f := range u.folders {
		if f.parent == parent && f.name == name && f.id != except {
			return true
		}
	}
	return false
}

func userFolderType(t int) bool { return t == TypeUserGeneric || (t >= TypeUserMail && t <= 19) }

// folderStatus returns the answer of FolderCreate, FolderUpdate or
// FolderDelete (root) that carries nothing but a Status.
func folderStatus(root wbxml.Tag) func(status int) *wbxml.Node {
	return func(n int) *wbxml.Node {
		return box(root, num(wbxml.FolderHierarchyStatus, n))
	}
}

// folderCreate serves FolderCreate (MS-ASCMD 2.2.1.3).
func (s *Server) folderCreate(req *request) (*wbxml.Node, error) {
	if req.root == nil || req.root.Tag != wbxml.FolderHierarchyFolderCreate {
		return nil, badRequest("FolderCreate without a FolderCreate body")
	}
	st := folderStatus(wbxml.FolderHierarchyFolderCreate)
	s.mu.Lock()
	defer s.mu.Unlock()
	u := req.user
	parent := text(req.root, wbxml.FolderHierarchyParentId)
	name := text(req.root, wbxml.FolderHierarchyDisplayName)
	typ := intText(req.root, wbxml.FolderHierarchyType, -1)
	switch {
	case name == "" || parent == "" || !userFolderType(typ):
		return st(10), nil
	case text(req.root, wbxml.FolderHierarchySyncKey) != req.dev.hier.key || req.dev.hier.key == "":
		return st(9), nil
	case parent != "0" && u.folders[parent] == nil:
		return st(5), nil
	case u.nameTaken(parent, name, ""):
		return st(2), nil
	}
	key, _ := s.hierStep(req, req.dev.hier.key)
	f := u.addFolder(s, parent, name, typ)
	req.dev.hier.known[f.id] = f.seq
	return box(wbxml.FolderHierarchyFolderCreate, num(wbxml.FolderHierarchyStatus, 1),
		el(wbxml.FolderHierarchySyncKey, key), el(wbxml.FolderHierarchyServerId, f.id)), nil
}

// folderUpdate serves FolderUpdate (MS-ASCMD 2.2.1.6): rename and move.
func (s *Server) folderUpdate(req *request) (*wbxml.Node, error) {
	if req.root == nil || req.root.Tag != wbxml.FolderHierarchyFolderUpdate {
		return nil, badRequest("FolderUpdate without a FolderUpdate body")
	}
	st := folderStatus(wbxml.FolderHierarchyFolderUpdate)
	s.mu.Lock()
	defer s.mu.Unlock()
	u := req.user
	f := u.folders[text(req.root, wbxml.FolderHierarchyServerId)]
	parent := text(req.root, wbxml.FolderHierarchyParentId)
	name := text(req.root, wbxml.FolderHierarchyDisplayName)
	switch {
	case name == "" || parent == "":
		return st(10), nil
	case text(req.root, wbxml.FolderHierarchySyncKey) != req.dev.hier.key || req.dev.hier.key == "":
		return st(9), nil
	case f == nil:
		return st(4), nil
	case special(f.typ):
		return st(3), nil
	case parent != "0" && (u.folders[parent] == nil || u.isBelow(parent, f.id)):
		return st(5), nil
	case u.nameTaken(parent, name, f.id):
		return st(2), nil
	}
	key, _ := s.hierStep(req, req.dev.hier.key)
	f.name, f.parent, f.seq = name, parent, s.changed()
	req.dev.hier.known[f.id] = f.seq
	return box(wbxml.FolderHierarchyFolderUpdate, num(wbxml.FolderHierarchyStatus, 1),
		el(wbxml.FolderHierarchySyncKey, key)), nil
}

// isBelow reports whether folder id is anc or lies below it.
func (u *user) isBelow(id, anc string) bool {
	for i := 0; id != "0" && id != "" && i < 1000; i++ {
		if id == anc {
			return true
		}
		f := u.folders[id]
		if f == nil {
			return false
		}
		id = f.parent
	}
	return false
}

// folderDelete serves FolderDelete (MS-ASCMD 2.2.1.4).
func (s *Server) folderDelete(req *request) (*wbxml.Node, error) {
	if req.root == nil || req.root.Tag != wbxml.FolderHierarchyFolderDelete {
		return nil, badRequest("FolderDelete without a FolderDelete body")
	}
	st := folderStatus(wbxml.FolderHierarchyFolderDelete)
	s.mu.Lock()
	defer s.mu.Unlock()
	u := req.user
	f := u.folders[text(req.root, wbxml.FolderHierarchyServerId)]
	switch {
	case text(req.root, wbxml.FolderHierarchySyncKey) != req.dev.hier.key || req.dev.hier.key == "":
		return st(9), nil
	case f == nil:
		return st(4), nil
	case special(f.typ):
		return st(3), nil
	}
	key, _ := s.hierStep(req, req.dev.hier.key)
	for id := range req.dev.hier.known {
		if u.isBelow(id, f.id) {
			delete(req.dev.hier.known, id) // the device removed them itself
		}
	}
	u.removeFolder(f.id)
	s.changed()
	return box(wbxml.FolderHierarchyFolderDelete, num(wbxml.FolderHierarchyStatus, 1),
		el(wbxml.FolderHierarchySyncKey, key)), nil
}

// folderClass returns the Class name of a folder for Ping and GetItemEstimate.
func folderClass(f *folder) string { return string(classOf(f.typ)) }
