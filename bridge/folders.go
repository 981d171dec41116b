package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/easbridge/easbridge/bridge/store"
	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/maildir"
)

// metaFolderSyncKey is the store's meta key of the FolderSync SyncKey
// (store.FolderSyncKey reads it; store.CompleteFolderChange moves it).
const metaFolderSyncKey = "folder-sync-key"

// kindOf maps an EAS folder type to the kind of collection that mirrors
// it; ok is false for folders the bridge does not mirror (the Outbox,
// which SendMail replaces, the recipient cache, generic and unknown
// folders, EAS journals).
func kindOf(t eas.FolderType) (store.Kind, bool) {
	switch t {
	case eas.FolderCalendar, eas.FolderUserCalendar:
		return store.KindEvents, true
	case eas.FolderTasks, eas.FolderUserTasks:
		return store.KindTasks, true
	case eas.FolderNotes, eas.FolderUserNotes:
		return store.KindJournal, true
	case eas.FolderContacts, eas.FolderUserContacts:
		return store.KindContacts, true
	case eas.FolderInbox, eas.FolderDrafts, eas.FolderDeleted, eas.FolderSent, eas.FolderUserMail:
		return store.KindMail, true
	}
	return "", false
}

// Mirrored says whether the bridge mirrors folders of type t (setup lists
// them for the user to choose from).
func Mirrored(t eas.FolderType) bool {
	_, ok := kindOf(t)
	return ok
}

// folderTypeOf is the EAS type of a user-created folder of kind k
// (FolderCreate, MS-ASCMD 2.2.3.186.2).
func folderTypeOf(k store.Kind) eas.FolderType {
	switch k {
	case store.KindEvents:
		return eas.FolderUserCalendar
	case store.KindTasks:
		return eas.FolderUserTasks
	case store.KindJournal:
		return eas.FolderUserNotes
	case store.KindContacts:
		return eas.FolderUserContacts
	}
	return eas.FolderUserMail
}

// classOf is the EAS class of the items of a collection kind.
func classOf(k store.Kind) eas.Class {
	switch k {
	case store.KindEvents:
		return eas.ClassCalendar
	case store.KindTasks:
		return eas.ClassTasks
	case store.KindJournal:
		return eas.ClassNotes
	case store.KindContacts:
		return eas.ClassContacts
	}
	return eas.ClassEmail
}

// defaultNames are the URL segments of the default folders.
var defaultNames = map[eas.FolderType]string{
	eas.FolderCalendar: "calendar",
	eas.FolderTasks:    "tasks",
	eas.FolderNotes:    "notes",
	eas.FolderContacts: "contacts",
	eas.FolderInbox:    inboxName,
}

// collectionName picks the collection name of a server folder: the default
// folders have fixed names, others a slug of their display name, mail
// folders a "mail-" prefix so they never collide with a DAV collection.
func collectionName(f eas.Folder, k store.Kind) string {
	if n, ok := defaultNames[f.Type]; ok {
		return n
	}
	var b strings.Builder
	if k == store.KindMail {
		b.WriteString("mail-")
	}
	for _, r := range strings.ToLower(f.DisplayName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ' || r == '.':
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 || b.String() == "mail-" {
		b.WriteString("folder-" + slug(f.ServerID))
	}
	return b.String()
}

// slug keeps the letters and digits of s.
func slug(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// syncFolders carries local folder changes to the server, then runs
// FolderSync and mirrors what it reports (MS-ASCMD 2.2.1.5).
func (e *Engine) syncFolders(ctx context.Context) error {
	if err := e.pushFolderChanges(ctx); err != nil {
		return err
	}
	key, err := e.st.FolderSyncKey(ctx)
	if err != nil {
		return err
	}
	fc, err := e.c.FolderSync(ctx, key)
	if errors.Is(err, eas.ErrInvalidSyncKey) && key != "0" {
		e.log.Warn("folder sync key rejected, resyncing the hierarchy")
		key = "0"
		fc, err = e.c.FolderSync(ctx, key)
	}
	if err != nil {
		return fmt.Errorf("bridge: folder sync: %w", err)
	}
	seen := map[string]bool{}
	for _, f := range append(fc.Added, fc.Updated...) {
		seen[f.ServerID] = true
		if err := e.mirrorFolder(ctx, f); err != nil {
			return err
		}
	}
	for _, id := range fc.Deleted {
		if err := e.dropFolder(ctx, id); err != nil {
			return err
		}
	}
	colls, err := e.st.Collections(ctx)
	if err != nil {
		return err
	}
	for _, c := range colls {
		// A folder the configuration now leaves out (skip_folders changed
		// since it was mirrored) goes without waiting for the server to
		// report it again.
		if c.ServerID != "" && !seen[c.ServerID] && e.skipped(eas.Folder{DisplayName: c.DisplayName}) {
			if err := e.dropFolder(ctx, c.ServerID); err != nil {
				return err
			}
		}
	}
	if key == "0" {
		// A full hierarchy: folders the store knows and the server no
		// longer lists are gone.
		for _, c := range colls {
			if c.ServerID != "" && !seen[c.ServerID] && !e.skipped(eas.Folder{DisplayName: c.DisplayName}) {
				if err := e.dropFolder(ctx, c.ServerID); err != nil {
					return err
				}
			}
		}
	}
	if fc.SyncKey != key {
		if err := e.st.SetMeta(ctx, metaFolderSyncKey, fc.SyncKey); err != nil {
			return err
		}
	}
	e.needFolderSync = false
	return nil
}

// mirrorFolder creates or updates the collection of a server folder.
// Repeating it is harmless, so a crash before the FolderSync key is saved
// only makes the next FolderSync report the folder again.
func (e *Engine) mirrorFolder(ctx context.Context, f eas.Folder) error {
	k, ok := kindOf(f.Type)
	if !ok {
		return nil
	}
	if f.Type == eas.FolderSent {
		// Where Send looks for a message whose SendMail got no answer.
		if err := e.st.SetMeta(ctx, metaSentFolder, f.ServerID); err != nil {
			return err
		}
	}
	if e.skipped(f) {
		// Possibly mirrored before (the list changed, or the folder was
		// renamed into it): the local copy goes, the server keeps it.
		return e.dropFolder(ctx, f.ServerID)
	}
	c, err := e.st.CollectionByServerID(ctx, f.ServerID)
	if err == nil {
		name := f.DisplayName
		parent := f.ParentID
		if c.Kind == store.KindMail && e.cfg.Maildir != nil && (c.DisplayName != name || c.ParentServerID != parent) {
			return e.moveMailFolder(ctx, c, name, parent)
		}
		return e.st.UpdateCollection(ctx, c.Name, store.CollectionUpdate{DisplayName: &name, ParentServerID: &parent}, false)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	name := collectionName(f, k)
	if old, err := e.st.CollectionByName(ctx, name); err == nil {
		if old.ServerID == "" && old.Kind == k {
			// Made on the desktop and not yet known to the server under
			// this id (or the serve-dav defaults): adopt it.
			id, parent := f.ServerID, f.ParentID
			return e.st.UpdateCollection(ctx, name, store.CollectionUpdate{ServerID: &id, ParentServerID: &parent}, false)
		}
		name += "-" + slug(f.ServerID)
	}
	_, err = e.st.CreateCollection(ctx, store.Collection{
		Name: name, Kind: k, DisplayName: f.DisplayName, ServerID: f.ServerID, ParentServerID: f.ParentID, SyncKey: "0",
	}, false)
	if err != nil {
		return fmt.Errorf("bridge: mirroring folder %q: %w", f.DisplayName, err)
	}
	e.log.Info("folder mirrored", "collection", name, "kind", string(k))
	return nil
}

// skipped says whether the configuration leaves f out of the mirror.
func (e *Engine) skipped(f eas.Folder) bool {
	for _, name := range e.cfg.SkipFolders {
		if strings.EqualFold(strings.TrimSpace(name), f.DisplayName) {
			return true
		}
	}
	return false
}

// dropFolder removes the collection of a folder deleted on the server.
func (e *Engine) dropFolder(ctx context.Context, serverID string) error {
	c, err := e.st.CollectionByServerID(ctx, serverID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	e.log.Info("folder removed on the server", "collection", c.Name)
	var mailFolder maildir.Folder
	if c.Kind == store.KindMail && e.cfg.Maildir != nil {
		if mailFolder, err = e.mailFolder(ctx, c); err != nil {
			return err
		}
	}
	if err := e.st.DeleteCollection(ctx, c.Name, false); err != nil {
		return err
	}
	if mailFolder == "" || mailFolder == maildir.Inbox {
		return nil
	}
	// The mirror follows the server: the folder's messages are gone there
	// (or, skipped, no longer mirrored). A crash before this line leaves
	// the folder behind, unmapped, which the next start does not send.
	err = e.cfg.Maildir.DeleteFolder(ctx, mailFolder)
	if err != nil && !errors.Is(err, maildir.ErrNotFound) {
		return fmt.Errorf("bridge: removing mail folder %s: %w", mailFolder, err)
	}
	return nil
}

// moveMailFolder follows a mail folder renamed or moved on the server:
// its Maildir folder (messages, subfolders) is renamed with it, so the
// messages keep their mappings. Computing the new path without renaming
// would leave every message behind, and the next reconcile would take
// them for deleted by the user.
func (e *Engine) moveMailFolder(ctx context.Context, c store.Collection, name, parent string) error {
	from, err := e.mailFolder(ctx, c)
	if err != nil {
		return err
	}
	moved := c
	moved.DisplayName, moved.ParentServerID = name, parent
	to, err := e.mailFolder(ctx, moved)
	if err != nil {
		return err
	}
	// The Maildir first: a crash after it leaves the store on the old
	// name, the FolderSync key unsaved, and the server reporting the
	// rename again, which then finds the folder already moved.
	if from != to && from != maildir.Inbox && to != maildir.Inbox {
		e.log.Info("mail folder renamed on the server", "from", string(from), "to", string(to))
		err := e.cfg.Maildir.RenameFolder(ctx, from, to)
		if err != nil && !errors.Is(err, maildir.ErrNotFound) {
			return fmt.Errorf("bridge: renaming mail folder %s to %s: %w", from, to, err)
		}
	}
	return e.st.UpdateCollection(ctx, c.Name, store.CollectionUpdate{DisplayName: &name, ParentServerID: &parent}, false)
}

// pushFolderChanges sends the collections created, renamed or deleted on
// the desktop (FolderCreate, FolderUpdate, FolderDelete). A change the
// server refuses is logged and left queued; it does not stop the sync.
func (e *Engine) pushFolderChanges(ctx context.Context) error {
	changes, err := e.st.FolderChanges(ctx)
	if err != nil {
		return err
	}
	for _, fc := range changes {
		key, err := e.st.FolderSyncKey(ctx)
		if err != nil {
			return err
		}
		if key == "0" {
			return nil // the hierarchy must be known first
		}
		var serverID, newKey string
		c := fc.Collection
		parent := c.ParentServerID
		if parent == "" {
			parent = "0"
		}
		name := c.DisplayName
		if name == "" {
			name = c.Name
		}
		switch fc.Op {
		case "create":
			serverID, newKey, err = e.c.FolderCreate(ctx, key, parent, name, folderTypeOf(c.Kind))
		case "update":
			newKey, err = e.c.FolderUpdate(ctx, key, c.ServerID, parent, name)
		case "delete":
			newKey, err = e.c.FolderDelete(ctx, key, c.ServerID)
		default:
			continue
		}
		if err != nil {
			if errors.Is(err, eas.ErrInvalidSyncKey) {
				return e.st.SetMeta(ctx, metaFolderSyncKey, "0")
			}
			e.log.Warn("folder change refused", "op", fc.Op, "collection", c.Name, "err", err)
			continue
		}
		if err := e.st.CompleteFolderChange(ctx, fc, serverID, key, newKey); err != nil {
			return err
		}
	}
	return nil
}
