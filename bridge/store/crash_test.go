package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// crashChildEnv makes the test binary act as a writer that the parent
// kills with SIGKILL in the middle of its writes.
const crashChildEnv = "EASBRIDGE_STORE_CRASH_CHILD"

func init() {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		return
	}
	ctx := context.Background()
	s, err := Open(ctx, path, nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		uid := fmt.Sprintf("crash-%d", i)
		if _, _, err := s.PutObject(ctx, "cal", uid+".ics", PutInput{Data: event(uid), UID: uid}, Conditions{}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("ack", uid)
	}
}

// Killing the process during a stream of writes loses no acknowledged
// write and leaves a consistent database.
func TestCrashDuringWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustCollection(t, s, "cal", KindEvents)
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 40 {
		kind, uid, _ := strings.Cut(sc.Text(), " ")
		if kind != "ack" {
			t.Fatalf("child: %s", sc.Text())
		}
		acked[uid] = true
	}
	cmd.Process.Kill()
	cmd.Wait()

	s, err = Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var check string
	if err := s.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	objs, err := s.Objects(ctx, "cal")
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for _, o := range objs {
		present[o.UID] = true
	}
	for uid := range acked {
		if !present[uid] {
			t.Errorf("acknowledged %s is missing after the crash", uid)
		}
	}
	// Every object present is whole: object, change log and outbox agree.
	var mismatched int
	s.r.QueryRowContext(ctx, `SELECT count(*) FROM object o WHERE NOT EXISTS
		(SELECT 1 FROM change c WHERE c.collection_id = o.collection_id AND c.name = o.name AND c.revision = o.revision)
		OR NOT EXISTS (SELECT 1 FROM outbox x WHERE x.collection_id = o.collection_id AND x.local_id = o.name)`).Scan(&mismatched)
	c, _ := s.CollectionByName(ctx, "cal")
	if mismatched != 0 || c.Revision != int64(len(objs)) {
		t.Errorf("after crash: %d objects without their log or outbox rows; revision %d for %d objects", mismatched, c.Revision, len(objs))
	}
}
