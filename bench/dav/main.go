// Command bench-dav compares easbridge's CalDAV/CardDAV server with
// Radicale and Xandikos on the same data set (10,000 events, some
// recurring, and 5,000 contacts): PROPFIND Depth 1, a calendar-query for
// one month, a calendar-multiget of 100 hrefs, sync-collection initial and
// after one change, and one PUT. It prints medians over repeated runs,
// the ratio of the faster other server to easbridge, and peak memory.
// bench/dav/run builds and runs it.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

func main() {
	bin := flag.String("easbridge", "", "path to the easbridge binary")
	runs := flag.Int("runs", 15, "measured runs per request")
	warmups := flag.Int("warmups", 2, "unmeasured runs before them")
	only := flag.String("only", "", "comma-separated servers to run (default all)")
	reqs := flag.String("requests", "", "comma-separated words; only requests whose name holds one are measured (default all)")
	flag.Parse()
	if *reqs != "" {
		var keep []string
		for _, name := range allRequests {
			for _, w := range strings.Split(*reqs, ",") {
				if w != "" && strings.Contains(name, w) {
					keep = append(keep, name)
					break
				}
			}
		}
		if len(keep) == 0 {
			fmt.Fprintf(os.Stderr, "bench-dav: no request matches -requests %q\n", *reqs)
			os.Exit(2)
		}
		requests = keep
	}
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "bench-dav: -easbridge is required")
		os.Exit(2)
	}
	var err error
	tmp, err = os.MkdirTemp("", "bench-dav-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(tmp)

	starters := []struct {
		name  string
		start func(dir string) (*server, error)
	}{
		{"easbridge", func(dir string) (*server, error) { return startEasbridge(*bin, dir) }},
		{"radicale", startRadicale},
		{"xandikos", startXandikos},
	}
	var results []result
	for _, st := range starters {
		if *only != "" && !strings.Contains(","+*only+",", ","+st.name+",") {
			continue
		}
		fmt.Fprintf(os.Stderr, "== %s: loading\n", st.name)
		s, err := st.start(filepath.Join(tmp, st.name))
		if err != nil {
			if s != nil {
				s.stop()
			}
			fatal(err)
		}
		fmt.Fprintf(os.Stderr, "== %s: loaded in %v, measuring\n", st.name, s.loadTime.Round(time.Millisecond))
		r, err := measure(s, *runs, *warmups)
		r.peak = s.peakRSS()
		r.load = s.loadTime
		s.stop()
		if err != nil {
			fatal(fmt.Errorf("%s: %w", st.name, err))
		}
		results = append(results, r)
	}
	report(os.Stdout, results)
}

// tmp holds the servers' data; fatal removes it too.
var tmp string

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench-dav:", err)
	if tmp != "" {
		os.RemoveAll(tmp)
	}
	os.Exit(1)
}

// result holds one server's medians per request.
type result struct {
	server  string
	median  map[string]time.Duration
	answers map[string]int // <response> elements, to show the servers agree
	peak    int64
	load    time.Duration
}

var allRequests = []string{
	"PROPFIND Depth 1 (10,000 events)",
	"PROPFIND Depth 1 (5,000 contacts)",
	"calendar-query, one month",
	"calendar-multiget, 100 hrefs",
	"sync-collection, initial",
	"sync-collection, after one change",
	"PUT one event",
}

const propfindBody = `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop>` +
	`<d:resourcetype/><d:getetag/><d:getcontenttype/></d:prop></d:propfind>`

// requests are the requests measured: allRequests, or those -requests picks.
var requests = allRequests

func queryBody() string {
	return `<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">` +
		`<d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">` +
		`<c:time-range start="` + monthStart.Format("20060102T150405Z") + `" end="` + monthEnd.Format("20060102T150405Z") + `"/>` +
		`</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`
}

func multigetBody(s *server) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">` +
		`<d:prop><d:getetag/><c:calendar-data/></d:prop>`)
	for i := 0; i < numEvents; i += numEvents / 100 {
		b.WriteString("<d:href>" + s.cal + eventName(i) + "</d:href>")
	}
	b.WriteString(`</c:calendar-multiget>`)
	return b.String()
}

func syncBody(token string) string {
	return `<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>` + token +
		`</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`
}

var tokenRE = regexp.MustCompile(`<[a-zA-Z0-9]*:?sync-token>([^<]+)</`)
var responseRE = regexp.MustCompile(`<([a-zA-Z0-9]+:)?response>`)

// do sends one request and returns its duration (to the last body byte).
func (s *server) do(method, path, body string, hdr map[string]string) (time.Duration, []byte, int, error) {
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, 0, err
	}
	req.SetBasicAuth(s.user, s.pass)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	t0 := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return time.Since(t0), b, resp.StatusCode, err
}

var xmlHdr = map[string]string{"Content-Type": "application/xml; charset=utf-8", "Depth": "1"}

// measure runs every request warmups+runs times and keeps the medians
// of the last runs.
func measure(s *server, runs, warmups int) (result, error) {
	r := result{server: s.name, median: map[string]time.Duration{}, answers: map[string]int{}}
	putN := 0
	changeN := 0
	for _, name := range requests {
		var times []time.Duration
		for run := range runs + warmups {
			var d time.Duration
			var body []byte
			var code int
			var err error
			switch name {
			case allRequests[0]:
				d, body, code, err = s.do("PROPFIND", s.cal, propfindBody, xmlHdr)
			case allRequests[1]:
				d, body, code, err = s.do("PROPFIND", s.book, propfindBody, xmlHdr)
			case allRequests[2]:
				d, body, code, err = s.do("REPORT", s.cal, queryBody(), xmlHdr)
			case allRequests[3]:
				d, body, code, err = s.do("REPORT", s.cal, multigetBody(s), xmlHdr)
			case allRequests[4]:
				d, body, code, err = s.do("REPORT", s.cal, syncBody(""), xmlHdr)
			case allRequests[5]:
				// Untimed: fetch a token, change one event; timed: the sync.
				_, tb, _, err2 := s.do("REPORT", s.cal, syncBody(""), xmlHdr)
				m := tokenRE.FindSubmatch(tb)
				if err2 != nil || m == nil {
					return r, fmt.Errorf("no sync token: %v %.300s", err2, tb)
				}
				changeN++
				if _, _, c, err := s.do("PUT", s.cal+eventName(7), string(event(7, changeN)),
					map[string]string{"Content-Type": "text/calendar"}); err != nil || c/100 != 2 {
					return r, fmt.Errorf("change PUT: %d %v", c, err)
				}
				d, body, code, err = s.do("REPORT", s.cal, syncBody(string(m[1])), xmlHdr)
			case allRequests[6]:
				putN++
				i := numEvents + putN
				d, body, code, err = s.do("PUT", s.cal+eventName(i), string(event(i, 0)),
					map[string]string{"Content-Type": "text/calendar", "If-None-Match": "*"})
			}
			if err != nil || code/100 != 2 {
				return r, fmt.Errorf("%s: status %d, %v: %.300s", name, code, err, body)
			}
			if run >= warmups {
				times = append(times, d)
			}
			r.answers[name] = len(responseRE.FindAll(body, -1))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		r.median[name] = times[len(times)/2]
		fmt.Fprintf(os.Stderr, "   %-36s %10v  (%d responses)\n", name, r.median[name].Round(10*time.Microsecond), r.answers[name])
	}
	return r, nil
}

func report(w io.Writer, results []result) {
	var ours *result
	others := []result{}
	for i := range results {
		if results[i].server == "easbridge" {
			ours = &results[i]
		} else {
			others = append(others, results[i])
		}
	}
	fmt.Fprintf(w, "\n| request | ")
	for _, r := range results {
		fmt.Fprintf(w, "%s | ", r.server)
	}
	fmt.Fprintf(w, "faster other / easbridge |\n|---|")
	for range results {
		fmt.Fprintf(w, "---|")
	}
	fmt.Fprintln(w, "---|")
	for _, name := range requests {
		fmt.Fprintf(w, "| %s | ", name)
		for _, r := range results {
			fmt.Fprintf(w, "%s (%d) | ", ms(r.median[name]), r.answers[name])
		}
		if ours != nil && len(others) > 0 {
			best := others[0].median[name]
			for _, o := range others[1:] {
				best = min(best, o.median[name])
			}
			fmt.Fprintf(w, "%.1fx |", float64(best)/float64(ours.median[name]))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "| peak RSS (VmHWM) | ")
	for _, r := range results {
		fmt.Fprintf(w, "%.1f MB | ", float64(r.peak)/(1<<20))
	}
	fmt.Fprintln(w, " |")
	fmt.Fprintf(w, "| data load | ")
	for _, r := range results {
		fmt.Fprintf(w, "%s | ", r.load.Round(time.Millisecond))
	}
	fmt.Fprintln(w, " |")
	fmt.Fprintln(w, "\nmedians; (N) = <response> elements in the answer; easbridge loaded by 15,000 PUTs, the others from files (their load time is start-up).")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
