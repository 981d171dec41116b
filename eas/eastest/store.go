package eastest

import (
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// Folder types of MS-ASCMD 2.2.3.186.3 used by the default folder tree.
const (
	TypeUserGeneric  = 1
	TypeInbox        = 2
	TypeDrafts       = 3
	TypeDeletedItems = 4
	TypeSentItems    = 5
	TypeOutbox       = 6
	TypeTasks        = 7
	TypeCalendar     = 8
	TypeContacts     = 9
	TypeNotes        = 10
	TypeUserMail     = 12
	TypeUserCalendar = 13
	TypeUserContacts = 14
	TypeUserTasks    = 15
	TypeUserNotes    = 17
)

// ErrNotFound is returned for an unknown user, folder or item.
var ErrNotFound = errors.New("eastest: not found")

// user is an account with its folders and devices.
type user struct {
	User
	folders    map[string]*folder
	nextFolder int
	devices    map[string]*device
}

// folder is one collection. seq changes when the folder is renamed or moved.
type folder struct {
	id, parent, name string
	typ              int
	seq              uint64
	items            map[string]*record
	next             int
}

// record is one item. Items put in by tests are kept typed (item) and
// encoded for the version of each request; items sent by a client are kept
// as the ApplicationData it sent (data); mail also keeps its MIME source.
type record struct {
	id        string
	seq       uint64
	class     eas.Class
	item      eas.Item
	data      *wbxml.Node
	ver       eas.Version
	mime      []byte
	clientUID string
}

// FolderInfo describes a folder, as listed by Folders.
type FolderInfo struct {
	ID, ParentID, Name string
	Type               int
}

// defaultFolders is the tree every new user gets (MS-ASCMD 2.2.3.186.3).
var defaultFolders = []struct {
	name string
	typ  int
}{
	{"Inbox", TypeInbox}, {"Drafts", TypeDrafts}, {"Deleted Items", TypeDeletedItems},
	{"Sent Items", TypeSentItems}, {"Outbox", TypeOutbox}, {"Tasks", TypeTasks},
	{"Calendar", TypeCalendar}, {"Contacts", TypeContacts}, {"Notes", TypeNotes},
	{"Junk Email", TypeUserMail},
}

// classOf returns the item class a folder of type typ holds.
func classOf(typ int) eas.Class {
	switch typ {
	case TypeTasks, TypeUserTasks:
		return eas.ClassTasks
	case TypeCalendar, TypeUserCalendar:
		return eas.ClassCalendar
	case TypeContacts, TypeUserContacts:
		return eas.ClassContacts
	case TypeNotes, TypeUserNotes:
		return eas.ClassNotes
	}
	return eas.ClassEmail
}

// special reports whether a folder type is a default folder that clients
// may not rename or delete (MS-ASCMD 2.2.3.177.3 status 3).
func special(typ int) bool { return typ >= TypeInbox && typ <= TypeNotes }

// AddUser adds an account with the default folder tree.
func (s *Server) AddUser(u User) error {
	if u.Name == "" {
		return errors.New("eastest: user without a name")
	}
	if u.Email == "" {
		u.Email = u.Name + "@example.test"
	}
	if u.DisplayName == "" {
		u.DisplayName = u.Name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lookupUser(u.Name) != nil || s.lookupUser(u.Email) != nil {
		return fmt.Errorf("eastest: user %q exists", u.Name)
	}
	nu := &user{User: u, folders: map[string]*folder{}, devices: map[string]*device{}}
	for _, f := range defaultFolders {
		nu.addFolder(s, "0", f.name, f.typ)
	}
	s.users[lower(u.Name)] = nu
	s.users[lower(u.Email)] = nu
	return nil
}

func (u *user) addFolder(s *Server, parent, name string, typ int) *folder {
	u.nextFolder++
	f := &folder{id: strconv.Itoa(u.nextFolder), parent: parent, name: name, typ: typ,
		seq: s.changed(), items: map[string]*record{}}
	u.folders[f.id] = f
	return f
}

// folderOfType returns the first folder of type typ (lowest id), or nil.
func (u *user) folderOfType(typ int) *folder {
	var best *folder
	for _, f := range u.folders {
		if f.typ == typ && (best == nil || idLess(f.id, best.id)) {
			best = f
		}
	}
	return best
}

func idLess(a, b string) bool {
	ai, err1 := strconv.Atoi(a)
	bi, err2 := strconv.Atoi(b)
	if err1 == nil && err2 == nil {
		return ai < bi
	}
	return a < b
}

// sortedFolders returns the folders in id order, parents before children.
func (u *user) sortedFolders() []*folder {
	out := make([]*folder, 0, len(u.folders))
	for _, f := range u.folders {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return idLess(out[i].id, out[j].id) })
	return out
}

// sortedItems returns the items of f in the order they were created.
func (f *folder) sortedItems() []*record {
	out := make([]*record, 0, len(f.items))
	for _, r := range f.items {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return itemLess(out[i].id, out[j].id) })
	return out
}

func itemLess(a, b string) bool {
	_, an, _ := cutLast(a)
	_, bn, _ := cutLast(b)
	ai, err1 := strconv.Atoi(an)
	bi, err2 := strconv.Atoi(bn)
	if err1 == nil && err2 == nil {
		return ai < bi
	}
	return a < b
}

func cutLast(id string) (string, string, bool) {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == ':' {
			return id[:i], id[i+1:], true
		}
	}
	return "", id, false
}

// put stores r in f under a new ServerId ("folder:n").
func (f *folder) put(s *Server, r *record) *record {
	f.next++
	r.id = f.id + ":" + strconv.Itoa(f.next)
	r.seq = s.changed()
	if r.class == "" {
		r.class = classOf(f.typ)
	}
	f.items[r.id] = r
	return r
}

// userFolder resolves a user and a folder id. Callers hold s.mu.
func (s *Server) userFolder(name, folderID string) (*user, *folder, error) {
	u := s.lookupUser(name)
	if u == nil {
		return nil, nil, fmt.Errorf("eastest: user %q: %w", name, ErrNotFound)
	}
	f := u.folders[folderID]
	if f == nil {
		return u, nil, fmt.Errorf("eastest: folder %q of %q: %w", folderID, name, ErrNotFound)
	}
	return u, f, nil
}

// Folders lists the folders of a user in id order.
func (s *Server) Folders(userName string) []FolderInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userName)
	if u == nil {
		return nil
	}
	var out []FolderInfo
	for _, f := range u.sortedFolders() {
		out = append(out, FolderInfo{ID: f.id, ParentID: f.parent, Name: f.name, Type: f.typ})
	}
	return out
}

// FolderID returns the id of the user's first folder of type typ, or "".
func (s *Server) FolderID(userName string, typ int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userName)
	if u == nil {
		return ""
	}
	if f := u.folderOfType(typ); f != nil {
		return f.id
	}
	return ""
}

// AddFolder creates a folder on the server side (parentID "0" for the top).
func (s *Server) AddFolder(userName, parentID, name string, typ int) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userName)
	if u == nil {
		return "", fmt.Errorf("eastest: user %q: %w", userName, ErrNotFound)
	}
	if parentID != "0" && u.folders[parentID] == nil {
		return "", fmt.Errorf("eastest: parent folder %q: %w", parentID, ErrNotFound)
	}
	return u.addFolder(s, parentID, name, typ).id, nil
}

// RenameFolder renames or moves a folder on the server side (parentID "0"
// for the top); devices see an Update at their next FolderSync.
func (s *Server) RenameFolder(userName, folderID, parentID, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, f, err := s.userFolder(userName, folderID)
	if err != nil {
		return err
	}
	if parentID != "0" && (u.folders[parentID] == nil || u.isBelow(parentID, f.id)) {
		return fmt.Errorf("eastest: parent folder %q: %w", parentID, ErrNotFound)
	}
	f.name, f.parent, f.seq = name, parentID, s.changed()
	return nil
}

// RemoveFolder deletes a folder and its subfolders on the server side.
func (s *Server) RemoveFolder(userName, folderID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, f, err := s.userFolder(userName, folderID)
	if err != nil {
		return err
	}
	u.removeFolder(f.id)
	s.changed()
	return nil
}

func (u *user) removeFolder(id string) {
	delete(u.folders, id)
	for _, f := range u.folders {
		if f.parent == id {
			u.removeFolder(f.id)
		}
	}
}

// AddItem stores it in a folder, as if another client had created it, and
// returns its ServerId.
func (s *Server) AddItem(userName, folderID string, it eas.Item) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, f, err := s.userFolder(userName, folderID)
	if err != nil {
		return "", err
	}
	r := f.put(s, &record{item: it, class: it.Class()})
	r.clientUID = itemClientUID(r)
	return r.id, nil
}

// ChangeItem replaces the content of an item with it.
func (s *Server) ChangeItem(userName, folderID, serverID string, it eas.Item) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, f, err := s.userFolder(userName, folderID)
	if err != nil {
		return err
	}
	r := f.items[serverID]
	if r == nil {
		return fmt.Errorf("eastest: item %q: %w", serverID, ErrNotFound)
	}
	r.item, r.data, r.mime = it, nil, nil
	r.seq = s.changed()
	return nil
}

// DeleteItem removes an item.
func (s *Server) DeleteItem(userName, folderID, serverID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, f, err := s.userFolder(userName, folderID)
	if err != nil {
		return err
	}
	if f.items[serverID] == nil {
		return fmt.Errorf("eastest: item %q: %w", serverID, ErrNotFound)
	}
	delete(f.items, serverID)
	s.changed()
	return nil
}

// DeliverMail puts an RFC 5322 message into the user's Inbox, unread, and
// returns its ServerId.
func (s *Server) DeliverMail(userName string, msg []byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userName)
	if u == nil {
		return "", fmt.Errorf("eastest: user %q: %w", userName, ErrNotFound)
	}
	return s.deliverLocked(u, TypeInbox, msg, false)
}

// DeliverMailTo stores msg as an unread mail in the given mail folder of
// the user (a user-created one, say) and returns its ServerId.
func (s *Server) DeliverMailTo(userName, folderID string, msg []byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(userName)
	if u == nil {
		return "", fmt.Errorf("eastest: user %q: %w", userName, ErrNotFound)
	}
	f := u.folders[folderID]
	if f == nil {
		return "", fmt.Errorf("eastest: folder %q: %w", folderID, ErrNotFound)
	}
	data, err := mailData(msg, false)
	if err != nil {
		return "", err
	}
	r := f.put(s, &record{data: data, mime: append([]byte(nil), msg...), ver: eas.V161})
	return r.id, nil
}

// deliverLocked stores msg as a mail in the user's first folder of type typ.
func (s *Server) deliverLocked(u *user, typ int, msg []byte, read bool) (string, error) {
	f := u.folderOfType(typ)
	if f == nil {
		return "", fmt.Errorf("eastest: no folder of type %d: %w", typ, ErrNotFound)
	}
	data, err := mailData(msg, read)
	if err != nil {
		return "", err
	}
	r := f.put(s, &record{data: data, mime: append([]byte(nil), msg...), ver: eas.V161})
	return r.id, nil
}

// Item returns an item decoded into its eas type (via eas.DecodeItem for
// items a client sent).
func (s *Server) Item(userName, folderID, serverID string) (eas.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, f, err := s.userFolder(userName, folderID)
	if err != nil {
		return nil, err
	}
	r := f.items[serverID]
	if r == nil {
		return nil, fmt.Errorf("eastest: item %q: %w", serverID, ErrNotFound)
	}
	if r.item != nil {
		return r.item, nil
	}
	return decodeItemNode(r.data, r.class, r.ver)
}

// ItemIDs lists the ServerIds of a folder in creation order.
func (s *Server) ItemIDs(userName, folderID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, f, err := s.userFolder(userName, folderID)
	if err != nil {
		return nil
	}
	var out []string
	for _, r := range f.sortedItems() {
		out = append(out, r.id)
	}
	return out
}

// MIME returns the MIME source of a mail item (nil if it has none).
func (s *Server) MIME(userName, folderID, serverID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, f, err := s.userFolder(userName, folderID)
	if err != nil || f.items[serverID] == nil {
		return nil
	}
	return append([]byte(nil), f.items[serverID].mime...)
}

// findItem looks an item up in any folder of u.
func (u *user) findItem(id string) (*folder, *record) {
	if fid, _, ok := cutLast(id); ok {
		if f := u.folders[fid]; f != nil && f.items[id] != nil {
			return f, f.items[id]
		}
	}
	for _, f := range u.folders {
		if r := f.items[id]; r != nil {
			return f, r
		}
	}
	return nil, nil
}

// move moves r from src to dst under a new ServerId.
func (s *Server) move(src, dst *folder, r *record) *record {
	delete(src.items, r.id)
	return dst.put(s, r)
}
