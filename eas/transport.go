package eas

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// Content types of MS-ASHTTP 2.2.1.1.2.3 and 2.2.2.1.2.
const (
	contentTypeWBXML     = "application/vnd.ms-sync.wbxml"
	contentTypeMultipart = "application/vnd.ms-sync.multipart"
	contentTypeRFC822    = "message/rfc822"
)

// maxRedirects bounds the 451 redirects followed for one request.
const maxRedirects = 3

// request is one command to send. The body is held in memory so that the
// request can be repeated after a redirect, a provisioning or a token
// refresh; requests are small, except SendMail, whose message is needed
// whole anyway.
type request struct {
	cmd             string
	params          []param
	body            []byte
	contentType     string // default WBXML
	acceptMultiPart bool
	provisioning    bool // the Provision command itself: no 449 loop
}

// response is an answer with status 200. body is positioned at the start
// of the content; empty reports a body without a single byte.
type response struct {
	http  *http.Response
	body  *bufio.Reader
	empty bool
}

func (r *response) Close() error { return r.http.Body.Close() }

func (r *response) contentType() string {
	mt, _, _ := mime.ParseMediaType(r.http.Header.Get("Content-Type"))
	return strings.ToLower(mt)
}

// wbxml returns a decoder on the body, or ErrNotWBXML when the server
// answered with another content type (an HTML page, say).
func (r *response) wbxml() (*wbxml.Decoder, error) {
	switch ct := r.contentType(); ct {
	case contentTypeWBXML, "application/vnd.ms-sync", "":
		return wbxml.NewDecoder(r.body), nil
	default:
		return nil, &netError{kind: ErrNotWBXML, msg: fmt.Sprintf("eas: the server answered with %s instead of ActiveSync WBXML, the URL may lead to a web page", ct)}
	}
}

// send posts r and returns the 200 answer; it follows 451 redirects,
// provisions on 449 and refreshes a bearer token once on 401. The caller
// closes the response.
func (c *Client) send(ctx context.Context, r *request) (*response, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	redirects, provisioned, refreshed := 0, false, false
	for {
		resp, err := c.post(ctx, v, r)
		if err != nil {
			return nil, err
		}
		switch resp.StatusCode {
		case http.StatusOK:
			return newResponse(resp)
		case 451:
			loc := resp.Header.Get("X-MS-Location")
			drain(resp)
			if loc == "" || redirects >= maxRedirects {
				return nil, &HTTPError{Command: r.cmd, StatusCode: 451, Status: resp.Status, Err: errTooManyRedirects}
			}
			nu, err := redirectURL(c.URL(), loc)
			if err != nil {
				return nil, err
			}
			redirects++
			c.log.Info("eas server redirected the account", "url", nu)
			c.setURL(nu)
			continue
		case 449:
			drain(resp)
			if r.provisioning || provisioned {
				return nil, &HTTPError{Command: r.cmd, StatusCode: 449, Status: resp.Status, Err: ErrProvisionNeeded}
			}
			if _, err := c.Provision(ctx); err != nil {
				return nil, err
			}
			provisioned = true
			continue
		case http.StatusUnauthorized:
			drain(resp)
			if !refreshed {
				ok, err := refreshCredentials(ctx, c.cfg.Credentials)
				if err != nil {
					return nil, err
				}
				if ok {
					refreshed = true
					continue
				}
			}
		}
		return nil, c.httpError(r.cmd, resp)
	}
}

var errTooManyRedirects = errors.New("eas: the server redirected the account too often")

// post sends one HTTP request.
func (c *Client) post(ctx context.Context, v Version, r *request) (*http.Response, error) {
	c.mu.Lock()
	base, policyKey := c.url, c.policyKey
	c.mu.Unlock()
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("eas: bad server URL: %w", err)
	}
	if c.cfg.Base64Query {
		q, err := base64Query(v, r.cmd, c.cfg.User, c.cfg.DeviceID, c.cfg.DeviceType, policyKey, r.params)
		if err != nil {
			return nil, err
		}
		u.RawQuery = url.QueryEscape(q)
	} else {
		u.RawQuery = plainQuery(r.cmd, c.cfg.User, c.cfg.DeviceID, c.cfg.DeviceType, r.params)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(r.body))
	if err != nil {
		return nil, fmt.Errorf("eas: building %s request: %w", r.cmd, err)
	}
	ct := r.contentType
	if ct == "" {
		ct = contentTypeWBXML
	}
	if len(r.body) > 0 || ct != contentTypeWBXML {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if !c.cfg.Base64Query {
		req.Header.Set("MS-ASProtocolVersion", v.String())
		if policyKey != "" {
			req.Header.Set("X-MS-PolicyKey", policyKey)
		}
	}
	if r.acceptMultiPart {
		req.Header.Set("MS-ASAcceptMultiPart", "T")
	}
	if err := c.cfg.Credentials.Authorize(ctx, req); err != nil {
		return nil, err
	}
	c.log.Debug("eas request", "cmd", r.cmd, "bytes", len(r.body))
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("eas: %s: %w", r.cmd, ctx.Err())
		}
		return nil, transportError(base, err)
	}
	c.log.Debug("eas response", "cmd", r.cmd, "status", resp.StatusCode)
	return resp, nil
}

func newResponse(resp *http.Response) (*response, error) {
	br := bufio.NewReaderSize(resp.Body, 32<<10)
	r := &response{http: resp, body: br}
	if resp.ContentLength == 0 {
		r.empty = true
		return r, nil
	}
	if _, err := br.Peek(1); err != nil {
		if err == io.EOF {
			r.empty = true
			return r, nil
		}
		resp.Body.Close()
		return nil, fmt.Errorf("eas: reading response: %w", err)
	}
	return r, nil
}

// drain reads a little of an unwanted body so the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// httpError turns a failing HTTP status into the matching error and
// closes the response.
func (c *Client) httpError(cmd string, resp *http.Response) error {
	defer drain(resp)
	e := &HTTPError{Command: cmd, StatusCode: resp.StatusCode, Status: resp.Status}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		e.Err = ErrUnauthorized
		e.Msg = unauthorizedText(c.cfg.Credentials)
	case http.StatusForbidden:
		e.Err = ErrForbidden
	case http.StatusNotFound:
		e.Err = ErrNotFound
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		te := &ThrottledError{Command: cmd, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()), Err: ErrUnavailable}
		if th := resp.Header.Get("X-MS-ASThrottle"); th != "" || resp.StatusCode == http.StatusTooManyRequests {
			te.Err = ErrThrottled
			te.Reason = th
		}
		return te
	case 507:
		e.Err = errMailboxFull
	}
	return e
}

var errMailboxFull = errors.New("eas: the mailbox on the server is full")

// retryAfter parses Retry-After: delay-seconds or an HTTP date (RFC 9110
// 10.2.3).
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

// redirectURL resolves X-MS-Location. Exchange sends a full URL; a bare
// host is taken to keep the path.
func redirectURL(current, loc string) (string, error) {
	cu, err := url.Parse(current)
	if err != nil {
		return "", fmt.Errorf("eas: bad server URL: %w", err)
	}
	nu, err := cu.Parse(strings.TrimSpace(loc))
	if err != nil || (nu.Scheme != "https" && nu.Scheme != "http") || nu.Host == "" {
		return "", fmt.Errorf("eas: the server redirected to an invalid URL %q", loc)
	}
	if cu.Scheme == "https" && nu.Scheme != "https" {
		return "", fmt.Errorf("eas: the server redirected from https to plain http (%s), refused", nu.Host)
	}
	nu.RawQuery = ""
	return nu.String(), nil
}
