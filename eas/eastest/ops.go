package eastest

import (
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// moveItems serves MoveItems (MS-ASCMD 2.2.1.12). Statuses: 1 unknown
// source item or folder, 2 unknown destination, 3 success, 4 same folder.
func (s *Server) moveItems(req *request) (*wbxml.Node, error) {
	if req.root == nil || req.root.Tag != wbxml.MoveMoveItems {
		return nil, badRequest("MoveItems without a MoveItems body")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := box(wbxml.MoveMoveItems)
	for _, m := range all(req.root, wbxml.MoveMove) {
		srcID := text(m, wbxml.MoveSrcMsgId)
		src := req.user.folders[text(m, wbxml.MoveSrcFldId)]
		dst := req.user.folders[text(m, wbxml.MoveDstFldId)]
		resp := box(wbxml.MoveResponse, el(wbxml.MoveSrcMsgId, srcID))
		switch {
		case src == nil || src.items[srcID] == nil:
			add(resp, num(wbxml.MoveStatus, 1))
		case dst == nil:
			add(resp, num(wbxml.MoveStatus, 2))
		case src == dst:
			add(resp, num(wbxml.MoveStatus, 4))
		default:
			r := s.move(src, dst, src.items[srcID])
			// The device saw the move happen: neither folder echoes it.
			if cs := req.dev.colls[src.id]; cs != nil {
				delete(cs.known, srcID)
			}
			if cs := req.dev.colls[dst.id]; cs != nil {
				cs.known[r.id] = r.seq
			}
			add(resp, num(wbxml.MoveStatus, 3), el(wbxml.MoveDstMsgId, r.id))
		}
		add(out, resp)
	}
	return out, nil
}

// itemOperations serves ItemOperations (MS-ASCMD 2.2.1.10): Fetch of an
// item (by CollectionId and ServerId) or of an attachment (by
// FileReference), and EmptyFolderContents. Fetch statuses: 6 not found,
// 15 bad attachment reference.
func (s *Server) itemOperations(req *request) (*wbxml.Node, error) {
	if req.root == nil || req.root.Tag != wbxml.ItemOperationsItemOperations {
		return nil, badRequest("ItemOperations without an ItemOperations body")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := box(wbxml.ItemOperationsResponse)
	for _, op := range req.root.Children {
		switch op.Tag {
		case wbxml.ItemOperationsFetch:
			add(resp, s.fetch(req, op))
		case wbxml.ItemOperationsEmptyFolderContents:
			add(resp, s.emptyFolder(req, op))
		default:
			add(resp, box(op.Tag, num(wbxml.ItemOperationsStatus, 2)))
		}
	}
	return box(wbxml.ItemOperationsItemOperations, num(wbxml.ItemOperationsStatus, 1), resp), nil
}

func (s *Server) fetch(req *request, op *wbxml.Node) *wbxml.Node {
	out := box(wbxml.ItemOperationsFetch)
	if ref := text(op, wbxml.AirSyncBaseFileReference); ref != "" {
		return s.fetchAttachment(req, op, ref)
	}
	fid, id := text(op, wbxml.AirSyncCollectionId), text(op, wbxml.AirSyncServerId)
	f := req.user.folders[fid]
	if f == nil || f.items[id] == nil {
		return add(out, num(wbxml.ItemOperationsStatus, 6), el(wbxml.AirSyncCollectionId, fid),
			el(wbxml.AirSyncServerId, id))
	}
	r := f.items[id]
	opts := parseOpts(box(wbxml.AirSyncCollection, optionsAsSync(child(op, wbxml.ItemOperationsOptions))))
	data, err := s.itemData(req, r, opts)
	if err != nil {
		return add(out, num(wbxml.ItemOperationsStatus, 14), el(wbxml.AirSyncCollectionId, fid),
			el(wbxml.AirSyncServerId, id))
	}
	props := box(wbxml.ItemOperationsProperties)
	props.Children = data.Children
	return add(out, num(wbxml.ItemOperationsStatus, 1), el(wbxml.AirSyncCollectionId, fid),
		el(wbxml.AirSyncServerId, id), el(wbxml.AirSyncClass, string(r.class)), props)
}

// optionsAsSync turns ItemOperations Options into the AirSync Options
// parseOpts reads (the children are the same elements).
func optionsAsSync(o *wbxml.Node) *wbxml.Node {
	n := box(wbxml.AirSyncOptions)
	if o != nil {
		n.Children = o.Children
	}
	return n
}

func (s *Server) fetchAttachment(req *request, op *wbxml.Node, ref string) *wbxml.Node {
	out := box(wbxml.ItemOperationsFetch)
	bad := func(st int) *wbxml.Node {
		return add(out, num(wbxml.ItemOperationsStatus, st), el(wbxml.AirSyncBaseFileReference, ref))
	}
	i := strings.LastIndexByte(ref, '/')
	if i < 0 {
		return bad(15)
	}
	n, err := strconv.Atoi(ref[i+1:])
	_, r := req.user.findItem(ref[:i])
	if err != nil || r == nil || r.mime == nil {
		return bad(15)
	}
	p, err := parseMail(r.mime)
	if err != nil || n < 0 || n >= len(p.attachments) {
		return bad(15)
	}
	a := p.attachments[n]
	data := a.data
	props := box(wbxml.ItemOperationsProperties, el(wbxml.AirSyncBaseContentType, a.contentType))
	if rng := text(child(op, wbxml.ItemOperationsOptions), wbxml.ItemOperationsRange); rng != "" {
		lo, hi, ok := parseRange(rng, len(data))
		if !ok {
			return bad(8)
		}
		add(props, el(wbxml.ItemOperationsRange, strconv.Itoa(lo)+"-"+strconv.Itoa(hi-1)),
			num(wbxml.ItemOperationsTotal, len(data)))
		data = data[lo:hi]
	}
	add(props, el(wbxml.ItemOperationsData, base64.StdEncoding.EncodeToString(data)))
	return add(out, num(wbxml.ItemOperationsStatus, 1), el(wbxml.AirSyncBaseFileReference, ref), props)
}

// parseRange reads "first-last" (inclusive) and returns [lo, hi).
func parseRange(s string, size int) (int, int, bool) {
	a, b, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || lo < 0 || hi < lo || lo > size {
		return 0, 0, false
	}
	return lo, min(hi+1, size), true
}

func (s *Server) emptyFolder(req *request, op *wbxml.Node) *wbxml.Node {
	fid := text(op, wbxml.AirSyncCollectionId)
	f := req.user.folders[fid]
	out := box(wbxml.ItemOperationsEmptyFolderContents)
	if f == nil {
		return add(out, num(wbxml.ItemOperationsStatus, 6), el(wbxml.AirSyncCollectionId, fid))
	}
	for id := range f.items {
		delete(f.items, id)
	}
	if has(child(op, wbxml.ItemOperationsOptions), wbxml.ItemOperationsDeleteSubFolders) {
		for _, sub := range req.user.sortedFolders() {
			if sub.parent == f.id {
				req.user.removeFolder(sub.id)
			}
		}
	}
	s.changed()
	return add(out, num(wbxml.ItemOperationsStatus, 1), el(wbxml.AirSyncCollectionId, fid))
}

// MeetingReply is a MeetingResponse a client sent.
type MeetingReply struct {
	User, CollectionID, RequestID, InstanceID string
	// Response is 1 accepted, 2 tentative, 3 declined.
	Response int
}

// MeetingReplies returns every MeetingResponse received, in order.
func (s *Server) MeetingReplies() []MeetingReply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]MeetingReply(nil), s.replies...)
}

// meetingResponse serves MeetingResponse (MS-ASCMD 2.2.1.11). A request
// in a mail folder is moved to Deleted Items, as Exchange does; declining
// an event removes it; accepting returns the event's id as CalendarId.
func (s *Server) meetingResponse(req *request) (*wbxml.Node, error) {
	if req.root == nil || req.root.Tag != wbxml.MeetingResponseMeetingResponse {
		return nil, badRequest("MeetingResponse without a MeetingResponse body")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := box(wbxml.MeetingResponseMeetingResponse)
	for _, rq := range all(req.root, wbxml.MeetingResponseRequest) {
		fid := text(rq, wbxml.MeetingResponseCollectionId)
		id := text(rq, wbxml.MeetingResponseRequestId)
		inst := text(rq, wbxml.MeetingResponseInstanceId)
		resp := intText(rq, wbxml.MeetingResponseUserResponse, 0)
		res := box(wbxml.MeetingResponseResult, el(wbxml.MeetingResponseRequestId, id))
		f := req.user.folders[fid]
		switch {
		case resp < 1 || resp > 3:
			add(res, num(wbxml.MeetingResponseStatus, 2))
		case inst != "" && req.version < eas.V141:
			add(res, num(wbxml.MeetingResponseStatus, 2))
		case f == nil || f.items[id] == nil:
			add(res, num(wbxml.MeetingResponseStatus, 2))
		default:
			r := f.items[id]
			s.replies = append(s.replies, MeetingReply{User: req.user.Name, CollectionID: fid,
				RequestID: id, InstanceID: inst, Response: resp})
			add(res, num(wbxml.MeetingResponseStatus, 1))
			switch {
			case r.class == eas.ClassCalendar && resp == 3 && inst == "":
				delete(f.items, id)
				s.changed()
			case r.class == eas.ClassCalendar:
				add(res, el(wbxml.MeetingResponseCalendarId, id))
			default:
				if trash := req.user.folderOfType(TypeDeletedItems); trash != nil && trash != f {
					s.move(f, trash, r)
				}
			}
			if inst != "" {
				add(res, el(wbxml.MeetingResponseInstanceId, inst))
			}
		}
		add(out, res)
	}
	return out, nil
}

// search serves Search (MS-ASCMD 2.2.1.16) of the GAL store: a
// case-insensitive substring match on the users' names and addresses.
// Other stores answer store status 3.
func (s *Server) search(req *request) (*wbxml.Node, error) {
	if req.root == nil || req.root.Tag != wbxml.SearchSearch {
		return nil, badRequest("Search without a Search body")
	}
	store := child(req.root, wbxml.SearchStore)
	if store == nil {
		return box(wbxml.SearchSearch, num(wbxml.SearchStatus, 2)), nil
	}
	out := box(wbxml.SearchStore)
	if !strings.EqualFold(text(store, wbxml.SearchName), "GAL") {
		add(out, num(wbxml.SearchStatus, 3))
		return box(wbxml.SearchSearch, num(wbxml.SearchStatus, 1), box(wbxml.SearchResponse, out)), nil
	}
	q := strings.ToLower(text(store, wbxml.SearchQuery))
	lo, hi := 0, 99
	if rng := text(child(store, wbxml.SearchOptions), wbxml.SearchRange); rng != "" {
		a, b, _ := strings.Cut(rng, "-")
		lo, _ = strconv.Atoi(a)
		hi, _ = strconv.Atoi(b)
	}
	s.mu.Lock()
	var hits []*user
	for _, u := range s.sortedUsers() {
		hay := strings.ToLower(strings.Join([]string{u.Name, u.Email, u.DisplayName, u.FirstName, u.LastName}, "\x00"))
		if q != "" && strings.Contains(hay, q) {
			hits = append(hits, u)
		}
	}
	s.mu.Unlock()
	add(out, num(wbxml.SearchStatus, 1))
	n := 0
	for i, u := range hits {
		if i < lo || i > hi {
			continue
		}
		n++
		add(out, box(wbxml.SearchResult, box(wbxml.SearchProperties,
			el(wbxml.GALDisplayName, u.DisplayName), el(wbxml.GALEmailAddress, u.Email),
			nonEmpty(wbxml.GALFirstName, u.FirstName), nonEmpty(wbxml.GALLastName, u.LastName),
			nonEmpty(wbxml.GALPhone, u.Phone), el(wbxml.GALAlias, u.Name))))
	}
	if n == 0 {
		add(out, el(wbxml.SearchResult, ""))
	} else {
		add(out, el(wbxml.SearchRange, strconv.Itoa(lo)+"-"+strconv.Itoa(lo+n-1)))
	}
	add(out, num(wbxml.SearchTotal, len(hits)))
	return box(wbxml.SearchSearch, num(wbxml.SearchStatus, 1), box(wbxml.SearchResponse, out)), nil
}

func nonEmpty(t wbxml.Tag, s string) *wbxml.Node {
	if s == "" {
		return nil
	}
	return el(t, s)
}

// sortedUsers returns each user once, by name. Callers hold s.mu.
func (s *Server) sortedUsers() []*user {
	seen := map[*user]bool{}
	var out []*user
	for _, u := range s.users {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Name < out[j-1].Name; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// multipartBody encodes an ItemOperations answer in the multipart form of
// MS-ASCMD 2.2.1.10.1.1: every fetched Data (attachment data, or a body's
// data) becomes a binary part referenced by an ItemOperations:Part index,
// part 0 being the WBXML answer itself. The structure is PartsCount, then
// an offset and a length per part (little-endian 32-bit integers, offsets
// from the start of the structure), then the parts.
func multipartBody(resp *wbxml.Node) ([]byte, error) {
	parts := [][]byte{nil}
	var walk func(n *wbxml.Node, inFetch bool)
	walk = func(n *wbxml.Node, inFetch bool) {
		for _, c := range n.Children {
			switch {
			case c.Tag == wbxml.ItemOperationsData:
				raw, err := base64.StdEncoding.DecodeString(string(c.Text))
				if err != nil {
					raw = c.Text
				}
				parts = append(parts, raw)
			case c.Tag == wbxml.AirSyncBaseData && inFetch && n.Tag == wbxml.AirSyncBaseBody:
				parts = append(parts, c.Text)
			default:
				walk(c, inFetch || c.Tag == wbxml.ItemOperationsFetch)
				continue
			}
			c.Tag, c.Opaque = wbxml.ItemOperationsPart, false
			c.Text = []byte(strconv.Itoa(len(parts) - 1))
		}
	}
	walk(resp, false)
	doc, err := encode(resp)
	if err != nil {
		return nil, err
	}
	parts[0] = doc
	head := 4 + 8*len(parts)
	out := make([]byte, head)
	binary.LittleEndian.PutUint32(out, uint32(len(parts)))
	off := head
	for i, p := range parts {
		binary.LittleEndian.PutUint32(out[4+8*i:], uint32(off))
		binary.LittleEndian.PutUint32(out[8+8*i:], uint32(len(p)))
		off += len(p)
	}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
}
