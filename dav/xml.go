package dav

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// XML namespaces.
const (
	nsDAV       = "DAV:"
	nsCalDAV    = "urn:ietf:params:xml:ns:caldav"
	nsCardDAV   = "urn:ietf:params:xml:ns:carddav"
	nsCS        = "http://calendarserver.org/ns/" // getctag
	nsApple     = "http://apple.com/ns/ical/"     // calendar-color
	nsEasbridge = "urn:easbridge:dav"             // readable error messages
)

// prefixes maps the namespaces we write to fixed prefixes, declared once
// on the root element by nsDecls.
var prefixes = map[string]string{
	nsDAV:       "d",
	nsCalDAV:    "c",
	nsCardDAV:   "card",
	nsCS:        "cs",
	nsApple:     "ical",
	nsEasbridge: "e",
}

const nsDecls = ` xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"` +
	` xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/"` +
	` xmlns:ical="http://apple.com/ns/ical/" xmlns:e="urn:easbridge:dav"`

const xmlHeader = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

// Frequently used names.
var (
	nameGetETag      = xml.Name{Space: nsDAV, Local: "getetag"}
	nameCalendarData = xml.Name{Space: nsCalDAV, Local: "calendar-data"}
	nameAddressData  = xml.Name{Space: nsCardDAV, Local: "address-data"}
)

// stringWriter is what escapeText writes to: a strings.Builder or a
// bufio.Writer.
type stringWriter interface {
	WriteString(s string) (int, error)
}

// escapeText writes s as XML character data. Quotes need no escaping in
// text. CR is kept as a reference because XML parsers turn a literal CRLF
// into LF, and calendar-data must reach the client byte for byte.
// Characters XML cannot carry (other controls, invalid UTF-8) become
// U+FFFD, so a stored object can never break a multistatus.
func escapeText(b stringWriter, s string) {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plainText[c] {
			// Plain ASCII: the common case, one table lookup.
			i++
			continue
		}
		size := 1
		var rep string
		switch {
		case c == '&':
			rep = "&amp;"
		case c == '<':
			rep = "&lt;"
		case c == '>':
			rep = "&gt;"
		case c == '\r':
			rep = "&#13;"
		case c < 0x20:
			rep = "\uFFFD"
		default:
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if r == 0xFFFE || r == 0xFFFF || (r == utf8.RuneError && size == 1) {
				rep = "\uFFFD"
			}
		}
		if rep != "" {
			b.WriteString(s[last:i])
			b.WriteString(rep)
			last = i + size
		}
		i += size
	}
	b.WriteString(s[last:])
}

// plainText marks the bytes escapeText writes as they are: printable
// ASCII but & < >, and tab and LF.
var plainText = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '&' && c != '<' && c != '>'
	}
	t['\t'], t['\n'] = true, true
	return t
}()

func escaped(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	escapeText(&b, s)
	return b.String()
}

// escapedAttr escapes an attribute value.
func escapedAttr(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// hrefXML is an href element for a path.
func hrefXML(p string) string {
	return "<d:href>" + escaped(p) + "</d:href>"
}

// propNames collects the names of the child elements of a DAV:prop.
type propNames []xml.Name

// UnmarshalXML implements xml.Unmarshaler.
func (p *propNames) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			*p = append(*p, t.Name)
			if err := d.Skip(); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// decodeBody decodes an XML request body into v. An empty body leaves v
// unchanged and returns false. A malformed body is a 400.
func decodeBody(r *http.Request, v any) (bool, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxXMLBody+1))
	if err != nil {
		return false, httpErrorf(http.StatusBadRequest, "dav: reading request body: %v", err)
	}
	if len(data) > maxXMLBody {
		return false, httpErrorf(http.StatusRequestEntityTooLarge, "dav: XML request body over %d bytes", maxXMLBody)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return false, nil
	}
	if err := checkNamespaces(data); err != nil {
		return false, httpErrorf(http.StatusBadRequest, "dav: malformed XML request body: %v", err)
	}
	if err := xml.Unmarshal(data, v); err != nil {
		return false, httpErrorf(http.StatusBadRequest, "dav: malformed XML request body: %v", err)
	}
	return true, nil
}

// maxXMLBody bounds PROPFIND, PROPPATCH, REPORT and MKCOL bodies.
const maxXMLBody = 4 << 20

// checkNamespaces refuses what encoding/xml lets through but Namespaces
// in XML 1.0 forbids: binding a prefix to the empty name (xmlns:p="",
// section 3), which litmus props checks a server rejects.
//
// A body with no empty attribute value after an xmlns: prefix (how such a
// binding must be written: encoding/xml knows no DTD entities) needs no
// token pass, so the common request is not parsed twice.
func checkNamespaces(data []byte) error {
	if !emptyPrefixBinding.Match(data) {
		return nil
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Space == "xmlns" && a.Value == "" {
					return fmt.Errorf("prefix %q bound to an empty namespace", a.Name.Local)
				}
			}
		}
	}
}

// emptyPrefixBinding finds what may be a prefix bound to "" (checkNamespaces).
var emptyPrefixBinding = regexp.MustCompile(`xmlns:[^\s=/>]+\s*=\s*(""|'')`)

// propResult is one property in a response: its value as inner XML (with
// our fixed prefixes) and its status.
type propResult struct {
	name   xml.Name
	status int
	inner  string
}

// msWriter streams a 207 multistatus (RFC 4918 13).
type msWriter struct {
	w       *bufio.Writer
	minimal bool // leave out 404 propstats
}

// newMultiStatus starts a 207. A request that prefers a minimal answer
// (RFC 8144 Prefer: return=minimal, or Apple's Brief: t) gets no 404
// propstats: a PROPFIND Depth 1 asking for properties most objects lack
// then shrinks to what exists.
func newMultiStatus(w http.ResponseWriter, r *http.Request) *msWriter {
	minimal := strings.EqualFold(strings.TrimSpace(r.Header.Get("Brief")), "t")
	for _, v := range r.Header.Values("Prefer") {
		for _, pref := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(pref), "return=minimal") {
				minimal = true
			}
		}
	}
	if minimal && r.Method != "PROPPATCH" {
		w.Header().Set("Preference-Applied", "return=minimal")
	} else {
		minimal = false
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	ms := &msWriter{w: bufio.NewWriterSize(w, 32<<10), minimal: minimal}
	ms.w.WriteString(xmlHeader + "<d:multistatus" + nsDecls + ">\n")
	return ms
}

// status writes a response carrying only a status, as for a deleted member
// in sync-collection or a missing href in multiget.
func (ms *msWriter) status(href string, status int) {
	ms.w.WriteString("<d:response><d:href>")
	escapeText(ms.w, href)
	ms.w.WriteString("</d:href><d:status>")
	ms.w.WriteString(statusLine(status))
	ms.w.WriteString("</d:status></d:response>\n")
}

// response writes one response with propstats grouped by status, in the
// order the statuses first appear.
func (ms *msWriter) response(href string, props []propResult, namesOnly bool) {
	ms.w.WriteString("<d:response><d:href>")
	escapeText(ms.w, href)
	ms.w.WriteString("</d:href>")
	var buf [4]int
	statuses := buf[:0]
	for _, p := range props {
		if !slices.Contains(statuses, p.status) {
			statuses = append(statuses, p.status)
		}
	}
	if ms.minimal && len(statuses) > 1 {
		statuses = slices.DeleteFunc(statuses, func(st int) bool { return st == http.StatusNotFound })
	}
	for _, st := range statuses {
		ms.w.WriteString("<d:propstat><d:prop>")
		for _, p := range props {
			if p.status != st {
				continue
			}
			if namesOnly || p.inner == "" {
				writeEmptyElem(ms.w, p.name)
			} else {
				writeElem(ms.w, p.name, p.inner)
			}
		}
		ms.w.WriteString("</d:prop><d:status>")
		ms.w.WriteString(statusLine(st))
		ms.w.WriteString("</d:status></d:propstat>")
	}
	ms.w.WriteString("</d:response>\n")
}

// close ends the document, with a sync-token when non-empty.
func (ms *msWriter) close(syncToken string) error {
	if syncToken != "" {
		ms.w.WriteString("<d:sync-token>" + escaped(syncToken) + "</d:sync-token>\n")
	}
	ms.w.WriteString("</d:multistatus>\n")
	return ms.w.Flush()
}

func statusLine(code int) string {
	switch code {
	case http.StatusOK:
		return "HTTP/1.1 200 OK"
	case http.StatusNotFound:
		return "HTTP/1.1 404 Not Found"
	}
	return "HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code)
}

// elemOpen returns the open tag of n and its close tag; names in foreign
// namespaces get a local declaration.
func elemTags(n xml.Name) (open, close string) {
	if t, ok := tagCache.Load(n); ok {
		tags := t.(*[2]string)
		return tags[0], tags[1]
	}
	open, close = makeTags(n)
	tagCache.Store(n, &[2]string{open, close})
	return open, close
}

// tagCache holds the tags of names already written: a PROPFIND on a large
// collection writes the same few names thousands of times. It grows only
// with the property names clients ask for.
var tagCache sync.Map

func makeTags(n xml.Name) (open, close string) {
	if p, ok := prefixes[n.Space]; ok {
		q := p + ":" + n.Local
		return "<" + q, "</" + q + ">"
	}
	if n.Space == "" {
		return "<" + n.Local + ` xmlns=""`, "</" + n.Local + ">"
	}
	return "<x:" + n.Local + ` xmlns:x="` + escapedAttr(n.Space) + `"`, "</x:" + n.Local + ">"
}

func writeEmptyElem(w *bufio.Writer, n xml.Name) {
	open, _ := elemTags(n)
	w.WriteString(open)
	w.WriteString("/>")
}

func writeElem(w *bufio.Writer, n xml.Name, inner string) {
	open, close := elemTags(n)
	w.WriteString(open)
	w.WriteString(">")
	w.WriteString(inner)
	w.WriteString(close)
}

// quoteETag returns the ETag header form of a stored tag (RFC 9110
// 8.8.3); Backend tags carry no quotes.
func quoteETag(etag string) string {
	return `"` + etag + `"`
}

// parseCondition reads an If-Match or If-None-Match header into the
// Backend's form: "" absent, "*" any, else one ETag without quotes (weak
// tags compare as their opaque part). A list keeps its first tag.
func parseCondition(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "*" {
		return v, nil
	}
	first := strings.TrimSpace(strings.SplitN(v, ",", 2)[0])
	first = strings.TrimPrefix(first, "W/")
	if len(first) < 2 || first[0] != '"' || first[len(first)-1] != '"' {
		return "", httpErrorf(http.StatusBadRequest, "dav: malformed entity tag %q", v)
	}
	return first[1 : len(first)-1], nil
}

// depthOf reads the Depth header (RFC 4918 10.2); def when absent.
func depthOf(r *http.Request, def int) (int, error) {
	switch strings.ToLower(strings.TrimSpace(r.Header.Get("Depth"))) {
	case "":
		return def, nil
	case "0":
		return 0, nil
	case "1":
		return 1, nil
	case "infinity":
		return 2, nil
	}
	return 0, httpErrorf(http.StatusBadRequest, "dav: bad Depth header %q", r.Header.Get("Depth"))
}
