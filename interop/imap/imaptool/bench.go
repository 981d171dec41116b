package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// bench times one IMAP server for bench/imap/run with a minimal Go
// client, so the figures are the server's and not a slow client's.
func bench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	addr := fs.String("addr", "", "IMAP address")
	root := fs.String("root", "", "maildir root (for the IDLE drop)")
	ctl := fs.String("control", "", "control FIFO of imaptool serve (engine-path IDLE)")
	big := fs.String("big", "Big", "folder of 50,000 messages")
	fs.Parse(args)
	c, err := dialIMAP(*addr)
	if err != nil {
		return err
	}
	if _, err := c.ok("LOGIN alice secret"); err != nil {
		return err
	}
	res := map[string]float64{}
	sel := func() error {
		lines, err := c.ok("EXAMINE " + *big)
		if err == nil && !strings.Contains(strings.Join(lines, ""), "* 50000 EXISTS") {
			err = fmt.Errorf("EXAMINE %s: %q", *big, lines)
		}
		return err
	}
	if res["select_cold"], err = timed(sel); err != nil {
		return err
	}
	if res["select_warm"], err = median(5, sel); err != nil {
		return err
	}
	if _, err := c.ok("SELECT INBOX"); err != nil {
		return err
	}
	fetch := func() error {
		lines, err := c.ok("FETCH 1:1000 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])")
		if err == nil && len(lines) != 1000 {
			err = fmt.Errorf("FETCH: %d responses", len(lines))
		}
		return err
	}
	if res["fetch1000_cold"], err = timed(fetch); err != nil {
		return err
	}
	if res["fetch1000"], err = median(5, fetch); err != nil {
		return err
	}
	n := 0
	drop := func() (time.Time, error) {
		n++
		name := fmt.Sprintf("%d.bench%dQ%d.localhost", time.Now().Unix(), os.Getpid(), n)
		msg := fmt.Sprintf("From: x@example.org\r\nSubject: idle %d\r\nMessage-ID: <idle%d.%d@example.org>\r\n\r\nhi\r\n", n, os.Getpid(), n)
		tmp := filepath.Join(*root, "tmp", name)
		if err := os.WriteFile(tmp, []byte(msg), 0o600); err != nil {
			return time.Time{}, err
		}
		err := os.Rename(tmp, filepath.Join(*root, "new", name))
		return time.Now(), err
	}
	if res["idle_file"], err = c.idleMedian(drop); err != nil {
		return err
	}
	if *ctl != "" {
		viaStore := func() (time.Time, error) {
			f, err := os.OpenFile(*ctl, os.O_WRONLY, 0)
			if err != nil {
				return time.Time{}, err
			}
			defer f.Close()
			t := time.Now()
			_, err = io.WriteString(f, "deliver INBOX idle\n")
			return t, err
		}
		if res["idle_store"], err = c.idleMedian(viaStore); err != nil {
			return err
		}
	}
	c.ok("LOGOUT")
	return json.NewEncoder(os.Stdout).Encode(res)
}

func timed(f func() error) (float64, error) {
	t := time.Now()
	err := f()
	return time.Since(t).Seconds(), err
}

func median(n int, f func() error) (float64, error) {
	var ds []float64
	for i := 0; i < n; i++ {
		d, err := timed(f)
		if err != nil {
			return 0, err
		}
		ds = append(ds, d)
	}
	sort.Float64s(ds)
	return ds[n/2], nil
}

type imapConn struct {
	conn net.Conn
	r    *bufio.Reader
	n    int
}

func dialIMAP(addr string) (*imapConn, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &imapConn{conn: conn, r: bufio.NewReaderSize(conn, 256<<10)}
	_, err = c.line()
	return c, err
}

// line reads one response with its literals.
func (c *imapConn) line() (string, error) {
	var b strings.Builder
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		b.WriteString(l)
		t := strings.TrimRight(l, "\r\n")
		if i := strings.LastIndexByte(t, '{'); i >= 0 && strings.HasSuffix(t, "}") {
			if n, err := strconv.Atoi(t[i+1 : len(t)-1]); err == nil {
				buf := make([]byte, n)
				if _, err := io.ReadFull(c.r, buf); err != nil {
					return "", err
				}
				b.Write(buf)
				continue
			}
		}
		return b.String(), nil
	}
}

func (c *imapConn) ok(cmd string) ([]string, error) {
	c.n++
	tag := "b" + strconv.Itoa(c.n)
	if _, err := fmt.Fprintf(c.conn, "%s %s\r\n", tag, cmd); err != nil {
		return nil, err
	}
	var lines []string
	for {
		l, err := c.line()
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l[len(tag)+1:], "OK") {
				return lines, fmt.Errorf("%s: %s", cmd, strings.TrimSpace(l))
			}
			return lines, nil
		}
		lines = append(lines, l)
	}
}

// idleMedian runs IDLE five times, triggering a new message each time,
// and returns the median delay to the EXISTS push.
func (c *imapConn) idleMedian(trigger func() (time.Time, error)) (float64, error) {
	var ds []float64
	for i := 0; i < 5; i++ {
		c.n++
		tag := "i" + strconv.Itoa(c.n)
		fmt.Fprintf(c.conn, "%s IDLE\r\n", tag)
		if l, err := c.line(); err != nil || !strings.HasPrefix(l, "+") {
			return 0, fmt.Errorf("IDLE: %q %v", l, err)
		}
		t0, err := trigger()
		if err != nil {
			return 0, err
		}
		c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			l, err := c.line()
			if err != nil {
				return 0, errors.New("IDLE: no EXISTS within 10s")
			}
			if strings.Contains(l, "EXISTS") {
				ds = append(ds, time.Since(t0).Seconds())
				break
			}
		}
		c.conn.SetReadDeadline(time.Time{})
		fmt.Fprintf(c.conn, "DONE\r\n")
		for {
			l, err := c.line()
			if err != nil {
				return 0, err
			}
			if strings.HasPrefix(l, tag+" ") {
				break
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	sort.Float64s(ds)
	return ds[len(ds)/2], nil
}
