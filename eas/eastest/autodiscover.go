package eastest

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
)

// Namespaces of the Autodiscover POX exchange for ActiveSync (MS-ASCMD
// 2.2.3.7, "mobilesync" schemas).
const (
	adResponseNS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	adMobileNS   = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"
)

// isAutodiscover reports whether a request is for the POX Autodiscover
// endpoint rather than for ActiveSync.
func isAutodiscover(r *http.Request) bool {
	return strings.HasSuffix(strings.ToLower(r.URL.Path), "/autodiscover/autodiscover.xml")
}

// autodiscover answers a POX Autodiscover request: the ActiveSync URL of
// the user (AutodiscoverURL, or this server's own), an address redirect
// from Config.AutodiscoverRedirect, or error 600 for an unknown address.
func (s *Server) autodiscover(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Request struct {
			EMailAddress             string
			AcceptableResponseSchema string
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || xml.Unmarshal(body, &req) != nil || req.Request.EMailAddress == "" {
		http.Error(w, "malformed Autodiscover request", http.StatusBadRequest)
		return
	}
	email := strings.TrimSpace(req.Request.EMailAddress)
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<Autodiscover xmlns="` + adResponseNS + `"><Response xmlns="` + adMobileNS + `">`)
	s.mu.Lock()
	redirect := s.cfg.AutodiscoverRedirect[strings.ToLower(email)]
	u := s.lookupUser(email)
	s.mu.Unlock()
	switch {
	case redirect != "":
		b.WriteString("<Action><Redirect>" + esc(redirect) + "</Redirect></Action>")
	case u == nil:
		b.WriteString("<Error><ErrorCode>600</ErrorCode><Message>Invalid Request</Message></Error>")
	default:
		url := s.cfg.AutodiscoverURL
		if url == "" {
			scheme := "http"
			if r.TLS != nil {
				scheme = "https"
			}
			url = scheme + "://" + r.Host + "/Microsoft-Server-ActiveSync"
		}
		b.WriteString("<Culture>en:us</Culture><User><DisplayName>" + esc(u.DisplayName) +
			"</DisplayName><EMailAddress>" + esc(u.Email) + "</EMailAddress></User>")
		b.WriteString("<Action><Settings><Server><Type>MobileSync</Type><Url>" + esc(url) +
			"</Url><Name>" + esc(url) + "</Name></Server></Settings></Action>")
	}
	b.WriteString("</Response></Autodiscover>")
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
