package main

import (
	"bytes"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// doc encodes a document built by fn.
func doc(t *testing.T, fn func(e *wbxml.Encoder)) []byte {
	t.Helper()
	var b bytes.Buffer
	e := wbxml.NewEncoder(&b)
	fn(e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func syncCollection(e *wbxml.Encoder, id, key string, items int) {
	e.Start(wbxml.AirSyncCollection)
	e.Element(wbxml.AirSyncSyncKey, key)
	e.Element(wbxml.AirSyncCollectionId, id)
	if items > 0 {
		e.Start(wbxml.AirSyncCommands)
		for range items {
			e.Start(wbxml.AirSyncAdd)
			e.Element(wbxml.AirSyncServerId, "x")
			e.Start(wbxml.AirSyncApplicationData)
			e.Element(wbxml.EmailSubject, "not a key")
			e.End()
			e.End()
		}
		e.End()
		e.Empty(wbxml.AirSyncMoreAvailable)
	}
	e.End()
}

func TestFloorLearnsAndPutsKeys(t *testing.T) {
	f := &floor{keys: map[string]string{}}
	// The server's answers: a hierarchy key and two collection keys.
	for _, answer := range [][]byte{
		doc(t, func(e *wbxml.Encoder) {
			e.Start(wbxml.FolderHierarchyFolderSync)
			e.Element(wbxml.FolderHierarchyStatus, "1")
			e.Element(wbxml.FolderHierarchySyncKey, "h1")
			e.End()
		}),
		doc(t, func(e *wbxml.Encoder) {
			e.Start(wbxml.AirSyncSync)
			e.Start(wbxml.AirSyncCollections)
			syncCollection(e, "mail/INBOX", "m2", 3)
			syncCollection(e, "vevent/personal", "c2", 0)
			e.End()
			e.End()
		}),
	} {
		if err := f.learnKeys(bytes.NewReader(answer)); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{"": "h1", "mail/INBOX": "m2", "vevent/personal": "c2"}
	for k, v := range want {
		if f.keys[k] != v {
			t.Errorf("key of %q = %q, want %q (all: %v)", k, f.keys[k], v, f.keys)
		}
	}
	if err := f.learnKeys(bytes.NewReader(nil)); err != nil {
		t.Errorf("an empty answer (no changes): %v", err)
	}
	// A recorded request: the bridge's keys become the floor's; 0 stays 0.
	req := doc(t, func(e *wbxml.Encoder) {
		e.Start(wbxml.AirSyncSync)
		e.Start(wbxml.AirSyncCollections)
		syncCollection(e, "mail/INBOX", "bridge-m2", 0)
		syncCollection(e, "vevent/personal", "0", 0)
		syncCollection(e, "vcard/personal", "bridge-k", 0)
		e.End()
		e.End()
	})
	out, err := f.rekey(req)
	if err != nil {
		t.Fatal(err)
	}
	root, err := wbxml.Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range root.Children[0].Children {
		got[string(c.Children[1].Text)] = string(c.Children[0].Text)
	}
	want = map[string]string{"mail/INBOX": "m2", "vevent/personal": "0", "vcard/personal": "bridge-k"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("replayed key of %q = %q, want %q", k, got[k], v)
		}
	}
	if _, err := f.rekey([]byte("not wbxml")); err == nil {
		t.Error("a body that is not WBXML was accepted")
	}
}
