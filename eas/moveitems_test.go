package eas

import (
	"context"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

func TestMoveItems(t *testing.T) {
	f := newFake(t)
	f.on("MoveItems", reply(el(wbxml.MoveMoveItems,
		el(wbxml.MoveResponse, el(wbxml.MoveSrcMsgId, "1"), el(wbxml.MoveStatus, "3"), el(wbxml.MoveDstMsgId, "41")),
		el(wbxml.MoveResponse, el(wbxml.MoveSrcMsgId, "2"), el(wbxml.MoveStatus, "1")))))
	c := newTestClient(t, f, nil)
	res, err := c.MoveItems(context.Background(), []Move{{"1", "inbox", "trash"}, {"2", "inbox", "trash"}})
	if err != nil || len(res) != 2 || !res[0].OK() || res[0].DstMsgID != "41" || res[1].OK() {
		t.Fatalf("%+v %v", res, err)
	}
	req := f.requests("MoveItems")[0].Body
	if len(req.Children) != 2 || text(req.Children[1], wbxml.MoveSrcMsgId) != "2" || text(req, wbxml.MoveDstFldId) != "trash" {
		t.Errorf("request %s", req.XML())
	}
}
