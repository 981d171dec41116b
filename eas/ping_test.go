package eas

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

func TestPingStatuses(t *testing.T) {
	tests := []struct {
		name   string
		resp   *wbxml.Node
		status PingStatus
		is     error
		check  func(*PingResult) bool
	}{
		{"expired", el(wbxml.PingPing, el(wbxml.PingStatus, "1")), PingExpired, nil, nil},
		{"changes", el(wbxml.PingPing, el(wbxml.PingStatus, "2"), el(wbxml.PingFolders, el(wbxml.PingFolder, "inbox"), el(wbxml.PingFolder, "cal"))), PingChanges, nil,
			func(r *PingResult) bool { return len(r.Folders) == 2 && r.Folders[1] == "cal" }},
		{"missing params", el(wbxml.PingPing, el(wbxml.PingStatus, "3")), PingMissingParams, errPingParams, nil},
		{"syntax", el(wbxml.PingPing, el(wbxml.PingStatus, "4")), PingSyntaxError, errPingSyntax, nil},
		{"heartbeat bounds", el(wbxml.PingPing, el(wbxml.PingStatus, "5"), el(wbxml.PingHeartbeatInterval, "3540")), PingBadHeartbeat, nil,
			func(r *PingResult) bool { return r.HeartbeatInterval == 3540*time.Second }},
		{"too many folders", el(wbxml.PingPing, el(wbxml.PingStatus, "6"), el(wbxml.PingMaxFolders, "50")), PingTooManyFolders, nil,
			func(r *PingResult) bool { return r.MaxFolders == 50 }},
		{"hierarchy", el(wbxml.PingPing, el(wbxml.PingStatus, "7")), PingHierarchyStale, ErrHierarchyChanged, nil},
		{"server error", el(wbxml.PingPing, el(wbxml.PingStatus, "8")), PingServerError, ErrUnavailable, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.on("Ping", reply(tt.resp))
			c := newTestClient(t, f, nil)
			res, err := c.Ping(context.Background(), 480*time.Second, []PingFolder{{"inbox", ClassEmail}, {"cal", ClassCalendar}})
			if tt.is == nil && err != nil || tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if res == nil || res.Status != tt.status || tt.check != nil && !tt.check(res) {
				t.Errorf("result %+v", res)
			}
			req := f.requests("Ping")[0].Body
			if text(req, wbxml.PingHeartbeatInterval) != "480" || len(child(req, wbxml.PingFolders).Children) != 2 || text(req, wbxml.PingClass) != "Email" {
				t.Errorf("request %s", req.XML())
			}
		})
	}
}

func TestPingEmptyRequestAndProvisioning(t *testing.T) {
	f := newFake(t)
	f.on("Provision", provisionHandler(t, "9", false))
	f.on("Ping", func(w http.ResponseWriter, r *fakeReq) {
		if r.Header.Get("X-MS-PolicyKey") != "9" {
			writeNode(w, el(wbxml.PingPing, el(wbxml.PingStatus, "142")))
			return
		}
		if len(r.Raw) != 0 {
			t.Errorf("empty Ping sent a body")
		}
		writeNode(w, el(wbxml.PingPing, el(wbxml.PingStatus, "1")))
	})
	c := newTestClient(t, f, nil)
	res, err := c.Ping(context.Background(), 0, nil)
	if err != nil || res.Status != PingExpired {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestPingCancel(t *testing.T) {
	f := newFake(t)
	f.on("Ping", func(w http.ResponseWriter, r *fakeReq) { time.Sleep(50 * time.Millisecond) })
	c := newTestClient(t, f, func(c *Config) { c.Version = V141 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Ping(ctx, time.Minute, []PingFolder{{"a", ClassEmail}}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}
