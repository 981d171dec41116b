package store

import (
	"context"
	"testing"
)

// TestItemsKeepMessageID checks that a mail mapping keeps the Message-ID
// recorded at delivery when a later change (a flag update) carries none,
// and that Items and ItemCount list the mappings.
func TestItemsKeepMessageID(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	c := mustCollection(t, s, "INBOX", KindMail)
	err := s.ApplySync(ctx, c.ID, "0", "1", nil, []ServerItemChange{
		{Op: ServerAdd, ServerID: "5:1", LocalID: "k1", Base: []byte("S"), MessageID: "<a@x>"},
		{Op: ServerAdd, ServerID: "5:2", LocalID: "k2", Base: []byte("")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ApplySync(ctx, c.ID, "1", "2", nil, []ServerItemChange{{Op: ServerChange, ServerID: "5:1", Base: []byte("FS")}}); err != nil {
		t.Fatal(err)
	}
	items, err := s.Items(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].LocalID != "k1" || items[0].MessageID != "<a@x>" || string(items[0].Base) != "FS" || items[1].MessageID != "" {
		t.Fatalf("items: %+v", items)
	}
	if n, err := s.ItemCount(ctx, c.ID); err != nil || n != 2 {
		t.Fatalf("count %d, %v", n, err)
	}
}
