package eastest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// parsedMail is what the server needs of an RFC 5322 message.
type parsedMail struct {
	header      mail.Header
	plain, html string
	attachments []mailPart
}

type mailPart struct {
	name, contentType, contentID string
	data                         []byte
}

var wordDecoder = &mime.WordDecoder{}

func decodeHeader(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// parseMail reads a message and walks its MIME tree (up to 20 levels).
func parseMail(msg []byte) (*parsedMail, error) {
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return nil, fmt.Errorf("eastest: parsing message: %w", err)
	}
	p := &parsedMail{header: m.Header}
	body, err := io.ReadAll(m.Body)
	if err != nil {
		return nil, fmt.Errorf("eastest: reading message body: %w", err)
	}
	p.walk(textproto(m.Header), body, 0)
	return p, nil
}

// textproto adapts a mail.Header to the accessor walk needs.
func textproto(h mail.Header) func(string) string { return h.Get }

func (p *parsedMail) walk(get func(string) string, body []byte, depth int) {
	ct, params, err := mime.ParseMediaType(get("Content-Type"))
	if err != nil {
		ct, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(ct, "multipart/") && depth < 20 {
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			part, err := r.NextRawPart()
			if err != nil {
				return
			}
			b, err := io.ReadAll(part)
			if err != nil {
				return
			}
			p.walk(part.Header.Get, b, depth+1)
		}
	}
	data := decodeTransfer(get("Content-Transfer-Encoding"), body)
	disp, dparams, _ := mime.ParseMediaType(get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	switch {
	case disp != "attachment" && name == "" && ct == "text/plain" && p.plain == "":
		p.plain = string(data)
	case disp != "attachment" && name == "" && ct == "text/html" && p.html == "":
		p.html = string(data)
	default:
		if name == "" {
			name = "attachment" + strconv.Itoa(len(p.attachments)+1)
		}
		p.attachments = append(p.attachments, mailPart{name: decodeHeader(name), contentType: ct,
			contentID: strings.Trim(get("Content-Id"), "<>"), data: data})
	}
}

func decodeTransfer(enc string, b []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "base64":
		out, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, newlineStripper{bytes.NewReader(b)}))
		if err == nil {
			return out
		}
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		if err == nil {
			return out
		}
	}
	return b
}

// newlineStripper drops CR and LF, which base64.NewDecoder already skips;
// it also drops spaces some senders leave.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != ' ' && c != '\t' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// mailData builds the Email fields of a message (MS-ASEMAIL 2.2.2); the
// body and attachments are added per request by addMailBody.
func mailData(msg []byte, read bool) (*wbxml.Node, error) {
	p, err := parseMail(msg)
	if err != nil {
		return nil, err
	}
	h := p.header
	n := box(wbxml.AirSyncApplicationData)
	str := func(t wbxml.Tag, s string) {
		if s != "" {
			add(n, el(t, s))
		}
	}
	str(wbxml.EmailTo, decodeHeader(h.Get("To")))
	str(wbxml.EmailCc, decodeHeader(h.Get("Cc")))
	str(wbxml.EmailFrom, decodeHeader(h.Get("From")))
	str(wbxml.EmailReplyTo, decodeHeader(h.Get("Reply-To")))
	str(wbxml.EmailSubject, decodeHeader(h.Get("Subject")))
	date, err := h.Date()
	if err != nil {
		date = time.Now()
	}
	add(n, el(wbxml.EmailDateReceived, eas.FormatDate(date.UTC())))
	if to, err := h.AddressList("To"); err == nil {
		var names []string
		for _, a := range to {
			if a.Name != "" {
				names = append(names, a.Name)
			} else {
				names = append(names, a.Address)
			}
		}
		str(wbxml.EmailDisplayTo, strings.Join(names, "; "))
	}
	imp := 1
	switch strings.ToLower(h.Get("Importance")) {
	case "high":
		imp = 2
	case "low":
		imp = 0
	}
	add(n, num(wbxml.EmailImportance, imp), boolNode(wbxml.EmailRead, read),
		el(wbxml.EmailMessageClass, "IPM.Note"), el(wbxml.EmailInternetCPID, "65001"))
	return n, nil
}

// addMailBody adds the Body the client prefers (MS-ASAIRS 2.2.2.9) and the
// attachments of a mail with a MIME source.
func addMailBody(n *wbxml.Node, r *record, o syncOpts, v eas.Version) error {
	p, err := parseMail(r.mime)
	if err != nil {
		return err
	}
	native := 1
	if p.html != "" {
		native = 2
	}
	typ, trunc := 1, 0
	for _, bp := range o.prefs {
		if bp.typ == 4 && o.mimeSupport != 2 {
			continue // MIME only with MIMESupport 2 (MS-ASCMD 2.2.3.110)
		}
		if bp.typ > typ || typ == 1 {
			typ, trunc = bp.typ, bp.trunc
		}
	}
	var data string
	switch {
	case typ == 4:
		data = string(r.mime)
	case typ == 2 && p.html != "":
		data = p.html
	default:
		typ = 1
		data = p.plain
		if data == "" && p.html != "" {
			data = stripTags(p.html)
		}
	}
	body := box(wbxml.AirSyncBaseBody, num(wbxml.AirSyncBaseType, typ),
		num(wbxml.AirSyncBaseEstimatedDataSize, len(data)))
	if trunc > 0 && len(data) > trunc {
		data = data[:trunc]
		add(body, el(wbxml.AirSyncBaseTruncated, "1"))
	}
	add(body, el(wbxml.AirSyncBaseData, data))
	add(n, body)
	if len(p.attachments) > 0 {
		atts := box(wbxml.AirSyncBaseAttachments)
		for i, a := range p.attachments {
			att := box(wbxml.AirSyncBaseAttachment, el(wbxml.AirSyncBaseDisplayName, a.name),
				el(wbxml.AirSyncBaseFileReference, fileRef(r.id, i)), num(wbxml.AirSyncBaseMethod, 1),
				num(wbxml.AirSyncBaseEstimatedDataSize, len(a.data)))
			if a.contentID != "" {
				add(att, el(wbxml.AirSyncBaseContentId, a.contentID))
			}
			add(atts, att)
		}
		add(n, atts)
	}
	add(n, num(wbxml.AirSyncBaseNativeBodyType, native))
	return nil
}

// fileRef names attachment i of an item for ItemOperations Fetch.
func fileRef(itemID string, i int) string { return itemID + "/" + strconv.Itoa(i) }

func stripTags(html string) string {
	var b strings.Builder
	in := false
	for _, c := range html {
		switch {
		case c == '<':
			in = true
		case c == '>':
			in = false
		case !in:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// recipients returns the addresses of To, Cc and Bcc.
func recipients(h mail.Header) []string {
	var out []string
	for _, k := range []string{"To", "Cc", "Bcc"} {
		list, err := h.AddressList(k)
		if err != nil {
			continue
		}
		for _, a := range list {
			out = append(out, strings.ToLower(a.Address))
		}
	}
	return out
}
