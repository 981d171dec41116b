package eas

import (
	"context"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

func TestGetItemEstimate(t *testing.T) {
	for _, versions := range []string{"14.1", "12.1"} {
		f := newFake(t)
		f.versions = versions
		f.on("GetItemEstimate", reply(el(wbxml.GetItemEstimateGetItemEstimate,
			el(wbxml.GetItemEstimateResponse, el(wbxml.GetItemEstimateStatus, "1"),
				el(wbxml.GetItemEstimateCollection, el(wbxml.GetItemEstimateCollectionId, "inbox"), el(wbxml.GetItemEstimateEstimate, "17"))),
			el(wbxml.GetItemEstimateResponse, el(wbxml.GetItemEstimateStatus, "2"),
				el(wbxml.GetItemEstimateCollection, el(wbxml.GetItemEstimateCollectionId, "gone"))))))
		c := newTestClient(t, f, nil)
		est, err := c.GetItemEstimate(context.Background(), []EstimateRequest{{CollectionID: "inbox", SyncKey: "k", Class: ClassEmail}, {CollectionID: "gone", SyncKey: "k"}})
		if err != nil || len(est) != 2 || est[0] != (Estimate{"inbox", 1, 17}) || est[1].Status != 2 {
			t.Fatalf("%s: %+v %v", versions, est, err)
		}
		col := child(f.requests("GetItemEstimate")[0].Body, wbxml.GetItemEstimateCollection)
		hasOptions := child(col, wbxml.AirSyncOptions) != nil
		if hasOptions != (versions == "14.1") || text(col, wbxml.AirSyncSyncKey) != "k" || (versions == "12.1") != (text(col, wbxml.GetItemEstimateClass) == "Email") {
			t.Errorf("%s request %s", versions, col.XML())
		}
	}
}
