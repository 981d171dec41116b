package eas

import (
	"context"
	"errors"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

func TestSearchGAL(t *testing.T) {
	f := newFake(t)
	f.on("Search", reply(el(wbxml.SearchSearch, el(wbxml.SearchStatus, "1"), el(wbxml.SearchResponse, el(wbxml.SearchStore,
		el(wbxml.SearchStatus, "1"),
		el(wbxml.SearchResult, el(wbxml.SearchProperties, el(wbxml.GALDisplayName, "Test User 2"), el(wbxml.GALEmailAddress, "user2@example.test"),
			el(wbxml.GALPhone, "+1 555 0002"), el(wbxml.GALPicture, el(wbxml.GALStatus, "173")))),
		el(wbxml.SearchResult),
		el(wbxml.SearchRange, "0-0"), el(wbxml.SearchTotal, "1"))))))
	c := newTestClient(t, f, nil)
	res, err := c.SearchGAL(context.Background(), "user2", 10)
	if err != nil || res.Total != 1 || len(res.Entries) != 1 || res.Entries[0].EmailAddress != "user2@example.test" || res.Entries[0].Phone != "+1 555 0002" {
		t.Fatalf("%+v %v", res, err)
	}
	req := f.requests("Search")[0].Body
	if text(req, wbxml.SearchName) != "GAL" || text(req, wbxml.SearchQuery) != "user2" || text(req, wbxml.SearchRange) != "0-9" {
		t.Errorf("request %s", req.XML())
	}
	f.on("Search", reply(el(wbxml.SearchSearch, el(wbxml.SearchStatus, "3"))))
	if _, err := c.SearchGAL(context.Background(), "x", 0); !errors.Is(err, ErrUnavailable) {
		t.Errorf("status 3: %v", err)
	}
}
