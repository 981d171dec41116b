package eastest

import (
	"bytes"
	"fmt"
	"net/mail"
	"strings"

	"github.com/easbridge/easbridge/eas/wbxml"
)

// SentMessage is a message a client sent with SendMail, SmartReply or
// SmartForward, as the server passed it on.
type SentMessage struct {
	Command     string   // "SendMail", "SmartReply" or "SmartForward"
	User        string   // the sender's log-on name
	DeviceID    string   // the sending device
	ClientID    string   // ComposeMail ClientId ("" for a raw MIME request)
	Recipients  []string // addresses from To, Cc and Bcc, lower case
	MIME        []byte   // the message as delivered (with the source appended by Smart*)
	SavedInSent bool
}

// SentMessages returns every message sent through the server, in order.
func (s *Server) SentMessages() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.sent...)
}

// ComposeMail statuses (MS-ASCMD 2.2.3.177.6).
const (
	composeInvalidMIME   = 107
	composeSourceMissing = 150
	composeDuplicate     = 118
	composeProtocolError = 103
)

// sendMail serves SendMail, SmartReply and SmartForward (MS-ASCMD
// 2.2.1.16, 2.2.1.17, 2.2.1.18), in the ComposeMail WBXML form (14.0 and
// later, the only form of 16.x) and the raw message/rfc822 form with
// query parameters of earlier versions. Success is an empty 200 answer.
// Recipients that are users of the server get the message in their Inbox;
// SaveInSentItems puts a read copy into the sender's Sent Items.
func (s *Server) sendMail(req *request) (*wbxml.Node, error) {
	var (
		msg                 []byte
		clientID            string
		saveInSent, replace bool
		srcFolder, srcItem  string
		rootTag             = statusRoots[req.cmd][0]
	)
	fail := func(st int) (*wbxml.Node, error) {
		return box(rootTag, num(wbxml.ComposeMailStatus, st)), nil
	}
	switch {
	case req.rfc822:
		msg = req.body
		saveInSent = req.q.saveInSent
		srcFolder, srcItem = req.q.collectionID, req.q.itemID
	case req.root != nil && req.root.Tag == rootTag:
		m := child(req.root, wbxml.ComposeMailMime)
		if m == nil {
			return fail(composeProtocolError)
		}
		msg = m.Text
		clientID = text(req.root, wbxml.ComposeMailClientId)
		saveInSent = has(req.root, wbxml.ComposeMailSaveInSentItems)
		replace = has(req.root, wbxml.ComposeMailReplaceMime)
		src := child(req.root, wbxml.ComposeMailSource)
		srcFolder, srcItem = text(src, wbxml.ComposeMailFolderId), text(src, wbxml.ComposeMailItemId)
		if srcItem == "" {
			srcItem = text(src, wbxml.ComposeMailLongId)
		}
	default:
		return nil, badRequest(req.cmd + " without a message")
	}
	hdr, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return fail(composeInvalidMIME)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := req.dev
	if clientID != "" && d.sentIDs[clientID] && !s.cfg.ForgetClientIDs {
		return fail(composeDuplicate)
	}
	if req.cmd != "SendMail" {
		_, src := req.user.findItem(srcItem)
		if src == nil || (srcFolder != "" && !strings.HasPrefix(src.id, srcFolder+":")) {
			return fail(composeSourceMissing)
		}
		if !replace && src.mime != nil {
			msg = appendSource(req.cmd, msg, src.mime)
		}
	}
	rcpts := recipients(hdr.Header)
	for _, a := range rcpts {
		if u := s.users[a]; u != nil {
			if _, err := s.deliverLocked(u, TypeInbox, msg, false); err != nil {
				return nil, err
			}
		}
	}
	if saveInSent {
		if _, err := s.deliverLocked(req.user, TypeSentItems, msg, true); err != nil {
			return nil, err
		}
	}
	if clientID != "" {
		if d.sentIDs == nil {
			d.sentIDs = map[string]bool{}
		}
		d.sentIDs[clientID] = true
	}
	s.sent = append(s.sent, SentMessage{Command: req.cmd, User: req.user.Name, DeviceID: d.id,
		ClientID: clientID, Recipients: rcpts, MIME: msg, SavedInSent: saveInSent})
	return nil, nil
}

// appendSource adds the source message to a reply or forward the way a
// server does when ReplaceMime is absent: a forward gets it attached as
// message/rfc822, a reply gets it quoted below a plain-text message.
func appendSource(cmd string, msg, src []byte) []byte {
	head, body, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
	if !ok {
		head, body, _ = bytes.Cut(msg, []byte("\n\n"))
	}
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return msg
	}
	ct := strings.ToLower(m.Header.Get("Content-Type"))
	if cmd == "SmartReply" {
		if ct != "" && !strings.HasPrefix(ct, "text/plain") {
			return msg
		}
		p, err := parseMail(src)
		if err != nil {
			return msg
		}
		var b bytes.Buffer
		b.Write(msg)
		b.WriteString("\r\n")
		for _, line := range strings.Split(strings.TrimRight(p.plain, "\r\n"), "\n") {
			b.WriteString("> " + strings.TrimRight(line, "\r") + "\r\n")
		}
		return b.Bytes()
	}
	const boundary = "eastest-forward-boundary"
	var keep []string
	skipping := false
	for _, line := range strings.Split(string(head), "\n") {
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			if !skipping {
				keep = append(keep, strings.TrimRight(line, "\r"))
			}
			continue
		}
		l := strings.ToLower(line)
		skipping = strings.HasPrefix(l, "content-type:") || strings.HasPrefix(l, "content-transfer-encoding:") ||
			strings.HasPrefix(l, "mime-version:")
		if !skipping {
			keep = append(keep, strings.TrimRight(line, "\r"))
		}
	}
	ctype := m.Header.Get("Content-Type")
	if ctype == "" {
		ctype = "text/plain; charset=utf-8"
	}
	var b bytes.Buffer
	for _, l := range keep {
		b.WriteString(l + "\r\n")
	}
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=%q\r\n\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: %s\r\n", boundary, ctype)
	if cte := m.Header.Get("Content-Transfer-Encoding"); cte != "" {
		fmt.Fprintf(&b, "Content-Transfer-Encoding: %s\r\n", cte)
	}
	b.WriteString("\r\n")
	b.Write(body)
	fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"forwarded.eml\"\r\n\r\n", boundary)
	b.Write(src)
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return b.Bytes()
}
