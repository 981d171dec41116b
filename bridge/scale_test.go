package bridge

import (
	"context"
	"fmt"
	"testing"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/eastest"
	"github.com/easbridge/easbridge/maildir"
)

// BenchmarkServerReadMarks measures a Sync that brings the server's read
// mark for every message of a large Inbox (a user who marked all read on
// another device): the cost per message must not grow with the folder.
func BenchmarkServerReadMarks(b *testing.B) {
	for _, n := range []int{500, 2000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				md, err := maildir.Open(context.Background(), b.TempDir(), maildir.Options{NoSync: true})
				if err != nil {
					b.Fatal(err)
				}
				v := newEnv(b, eastest.Config{}, Config{Maildir: md})
				inbox := v.srv.FolderID("alice", eastest.TypeInbox)
				ids := make([]string, n)
				for i := range n {
					if ids[i], err = v.srv.DeliverMail("alice", mailMsg(i)); err != nil {
						b.Fatal(err)
					}
				}
				v.syncOnce()
				for _, id := range ids {
					if err := v.srv.ChangeItem("alice", inbox, id, &eas.Email{Subject: "x", Read: true}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if err := v.e.SyncOnce(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
