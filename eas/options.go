package eas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// ServerOptions is the answer to OPTIONS (MS-ASHTTP 2.2.3, 2.2.4).
type ServerOptions struct {
	Versions []Version // MS-ASProtocolVersions, as listed (unknown ones dropped)
	Commands []string  // MS-ASProtocolCommands
	Server   string    // MS-Server-ActiveSync, the server's own version
}

// HasCommand reports whether the server lists cmd.
func (o *ServerOptions) HasCommand(cmd string) bool {
	for _, c := range o.Commands {
		if strings.EqualFold(c, cmd) {
			return true
		}
	}
	return false
}

// Options asks the server which protocol versions and commands it
// supports (HTTP OPTIONS). It follows 451 redirects like every command.
func (c *Client) Options(ctx context.Context) (*ServerOptions, error) {
	refreshed := false
	for redirects := 0; ; {
		u := c.URL()
		req, err := http.NewRequestWithContext(ctx, http.MethodOptions, u, nil)
		if err != nil {
			return nil, fmt.Errorf("eas: building OPTIONS request: %w", err)
		}
		req.Header.Set("User-Agent", c.cfg.UserAgent)
		if err := c.cfg.Credentials.Authorize(ctx, req); err != nil {
			return nil, err
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("eas: OPTIONS: %w", ctx.Err())
			}
			return nil, transportError(u, err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			drain(resp)
			o := parseOptions(resp.Header)
			if len(o.Versions) == 0 {
				return nil, &netError{kind: ErrNotFound, msg: fmt.Sprintf("eas: %s answers, but not as an ActiveSync server (no protocol versions in its OPTIONS reply)", req.URL.Host)}
			}
			return o, nil
		case 451:
			loc := resp.Header.Get("X-MS-Location")
			drain(resp)
			if loc == "" || redirects >= maxRedirects {
				return nil, &HTTPError{Command: "OPTIONS", StatusCode: 451, Status: resp.Status, Err: errTooManyRedirects}
			}
			nu, err := redirectURL(u, loc)
			if err != nil {
				return nil, err
			}
			redirects++
			c.setURL(nu)
			continue
		case http.StatusUnauthorized:
			if !refreshed {
				ok, err := refreshCredentials(ctx, c.cfg.Credentials)
				if err != nil {
					drain(resp)
					return nil, err
				}
				if ok {
					drain(resp)
					refreshed = true
					continue
				}
			}
		}
		return nil, c.httpError("OPTIONS", resp)
	}
}

func parseOptions(h http.Header) *ServerOptions {
	o := &ServerOptions{Server: strings.TrimSpace(h.Get("MS-Server-ActiveSync"))}
	for _, s := range splitList(h.Values("MS-ASProtocolVersions")) {
		if v, err := ParseVersion(s); err == nil {
			o.Versions = append(o.Versions, v)
		}
	}
	o.Commands = splitList(h.Values("MS-ASProtocolCommands"))
	return o
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// roundTrip sends r and hands the decoder, positioned just after the root
// element's start tag, to handle; an empty body calls handle(nil). A
// status asking for provisioning (141-144) that handle returns as a
// *StatusError provisions and repeats the request once.
func (c *Client) roundTrip(ctx context.Context, r *request, root wbxml.Tag, handle func(d *wbxml.Decoder) error) error {
	for attempt := 0; ; attempt++ {
		resp, err := c.send(ctx, r)
		if err != nil {
			return err
		}
		err = c.decodeResponse(resp, r.cmd, root, handle)
		var se *StatusError
		if err != nil && attempt == 0 && !r.provisioning && errors.As(err, &se) && needsProvisioning(se.Status) {
			c.log.Info("eas server demands provisioning", "cmd", r.cmd, "status", se.Status)
			if _, perr := c.Provision(ctx); perr != nil {
				return perr
			}
			continue
		}
		return err
	}
}

func (c *Client) decodeResponse(resp *response, cmd string, root wbxml.Tag, handle func(d *wbxml.Decoder) error) error {
	defer resp.Close()
	if resp.empty {
		return handle(nil)
	}
	d, err := resp.wbxml()
	if err != nil {
		return err
	}
	t, err := d.Root()
	if err != nil {
		if errors.Is(err, wbxml.ErrNotWBXML) {
			return &netError{kind: ErrNotWBXML, msg: fmt.Sprintf("eas: the server answered %s with something that is not ActiveSync WBXML", cmd), cause: err}
		}
		return fmt.Errorf("eas: decoding %s response: %w", cmd, err)
	}
	if t != root {
		return fmt.Errorf("eas: %s answered with a %s document", cmd, t)
	}
	if err := handle(d); err != nil {
		var se *StatusError
		var te *ThrottledError
		if errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, ErrNotWBXML) {
			return err
		}
		return fmt.Errorf("eas: decoding %s response: %w", cmd, err)
	}
	return nil
}

// readInt reads the text of the current element as a decimal integer.
func readInt(d *wbxml.Decoder) (int, error) {
	s, err := d.Text()
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("eas: expected a number, got %q", s)
	}
	return n, nil
}

// readStatus reads a Status element of a response: nil for 1, success,
// and for any other value the error toErr maps it to.
func readStatus(d *wbxml.Decoder, toErr func(status int) error) error {
	st, err := readInt(d)
	if err != nil {
		return err
	}
	if st != 1 {
		return toErr(st)
	}
	return nil
}

// readTexts reads the text of every child of the current element, whatever
// its tag, as in Ping Folders or a Provision application list. On error
// it returns what it read before it.
func readTexts(d *wbxml.Decoder) ([]string, error) {
	var out []string
	err := d.Each(func(wbxml.Tag) error {
		s, err := d.Text()
		if err == nil {
			out = append(out, s)
		}
		return err
	})
	return out, err
}

// encode builds a WBXML request body.
func encode(build func(e *wbxml.Encoder)) ([]byte, error) {
	var b strings.Builder
	e := wbxml.NewEncoder(&b)
	build(e)
	if err := e.Close(); err != nil {
		return nil, fmt.Errorf("eas: encoding request: %w", err)
	}
	return []byte(b.String()), nil
}
