package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeDAVNeedsPassword(t *testing.T) {
	t.Setenv(davPasswordEnv, "")
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"serve-dav", "--dir", t.TempDir()}, io.Discard, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), davPasswordEnv) {
		t.Errorf("exit %d, stderr %q: want a refusal naming %s", code, stderr.String(), davPasswordEnv)
	}
}

func TestServeDAVNeedsDir(t *testing.T) {
	t.Setenv(davPasswordEnv, "pw")
	if code := run(context.Background(), []string{"serve-dav"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("exit %d without --dir, want 2", code)
	}
}

// serve-dav seeds an empty store, answers authenticated requests, keeps
// the password out of its logs, and exits 0 when its context ends.
func TestServeDAV(t *testing.T) {
	const password = "s3cret-pass"
	t.Setenv(davPasswordEnv, password)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	dir := t.TempDir()
	go func() {
		done <- run(ctx, []string{"serve-dav", "--dir", dir, "--listen", "127.0.0.1:0"}, pw, stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the URL: %v (stderr: %s)", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	base := strings.TrimSpace(line)

	req, _ := http.NewRequest("PROPFIND", base+"calendars/easbridge/", strings.NewReader(
		`<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>`))
	req.Header.Set("Depth", "1")
	req.SetBasicAuth(davUser, password)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("PROPFIND: %s\n%s", resp.Status, body)
	}
	for _, want := range []string{"/calendars/easbridge/calendar/", "/calendars/easbridge/tasks/"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("home set lacks %s:\n%s", want, body)
		}
	}
	req, _ = http.NewRequest("PROPFIND", base+"calendars/easbridge/", nil)
	req.SetBasicAuth(davUser, "wrong")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %s, want 401", resp.Status)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after cancel; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve-dav did not stop")
	}
	if strings.Contains(stderr.String(), password) {
		t.Errorf("the password appears in the logs:\n%s", stderr.String())
	}
}
