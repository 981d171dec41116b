package eastest_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
)

// These tests drive eastest with the real eas client: the two were
// written from the specification by different hands, so agreement here
// is a cross-check of both.

func newPair(t *testing.T, cfg eastest.Config, v eas.Version) (*eastest.Server, *eas.Client) {
	t.Helper()
	srv := eastest.New(cfg)
	for _, u := range []eastest.User{{Name: "alice", Password: "secret"}, {Name: "bob", Password: "pw"}} {
		if err := srv.AddUser(u); err != nil {
			t.Fatal(err)
		}
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := eas.New(eas.Config{
		URL: ts.URL + "/Microsoft-Server-ActiveSync", User: "alice",
		Credentials: eas.Basic{User: "alice", Password: "secret"},
		DeviceID:    "eastestclient1", DeviceType: "EasTest", Version: v,
		AcceptPolicy: func(context.Context, *eas.Policy) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func folderOf(t *testing.T, fc *eas.FolderChanges, typ eas.FolderType) string {
	t.Helper()
	for _, f := range fc.Added {
		if f.Type == typ {
			return f.ServerID
		}
	}
	t.Fatalf("no folder of type %v in %+v", typ, fc.Added)
	return ""
}

func TestClientProvisionSyncPing(t *testing.T) {
	for _, v := range []eas.Version{eas.V141, eas.V161} {
		t.Run(v.String(), func(t *testing.T) {
			policy := &eastest.Policy{Settings: []eastest.PolicySetting{{Name: "DevicePasswordEnabled", Value: "0"}}}
			srv, c := newPair(t, eastest.Config{Policy: policy, MinHeartbeat: 1}, v)
			ctx := context.Background()
			fc, err := c.FolderSync(ctx, "0") // 449 first: the client provisions on its own
			if err != nil {
				t.Fatal(err)
			}
			if c.PolicyKey() == "" || c.PolicyKey() != srv.PolicyKey("alice", "eastestclient1") {
				t.Fatalf("client key %q, server %q", c.PolicyKey(), srv.PolicyKey("alice", "eastestclient1"))
			}
			inbox := folderOf(t, fc, eas.FolderInbox)
			for i := 0; i < 3; i++ {
				if _, err := srv.DeliverMail("alice", []byte("From: x@example.net\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nbody\r\n")); err != nil {
					t.Fatal(err)
				}
			}
			key := "0"
			var got []string
			for i := 0; i < 10; i++ {
				res, err := c.Sync(ctx, &eas.SyncRequest{Collections: []eas.SyncCollection{{
					CollectionID: inbox, Class: eas.ClassEmail, SyncKey: key, GetChanges: key != "0", WindowSize: 2,
				}}}, func(ch eas.ServerChange) error {
					if ch.Kind == eas.ChangeAdd {
						if m, ok := ch.Item.(*eas.Email); !ok || m.Subject != "hi" {
							t.Errorf("item %#v", ch.Item)
						}
						got = append(got, ch.ServerID)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				cr := res.Collection(inbox)
				key = cr.SyncKey
				if i > 0 && !cr.MoreAvailable {
					break
				}
			}
			if len(got) != 3 {
				t.Fatalf("pulled %v", got)
			}
			done := make(chan *eas.PingResult, 1)
			go func() {
				r, err := c.Ping(ctx, 30*time.Second, []eas.PingFolder{{ID: inbox, Class: eas.ClassEmail}})
				if err != nil {
					t.Error(err)
				}
				done <- r
			}()
			time.Sleep(50 * time.Millisecond)
			if _, err := srv.DeliverMail("alice", []byte("From: x@example.net\r\nSubject: wake\r\n\r\nup\r\n")); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r == nil || len(r.Folders) != 1 || r.Folders[0] != inbox {
				t.Fatalf("Ping %+v", r)
			}
		})
	}
}

func TestClientSendMail(t *testing.T) {
	for _, v := range []eas.Version{eas.V141, eas.V161} {
		t.Run(v.String(), func(t *testing.T) {
			srv, c := newPair(t, eastest.Config{}, v)
			msg := []byte("From: alice@example.test\r\nTo: bob@example.test\r\nSubject: via " + v.String() +
				"\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\nMessage-ID: <m1@example.test>\r\n\r\nhello\r\n")
			if err := c.SendMail(context.Background(), &eas.Message{MIME: msg, ClientID: "s-1", SaveInSentItems: true}); err != nil {
				t.Fatal(err)
			}
			if n := len(srv.ItemIDs("bob", srv.FolderID("bob", eastest.TypeInbox))); n != 1 {
				t.Errorf("bob's inbox holds %d", n)
			}
			if n := len(srv.ItemIDs("alice", srv.FolderID("alice", eastest.TypeSentItems))); n != 1 {
				t.Errorf("alice's Sent Items hold %d", n)
			}
		})
	}
}

func TestClientSeesFaults(t *testing.T) {
	srv, c := newPair(t, eastest.Config{}, eas.V141)
	ctx := context.Background()
	if _, err := c.FolderSync(ctx, "0"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []eastest.Fault{
		{Kind: eastest.FaultTruncate},
		{Kind: eastest.FaultDrop},
		{Kind: eastest.FaultHTTP, Status: 503, RetryAfter: time.Hour},
	} {
		srv.Inject(f)
		if fc, err := c.FolderSync(ctx, "0"); err == nil {
			t.Errorf("fault %v: no error, got %+v", f.Kind, fc)
		}
	}
	fc, err := c.FolderSync(ctx, "0")
	if err != nil {
		t.Fatal(err)
	}
	inbox := folderOf(t, fc, eas.FolderInbox)
	srv.Inject(eastest.Fault{Kind: eastest.FaultSyncStatus3, Command: "Sync"})
	res, err := c.Sync(ctx, &eas.SyncRequest{Collections: []eas.SyncCollection{{CollectionID: inbox, SyncKey: "0"}}}, nil)
	if err == nil && res.Collection(inbox).Status != 3 && !errors.Is(res.Collection(inbox).Err, eas.ErrInvalidSyncKey) {
		t.Errorf("status 3 fault not seen: %+v", res.Collection(inbox))
	}
}

func TestClientAutodiscover(t *testing.T) {
	srv := eastest.New(eastest.Config{AutodiscoverRedirect: map[string]string{"old@example.test": "alice@example.test"}})
	if err := srv.AddUser(eastest.User{Name: "alice", Password: "secret", Email: "alice@example.test", DisplayName: "Alice"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	ad := &eas.Autodiscover{
		Credentials: eas.Basic{User: "alice@example.test", Password: "secret"},
		Candidates:  func(string) []string { return []string{ts.URL + "/autodiscover/autodiscover.xml"} },
	}
	for _, addr := range []string{"alice@example.test", "old@example.test"} {
		res, err := ad.Discover(context.Background(), addr)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if res.URL != ts.URL+"/Microsoft-Server-ActiveSync" || res.Email != "alice@example.test" || res.DisplayName != "Alice" {
			t.Errorf("%s: %+v", addr, res)
		}
	}
	if _, err := ad.Discover(context.Background(), "nobody@example.test"); err == nil {
		t.Error("an unknown address was discovered")
	}
}

func TestClientFetchAttachmentAndMIME(t *testing.T) {
	srv, c := newPair(t, eastest.Config{}, eas.V141)
	ctx := context.Background()
	msg := "From: carol@example.net\r\nTo: alice@example.test\r\nSubject: with file\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--b1\r\nContent-Type: application/octet-stream; name=\"blob.bin\"\r\nContent-Disposition: attachment; filename=\"blob.bin\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nAAECAwQFBgc=\r\n--b1--\r\n"
	id, err := srv.DeliverMail("alice", []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	inbox := srv.FolderID("alice", eastest.TypeInbox)
	var buf bytes.Buffer
	if _, err := c.FetchAttachment(ctx, id+"/0", &buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), []byte{0, 1, 2, 3, 4, 5, 6, 7}) {
		t.Errorf("attachment %x", buf.Bytes())
	}
	buf.Reset()
	if _, err := c.FetchMIME(ctx, inbox, id, &buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != msg {
		t.Errorf("MIME %q", buf.String())
	}
}

func TestClientFollows451(t *testing.T) {
	srv, c := newPair(t, eastest.Config{}, eas.V141)
	moved := strings.Replace(c.URL(), "/Microsoft-Server-ActiveSync", "/moved/Microsoft-Server-ActiveSync", 1)
	srv.Inject(eastest.Fault{Kind: eastest.FaultHTTP, Status: 451, Header: http.Header{"X-Ms-Location": {moved}}})
	if _, err := c.FolderSync(context.Background(), "0"); err != nil {
		t.Fatalf("FolderSync after a 451: %v", err)
	}
	if c.URL() != moved {
		t.Errorf("client URL %q, want %q", c.URL(), moved)
	}
}

func TestClientTypedErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault eastest.Fault
		want  error
	}{
		{"503", eastest.Fault{Kind: eastest.FaultHTTP, Status: 503, RetryAfter: time.Hour}, eas.ErrUnavailable},
		{"status 111", eastest.Fault{Kind: eastest.FaultStatus, Status: 111, Command: "FolderSync"}, eas.ErrUnavailable},
		{"FolderSync status 9", eastest.Fault{Kind: eastest.FaultStatus, Status: 9, Command: "FolderSync"}, eas.ErrInvalidSyncKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newPair(t, eastest.Config{}, eas.V141)
			srv.Inject(tc.fault)
			_, err := c.FolderSync(context.Background(), "0")
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
	srv, c := newPair(t, eastest.Config{}, eas.V141)
	if err := srv.RequestWipe("alice", "eastestclient1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FolderSync(context.Background(), "0"); !errors.Is(err, eas.ErrRemoteWipe) {
		t.Errorf("remote wipe: %v", err)
	}
}
