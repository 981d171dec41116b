package eastest

import (
	"fmt"
	"testing"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// BenchmarkInitialSync500 measures a full initial pull of 500 mails in
// windows of 100 over HTTP (loopback), as a sync engine test would do it.
func BenchmarkInitialSync500(b *testing.B) {
	srv, ts := newTestServer(b, Config{})
	inbox := srv.FolderID("alice", TypeInbox)
	for i := 0; i < 500; i++ {
		if _, err := srv.DeliverMail("alice", testMail("x@example.net", "alice@example.test", fmt.Sprintf("m%d", i), "body text")); err != nil {
			b.Fatal(err)
		}
	}
	c := newClient(b, ts)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.device = fmt.Sprintf("bench%d", i)
		key := c.initSync(inbox)
		n := 0
		for {
			coll := collection(b, c.do("Sync", syncReq(inbox, key, num(wbxml.AirSyncWindowSize, 100))))
			n += len(all(child(coll, wbxml.AirSyncCommands), wbxml.AirSyncAdd))
			key = text(coll, wbxml.AirSyncSyncKey)
			if !has(coll, wbxml.AirSyncMoreAvailable) {
				break
			}
		}
		if n != 500 {
			b.Fatalf("pulled %d", n)
		}
	}
}
