package eas

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// Autodiscover namespaces of the mobilesync POX schema (MS-ASCMD
// 2.2.3.7 ff., Autodiscover for ActiveSync).
const (
	autodiscoverRequestNS  = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
	autodiscoverResponseNS = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"
)

// ExchangeOnlineURL is the ActiveSync endpoint of every mailbox in
// Microsoft 365 (Exchange Online, worldwide cloud).
const ExchangeOnlineURL = "https://outlook.office365.com/Microsoft-Server-ActiveSync"

// ErrAutodiscover: no Autodiscover endpoint gave an ActiveSync URL.
var ErrAutodiscover = errors.New("eas: autodiscover found no ActiveSync server for this address")

// Autodiscover finds the ActiveSync URL of an e-mail address with the POX
// Autodiscover request, trying https://DOMAIN/autodiscover/autodiscover.xml
// and then https://autodiscover.DOMAIN/autodiscover/autodiscover.xml,
// following Redirect (a new address) and HTTP redirects up to
// MaxRedirects times in all.
//
// Exchange Online no longer answers these requests with Basic
// credentials, so Microsoft 365 mailboxes are recognised by what the
// answers show instead, and given ExchangeOnlineURL (Result.Assumed): an
// address at a .onmicrosoft.com domain (no request is sent), a redirect to
// a host of Exchange Online (not followed), or, when no candidate gives a
// URL, an HTTP 401 that asks for a bearer token from Microsoft Entra ID.
type Autodiscover struct {
	// Credentials for the POST, usually Basic with the address as user,
	// or nil. Do not pass an Exchange Online bearer token: the candidates
	// are the domain's own web servers, not Microsoft's.
	Credentials Credentials
	// HTTPClient sends the requests; default http.DefaultClient's
	// transport. Its own redirect following is replaced.
	HTTPClient *http.Client
	// Candidates lists the URLs to try for a domain; default the two
	// above. Tests point it at an httptest server.
	Candidates func(domain string) []string
	// MaxRedirects bounds address and HTTP redirects; default 10.
	MaxRedirects int
	Logger       *slog.Logger
}

// AutodiscoverResult is what Autodiscover found.
type AutodiscoverResult struct {
	URL         string // the ActiveSync endpoint (Server Type MobileSync)
	Email       string // the address finally used, after redirects
	DisplayName string
	// ExchangeOnline: the mailbox is in Microsoft 365, which needs the
	// OAuth sign-in (`easbridge login`) and protocol 16.1.
	ExchangeOnline bool
	// Assumed: URL is ExchangeOnlineURL, inferred from the signs above
	// rather than read from an Autodiscover answer.
	Assumed bool
}

// IsExchangeOnline reports whether an ActiveSync or Autodiscover URL (or a
// bare host name) belongs to Exchange Online.
func IsExchangeOnline(u string) bool {
	host := u
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		host = p.Hostname()
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	switch host {
	case "outlook.office365.com", "outlook.office.com":
		return true
	}
	return strings.HasSuffix(host, ".outlook.com") || host == "outlook.com"
}

// exchangeOnlineResult is the fixed answer for a Microsoft 365 address.
func exchangeOnlineResult(email string) *AutodiscoverResult {
	return &AutodiscoverResult{URL: ExchangeOnlineURL, Email: email, ExchangeOnline: true, Assumed: true}
}

// entraChallenge reports an HTTP 401 that asks for a bearer token issued
// by Microsoft Entra ID, as Exchange Online (and hybrid Exchange with
// modern authentication) answer.
func entraChallenge(resp *http.Response) bool {
	if resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	for _, h := range resp.Header.Values("WWW-Authenticate") {
		l := strings.ToLower(h)
		if strings.HasPrefix(l, "bearer") && (strings.Contains(l, "login.microsoftonline.com") || strings.Contains(l, "login.windows.net")) {
			return true
		}
	}
	return false
}

// entraChallengeError is a 401 for which entraChallenge holds.
type entraChallengeError struct{ *HTTPError }

func (e *entraChallengeError) Unwrap() error { return e.HTTPError }

// errExchangeOnline ends a candidate that redirected to Exchange Online.
var errExchangeOnline = errors.New("eas: autodiscover redirects to Exchange Online")

// DefaultCandidates returns the Autodiscover URLs of MS-OXDSCLI 3.1.5 for
// a domain, in the order they are tried.
func DefaultCandidates(domain string) []string {
	return []string{
		"https://" + domain + "/autodiscover/autodiscover.xml",
		"https://autodiscover." + domain + "/autodiscover/autodiscover.xml",
	}
}

// Discover runs Autodiscover for email.
func (a *Autodiscover) Discover(ctx context.Context, email string) (*AutodiscoverResult, error) {
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if a.HTTPClient != nil {
		c := *a.HTTPClient
		c.CheckRedirect = hc.CheckRedirect
		hc = &c
	}
	log := a.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cands := a.Candidates
	if cands == nil {
		cands = DefaultCandidates
	}
	budget := a.MaxRedirects
	if budget <= 0 {
		budget = 10
	}
	var errs []error
	entra := false // a candidate asked for an Entra ID bearer token
	for hop := 0; hop <= budget; hop++ {
		_, domain, ok := strings.Cut(email, "@")
		if !ok || domain == "" {
			return nil, fmt.Errorf("eas: %q is not an e-mail address", email)
		}
		if strings.HasSuffix(strings.ToLower(strings.TrimSuffix(domain, ".")), ".onmicrosoft.com") {
			return exchangeOnlineResult(email), nil
		}
		redirected := false
		for _, u := range cands(domain) {
			res, next, err := a.try(ctx, hc, u, email, &budget)
			if errors.Is(err, errExchangeOnline) {
				log.Debug("eas autodiscover found exchange online", "url", u)
				return exchangeOnlineResult(email), nil
			}
			var ce *entraChallengeError
			if errors.As(err, &ce) {
				entra = true
			}
			if err != nil {
				log.Debug("eas autodiscover candidate failed", "url", u, "err", err)
				errs = append(errs, err)
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				continue
			}
			if res != nil {
				res.ExchangeOnline = IsExchangeOnline(res.URL)
				return res, nil
			}
			if next != "" {
				if strings.EqualFold(next, email) {
					return nil, fmt.Errorf("eas: autodiscover redirects %s to itself", email)
				}
				email, redirected = next, true
				break
			}
		}
		if !redirected {
			if entra {
				log.Debug("eas autodiscover assumes exchange online after an entra id challenge")
				return exchangeOnlineResult(email), nil
			}
			if len(errs) == 0 {
				return nil, ErrAutodiscover
			}
			return nil, fmt.Errorf("%w (%w)", ErrAutodiscover, errs[len(errs)-1])
		}
	}
	return nil, fmt.Errorf("%w: too many redirects", ErrAutodiscover)
}

// try posts to one candidate URL, following HTTP redirects to https URLs
// within the budget. It returns a result, or the address of a Redirect
// action, or an error.
func (a *Autodiscover) try(ctx context.Context, hc *http.Client, u, email string, budget *int) (*AutodiscoverResult, string, error) {
	for {
		resp, err := a.post(ctx, hc, u, email)
		if err != nil {
			return nil, "", err
		}
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			loc, err := resp.Location()
			drain(resp)
			if err != nil {
				return nil, "", fmt.Errorf("eas: autodiscover redirect without location: %w", err)
			}
			if IsExchangeOnline(loc.String()) {
				return nil, "", errExchangeOnline
			}
			if loc.Scheme != "https" && !strings.HasPrefix(u, "http://") {
				return nil, "", fmt.Errorf("eas: autodiscover redirect to insecure %s refused", loc)
			}
			if *budget--; *budget < 0 {
				return nil, "", errors.New("eas: too many autodiscover redirects")
			}
			u = loc.String()
			continue
		case http.StatusOK:
		default:
			err := c401(resp, a.Credentials)
			drain(resp)
			return nil, "", err
		}
		res, next, err := parseAutodiscover(io.LimitReader(resp.Body, 1<<20), email)
		resp.Body.Close()
		if nu, ok := strings.CutPrefix(next, "url:"); ok && err == nil {
			if IsExchangeOnline(nu) {
				return nil, "", errExchangeOnline
			}
			if *budget--; *budget < 0 {
				return nil, "", errors.New("eas: too many autodiscover redirects")
			}
			u = nu
			continue
		}
		return res, next, err
	}
}

// c401 turns a failing Autodiscover answer into an error; a 401 names the
// credentials it rejected, if any were sent.
func c401(resp *http.Response, creds Credentials) error {
	if resp.StatusCode == http.StatusUnauthorized {
		e := &HTTPError{Command: "Autodiscover", StatusCode: 401, Status: resp.Status, Err: ErrUnauthorized}
		if creds != nil {
			e.Msg = unauthorizedText(creds)
		}
		if entraChallenge(resp) {
			return &entraChallengeError{e}
		}
		return e
	}
	return &HTTPError{Command: "Autodiscover", StatusCode: resp.StatusCode, Status: resp.Status}
}

func (a *Autodiscover) post(ctx context.Context, hc *http.Client, u, email string) (*http.Response, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<Autodiscover xmlns="%s"><Request><EMailAddress>`, autodiscoverRequestNS)
	xml.EscapeText(&b, []byte(email))
	fmt.Fprintf(&b, `</EMailAddress><AcceptableResponseSchema>%s</AcceptableResponseSchema></Request></Autodiscover>`, autodiscoverResponseNS)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, &b)
	if err != nil {
		return nil, fmt.Errorf("eas: autodiscover URL %q: %w", u, err)
	}
	req.Header.Set("Content-Type", "text/xml")
	if a.Credentials != nil {
		if err := a.Credentials.Authorize(ctx, req); err != nil {
			return nil, err
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, transportError(u, err)
	}
	return resp, nil
}

// The response document; encoding/xml matches local names when the
// struct tags carry no namespace, which absorbs the two namespaces of the
// outer and inner elements.
type adDoc struct {
	Response struct {
		Error *adError `xml:"Error"`
		User  struct {
			DisplayName  string `xml:"DisplayName"`
			EMailAddress string `xml:"EMailAddress"`
		} `xml:"User"`
		// MS-OXDSCLI (Outlook schema) redirects, which some servers send
		// to mobilesync requests too.
		Account struct {
			Action       string `xml:"Action"`
			RedirectAddr string `xml:"RedirectAddr"`
			RedirectURL  string `xml:"RedirectUrl"`
		} `xml:"Account"`
		Action struct {
			Redirect string     `xml:"Redirect"`
			Error    *adError   `xml:"Error"`
			Settings []adServer `xml:"Settings>Server"`
		} `xml:"Action"`
	} `xml:"Response"`
}

type adError struct {
	Status    string `xml:"Status"`
	ErrorCode string `xml:"ErrorCode"`
	Message   string `xml:"Message"`
}

type adServer struct {
	Type string `xml:"Type"`
	URL  string `xml:"Url"`
	Name string `xml:"Name"`
}

func parseAutodiscover(r io.Reader, email string) (*AutodiscoverResult, string, error) {
	var doc adDoc
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, "", fmt.Errorf("eas: autodiscover answer is not valid XML: %w", err)
	}
	resp := doc.Response
	for _, e := range []*adError{resp.Error, resp.Action.Error} {
		if e != nil {
			return nil, "", fmt.Errorf("eas: autodiscover error %s%s: %s", e.Status, e.ErrorCode, strings.TrimSpace(e.Message))
		}
	}
	if r := strings.TrimSpace(resp.Action.Redirect); r != "" {
		return nil, r, nil
	}
	switch acc := resp.Account; strings.TrimSpace(acc.Action) {
	case "redirectAddr":
		if r := strings.TrimSpace(acc.RedirectAddr); r != "" {
			return nil, r, nil
		}
	case "redirectUrl":
		if r := strings.TrimSpace(acc.RedirectURL); strings.HasPrefix(r, "https://") {
			return nil, "url:" + r, nil
		}
		return nil, "", errors.New("eas: autodiscover redirects to a URL that is not https")
	}
	for _, s := range resp.Action.Settings {
		if strings.EqualFold(strings.TrimSpace(s.Type), "MobileSync") {
			u := strings.TrimSpace(s.URL)
			if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
				return nil, "", fmt.Errorf("eas: autodiscover gave an invalid URL %q", u)
			}
			addr := resp.User.EMailAddress
			if addr == "" {
				addr = email
			}
			return &AutodiscoverResult{URL: u, Email: addr, DisplayName: resp.User.DisplayName}, "", nil
		}
	}
	return nil, "", errors.New("eas: autodiscover answer has no MobileSync server")
}
