package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// server is one DAV server under test.
type server struct {
	name       string
	base       string // http://127.0.0.1:PORT
	cal, book  string // collection paths, ending in /
	user, pass string
	cmd        *exec.Cmd
	client     *http.Client
	loadTime   time.Duration
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *server) start(name string, args []string, env ...string) error {
	s.cmd = exec.Command(name, args...)
	s.cmd.Env = append(os.Environ(), env...)
	logf, err := os.Create(filepath.Join(os.TempDir(), "bench-dav-"+s.name+".log"))
	if err != nil {
		return err
	}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.name, err)
	}
	for range 200 {
		req, _ := http.NewRequest("OPTIONS", s.base+"/", nil)
		req.SetBasicAuth(s.user, s.pass)
		if resp, err := s.client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not start (log in %s)", s.name, logf.Name())
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	}
}

// peakRSS returns the process's peak resident set (VmHWM) in bytes.
func (s *server) peakRSS() int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func newServer(name string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return &server{name: name, base: "http://127.0.0.1:" + strconv.Itoa(port),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Minute}}, nil
}

// startEasbridge starts serve-dav on an empty store and loads the data
// with PUTs (the store's only way in, and the real write path).
func startEasbridge(bin, dir string) (*server, error) {
	s, err := newServer("easbridge")
	if err != nil {
		return nil, err
	}
	s.cal, s.book, s.user, s.pass = "/calendars/easbridge/calendar/", "/contacts/easbridge/contacts/", "easbridge", "bench"
	if err := s.start(bin, []string{"serve-dav", "--dir", dir, "--listen", strings.TrimPrefix(s.base, "http://")},
		"EASBRIDGE_DAV_PASSWORD=bench"); err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := s.putAll(); err != nil {
		return s, err
	}
	s.loadTime = time.Since(t0)
	return s, nil
}

func (s *server) putAll() error {
	var wg sync.WaitGroup
	jobs := make(chan [2]string)
	errs := make(chan error, 1)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				var body []byte
				if strings.HasSuffix(j[1], ".ics") {
					i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(j[1], "event-"), ".ics"))
					body = event(i, 0)
				} else {
					i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(j[1], "contact-"), ".vcf"))
					body = contact(i)
				}
				if code, err := s.put(j[0]+j[1], body); err != nil || code/100 != 2 {
					select {
					case errs <- fmt.Errorf("loading %s: %d %v", j[1], code, err):
					default:
					}
				}
			}
		}()
	}
	for i := range numEvents {
		jobs <- [2]string{s.cal, eventName(i)}
	}
	for i := range numContacts {
		jobs <- [2]string{s.book, contactName(i)}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// writeFiles writes the data set as files into two directories.
func writeFiles(calDir, bookDir string) error {
	for _, d := range []string{calDir, bookDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for i := range numEvents {
		if err := os.WriteFile(filepath.Join(calDir, eventName(i)), event(i, 0), 0o644); err != nil {
			return err
		}
	}
	for i := range numContacts {
		if err := os.WriteFile(filepath.Join(bookDir, contactName(i)), contact(i), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// startRadicale writes the data straight into Radicale's filesystem
// storage (loading 15,000 PUTs through it would take far longer).
func startRadicale(dir string) (*server, error) {
	s, err := newServer("radicale")
	if err != nil {
		return nil, err
	}
	s.cal, s.book, s.user, s.pass = "/bench/calendar/", "/bench/contacts/", "bench", "bench"
	root := filepath.Join(dir, "collection-root", "bench")
	if err := writeFiles(filepath.Join(root, "calendar"), filepath.Join(root, "contacts")); err != nil {
		return nil, err
	}
	os.WriteFile(filepath.Join(root, "calendar", ".Radicale.props"), []byte(`{"C:supported-calendar-component-set": "VEVENT", "tag": "VCALENDAR"}`), 0o644)
	os.WriteFile(filepath.Join(root, "contacts", ".Radicale.props"), []byte(`{"tag": "VADDRESSBOOK"}`), 0o644)
	args := []string{"--server-hosts", strings.TrimPrefix(s.base, "http://"),
		"--storage-filesystem-folder", dir, "--auth-type", "none", "--rights-type", "owner_only", "--logging-level", "warning"}
	// Radicale builds a per-item cache on first access, with an fsync per
	// item: over ten minutes here for 15,000 items. Build it once with
	// fsync turned into a no-op by eatmydata (untimed), then measure a
	// normal, fsyncing Radicale.
	t0 := time.Now()
	if err := s.start("eatmydata", append([]string{"radicale", "--config", ""}, args...)); err != nil {
		return nil, err
	}
	for _, p := range []string{s.cal, s.book} {
		if _, b, code, err := s.do("PROPFIND", p, propfindBody, xmlHdr); err != nil || code != http.StatusMultiStatus {
			s.stop()
			return nil, fmt.Errorf("warming radicale's cache: %d %v %.200s", code, err, b)
		}
	}
	s.stop()
	s.loadTime = time.Since(t0)
	return s, s.start("radicale", append([]string{"--config", ""}, args...))
}

// startXandikos lets Xandikos create its default collections, then
// commits the data into their git repositories and restarts it.
func startXandikos(dir string) (*server, error) {
	s, err := newServer("xandikos")
	if err != nil {
		return nil, err
	}
	s.cal, s.book, s.user, s.pass = "/user/calendars/calendar/", "/user/contacts/addressbook/", "bench", "bench"
	port := strings.TrimPrefix(s.base, "http://127.0.0.1:")
	args := []string{"-d", dir, "--defaults", "-l", "127.0.0.1", "-p", port}
	if err := s.start("xandikos", args); err != nil {
		return nil, err
	}
	s.stop()
	cal, book := filepath.Join(dir, "user/calendars/calendar"), filepath.Join(dir, "user/contacts/addressbook")
	if err := writeFiles(cal, book); err != nil {
		return nil, err
	}
	for _, d := range []string{cal, book} {
		for _, g := range [][]string{{"add", "-A"}, {"-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "bench data"}} {
			cmd := exec.Command("git", g...)
			cmd.Dir = d
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				return nil, fmt.Errorf("git %v in %s: %v: %s", g, d, err, out.String())
			}
		}
	}
	return s, s.start("xandikos", args)
}

func (s *server) put(path string, body []byte) (int, error) {
	_, _, code, err := s.do("PUT", path, string(body), map[string]string{"Content-Type": contentType(path)})
	return code, err
}

func contentType(path string) string {
	if strings.HasSuffix(path, ".vcf") {
		return "text/vcard"
	}
	return "text/calendar"
}
