// Command putburst drives the kill -9 test of interop/dav.sh: it PUTs
// many calendar objects concurrently and logs which ones the server
// acknowledged, then, after the server was killed and restarted, checks
// that every acknowledged object is there with its exact content and that
// nothing is there that was never sent or was stored only in part.
//
//	putburst -url URL -user U -pass P -n 500 -c 50 -log FILE   # burst
//	putburst -url URL -user U -pass P -n 500 -log FILE -verify # check
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "", "collection URL, ending in /")
	user := flag.String("user", "easbridge", "user name")
	pass := flag.String("pass", "", "password")
	n := flag.Int("n", 500, "number of objects")
	c := flag.Int("c", 50, "concurrent requests")
	logPath := flag.String("log", "", "file recording sent and acknowledged PUTs")
	verify := flag.Bool("verify", false, "check the server against the log instead of sending")
	flag.Parse()
	if *url == "" || *logPath == "" {
		flag.Usage()
		os.Exit(2)
	}
	cl := &client{base: *url, user: *user, pass: *pass, http: &http.Client{Timeout: 30 * time.Second}}
	var err error
	if *verify {
		err = cl.verify(*n, *logPath)
	} else {
		err = cl.burst(*n, *c, *logPath)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "putburst:", err)
		os.Exit(1)
	}
}

type client struct {
	base, user, pass string
	http             *http.Client
}

func name(i int) string { return fmt.Sprintf("burst-%04d.ics", i) }

// body is the deterministic content of object i, padded so that a torn
// write would show.
func body(i int) []byte {
	return []byte(fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easbridge//putburst//EN\r\nBEGIN:VEVENT\r\n"+
		"UID:burst-%04d\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260601T%02d0000Z\r\nDURATION:PT1H\r\n"+
		"SUMMARY:burst %d\r\nDESCRIPTION:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", i, i%24, i, strings.Repeat("x", 60)))
}

func (cl *client) do(ctx context.Context, method, url string, body []byte, hdr map[string]string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.SetBasicAuth(cl.user, cl.pass)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// burst sends n PUTs with c workers. Each is logged as "sent NAME" before
// the request and "ack NAME" after a 2xx answer. Failures after the
// server is killed are expected and only counted.
func (cl *client) burst(n, c int, logPath string) error {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	var mu sync.Mutex
	logLine := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		f.WriteString(s + "\n")
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	var acked, failed int
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				logLine("sent " + name(i))
				resp, _, err := cl.do(context.Background(), http.MethodPut, cl.base+name(i), body(i),
					map[string]string{"Content-Type": "text/calendar", "If-None-Match": "*"})
				mu.Lock()
				if err == nil && resp.StatusCode/100 == 2 {
					acked++
				} else {
					failed++
				}
				mu.Unlock()
				if err == nil && resp.StatusCode/100 == 2 {
					logLine("ack " + name(i))
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	fmt.Printf("burst: %d acknowledged, %d failed\n", acked, failed)
	return nil
}

var hrefRE = regexp.MustCompile(`<d:href>[^<]*/(burst-\d{4}\.ics)</d:href>`)

// verify checks the server against the log.
func (cl *client) verify(n int, logPath string) error {
	f, err := os.Open(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	sent, acked := map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		kind, nm, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "sent":
			sent[nm] = true
		case "ack":
			acked[nm] = true
		}
	}
	want := map[string][]byte{}
	for i := range n {
		want[name(i)] = body(i)
	}
	ctx := context.Background()
	resp, listing, err := cl.do(ctx, "PROPFIND", cl.base, nil, map[string]string{"Depth": "1"})
	if err != nil || resp.StatusCode != http.StatusMultiStatus {
		return fmt.Errorf("listing the collection: %v %v", err, resp)
	}
	present := map[string]bool{}
	for _, m := range hrefRE.FindAllSubmatch(listing, -1) {
		present[string(m[1])] = true
	}
	var problems []string
	for nm := range acked {
		if !present[nm] {
			problems = append(problems, "acknowledged but missing: "+nm)
		}
	}
	unacked := 0
	for nm := range present {
		if !sent[nm] {
			problems = append(problems, "present but never sent: "+nm)
			continue
		}
		if !acked[nm] {
			unacked++ // committed, but the answer died with the server
		}
		resp, got, err := cl.do(ctx, http.MethodGet, cl.base+nm, nil, nil)
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(got, want[nm]) {
			problems = append(problems, fmt.Sprintf("content of %s differs (%v)", nm, err))
		}
	}
	fmt.Printf("verify: %d sent, %d acknowledged, %d present (%d committed without an answer)\n",
		len(sent), len(acked), len(present), unacked)
	if len(acked) == 0 || len(acked) == n {
		problems = append(problems, fmt.Sprintf("the kill did not land mid-burst (%d of %d acknowledged)", len(acked), n))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems:\n%s", len(problems), strings.Join(problems, "\n"))
	}
	return nil
}
