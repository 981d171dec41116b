package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// The floor: the server-bound lower limit of an initial sync. It replays,
// in order and back to back, every request the bridge made during its
// initial sync (as recorded by the proxy), with the same headers and the
// same WBXML bodies: same commands, collections, WindowSize, options and
// batching. Only what a new device must change is changed: its own
// DeviceId in the query, and each SyncKey, which becomes the latest key
// the server gave the floor for that collection (or the hierarchy); key 0
// stays 0. Answers are read to the end and dropped, except that Sync,
// GetItemEstimate and FolderSync answers are walked for CollectionId and
// SyncKey only (everything else is skipped without being decoded). No
// item is converted, stored or written anywhere.

// floorResult is what floor prints as JSON.
type floorResult struct {
	Requests  int     `json:"requests"`
	WallS     float64 `json:"wall_s"`
	UserS     float64 `json:"user_s"`
	SysS      float64 `json:"sys_s"`
	RespBytes int64   `json:"resp_bytes"`
	Failed    int     `json:"failed"`
}

func runFloor(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	logPath := fs.String("log", "", "the proxy's -record log of the session to replay")
	base := fs.String("url", "", "the ActiveSync URL")
	user := fs.String("user", "", "user name (the password comes from $EAS_PASSWORD)")
	device := fs.String("device", "", "the floor's own DeviceId (a fresh one per run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *logPath == "" || *base == "" || *user == "" || *device == "" {
		return errors.New("floor needs -log, -url, -user and -device")
	}
	recs, err := readLog(*logPath)
	if err != nil {
		return err
	}
	u, err := url.Parse(*base)
	if err != nil {
		return err
	}
	f := &floor{base: u, user: *user, pass: os.Getenv("EAS_PASSWORD"), device: *device,
		keys: map[string]string{}, hc: &http.Client{Timeout: 15 * time.Minute}}
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start := time.Now()
	res := floorResult{}
	for _, r := range recs {
		n, err := f.replay(context.Background(), r)
		res.Requests++
		res.RespBytes += n
		if err != nil {
			res.Failed++
			fmt.Fprintf(os.Stderr, "ebbench floor: %s: %v\n", r.Cmd, err)
		}
	}
	res.WallS = time.Since(start).Seconds()
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	res.UserS = tv(after.Utime) - tv(before.Utime)
	res.SysS = tv(after.Stime) - tv(before.Stime)
	return json.NewEncoder(os.Stdout).Encode(res)
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// readLog reads the recorded ActiveSync requests (not the Pings of a run
// that may follow).
func readLog(path string) ([]record, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var out []record
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if r.Cmd == "Ping" {
			continue
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// floor is the replaying client: the keys it holds by collection.
type floor struct {
	base       *url.URL
	user, pass string
	device     string
	keys       map[string]string // CollectionId (or "" for the hierarchy) -> latest SyncKey
	hc         *http.Client
}

// replay sends one recorded request with the floor's device and keys and
// returns the size of the answer.
func (f *floor) replay(ctx context.Context, r record) (int64, error) {
	q, err := url.ParseQuery(r.Query)
	if err != nil {
		return 0, err
	}
	if q.Has("DeviceId") {
		q.Set("DeviceId", f.device)
	}
	body := r.Body
	if len(body) > 0 && (r.Cmd == "Sync" || r.Cmd == "GetItemEstimate" || r.Cmd == "FolderSync") {
		if body, err = f.rekey(body); err != nil {
			return 0, err
		}
	}
	u := *f.base
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.SetBasicAuth(f.user, f.pass)
	resp, err := f.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	cr := &countReader{r: resp.Body}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, cr)
		return cr.n, fmt.Errorf("HTTP %s", resp.Status)
	}
	switch r.Cmd {
	case "Sync", "GetItemEstimate", "FolderSync":
		err = f.learnKeys(bufio.NewReaderSize(cr, 32<<10))
	}
	io.Copy(io.Discard, cr)
	return cr.n, err
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// rekey puts the floor's keys in a recorded request body.
func (f *floor) rekey(body []byte) ([]byte, error) {
	root, err := wbxml.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("recorded body: %w", err)
	}
	var walk func(n *wbxml.Node)
	walk = func(n *wbxml.Node) {
		var key *wbxml.Node
		id := ""
		for _, c := range n.Children {
			switch {
			case isTag(c.Tag, "SyncKey"):
				key = c
			case isTag(c.Tag, "CollectionId"):
				id = string(c.Text)
			}
			walk(c)
		}
		if key != nil && string(key.Text) != "0" {
			if k, ok := f.keys[id]; ok {
				key.Text = []byte(k)
			}
		}
	}
	walk(root)
	var b bytes.Buffer
	if err := root.Encode(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// isTag reports whether t is the element name in any code page.
func isTag(t wbxml.Tag, name string) bool {
	s := t.String()
	return s == name || strings.HasSuffix(s, ":"+name)
}

// learnKeys walks an answer for the SyncKey of each collection and of the
// hierarchy, skipping everything else undecoded. An empty answer changes
// no key.
func (f *floor) learnKeys(r io.Reader) error {
	d := wbxml.NewDecoder(r)
	if _, err := d.Root(); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	return f.walkKeys(d)
}

func (f *floor) walkKeys(d *wbxml.Decoder) error {
	var id, key string
	err := d.Each(func(t wbxml.Tag) error {
		switch {
		case isTag(t, "SyncKey"):
			s, err := d.Text()
			key = s
			return err
		case isTag(t, "CollectionId"):
			s, err := d.Text()
			id = s
			return err
		case isTag(t, "Collections"), isTag(t, "Collection"), isTag(t, "Response"):
			return f.walkKeys(d)
		}
		return d.Skip()
	})
	if key != "" {
		f.keys[id] = key
	}
	return err
}
