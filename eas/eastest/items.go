package eastest

import (
	"bytes"
	"fmt"

	"github.com/easbridge/easbridge/eas"
	"github.com/easbridge/easbridge/eas/wbxml"
)

// encodeItemNode returns the ApplicationData element of a typed item as
// the server sends it in version v. eas.EncodeItem writes what a client
// may send; the server adds what only servers send: the whole of an
// Email (MS-ASEMAIL 2.2.2) and an event's UID in 16.x (MS-ASCAL 2.2.2.46).
func encodeItemNode(it eas.Item, v eas.Version) (*wbxml.Node, error) {
	if m, ok := it.(*eas.Email); ok {
		return emailNode(m, v)
	}
	var b bytes.Buffer
	e := wbxml.NewEncoder(&b)
	e.Start(wbxml.AirSyncApplicationData)
	if err := eas.EncodeItem(e, it, v); err != nil {
		return nil, fmt.Errorf("eastest: encoding %T: %w", it, err)
	}
	e.End()
	if err := e.Close(); err != nil {
		return nil, fmt.Errorf("eastest: encoding %T: %w", it, err)
	}
	n, err := wbxml.Parse(&b)
	if err != nil {
		return nil, fmt.Errorf("eastest: re-reading %T: %w", it, err)
	}
	if ev, ok := it.(*eas.Event); ok && ev.UID != "" && !has(n, wbxml.CalendarUID) {
		add(n, el(wbxml.CalendarUID, ev.UID))
	}
	return n, nil
}

// decodeItemNode decodes an ApplicationData element with eas.DecodeItem.
func decodeItemNode(data *wbxml.Node, class eas.Class, v eas.Version) (eas.Item, error) {
	if data == nil {
		return nil, fmt.Errorf("eastest: item without data: %w", ErrNotFound)
	}
	n := clone(data)
	n.Tag = wbxml.AirSyncApplicationData
	b, err := encode(n)
	if err != nil {
		return nil, fmt.Errorf("eastest: encoding stored item: %w", err)
	}
	d := wbxml.NewDecoder(bytes.NewReader(b))
	if _, err := d.Root(); err != nil {
		return nil, fmt.Errorf("eastest: decoding stored item: %w", err)
	}
	if v == 0 {
		v = eas.V161
	}
	it, err := eas.DecodeItem(d, class, v)
	if err != nil {
		return it, fmt.Errorf("eastest: decoding stored item: %w", err)
	}
	return it, nil
}

// emailNode is the server's side of an Email: every field it knows.
func emailNode(m *eas.Email, v eas.Version) (*wbxml.Node, error) {
	n := box(wbxml.AirSyncApplicationData)
	str := func(t wbxml.Tag, s string) {
		if s != "" {
			add(n, el(t, s))
		}
	}
	str(wbxml.EmailTo, m.To)
	str(wbxml.EmailCc, m.Cc)
	str(wbxml.EmailFrom, m.From)
	str(wbxml.EmailReplyTo, m.ReplyTo)
	str(wbxml.EmailSubject, m.Subject)
	if !m.DateReceived.IsZero() {
		add(n, el(wbxml.EmailDateReceived, eas.FormatDate(m.DateReceived)))
	}
	str(wbxml.EmailDisplayTo, m.DisplayTo)
	str(wbxml.EmailThreadTopic, m.ThreadTopic)
	add(n, num(wbxml.EmailImportance, int(m.Importance)), boolNode(wbxml.EmailRead, m.Read))
	cls := m.MessageClass
	if cls == "" {
		cls = "IPM.Note"
	}
	add(n, el(wbxml.EmailMessageClass, cls))
	str(wbxml.EmailInternetCPID, m.InternetCPID)
	if m.Body != nil {
		data, err := m.Body.Bytes()
		if err != nil {
			return nil, fmt.Errorf("eastest: reading body: %w", err)
		}
		t := m.Body.Type
		if t == 0 {
			t = eas.BodyPlain
		}
		add(n, box(wbxml.AirSyncBaseBody, num(wbxml.AirSyncBaseType, int(t)),
			num(wbxml.AirSyncBaseEstimatedDataSize, len(data)), el(wbxml.AirSyncBaseData, string(data))))
	}
	if m.NativeBodyType != 0 {
		add(n, num(wbxml.AirSyncBaseNativeBodyType, int(m.NativeBodyType)))
	}
	if m.Flag != nil {
		add(n, box(wbxml.EmailFlag, num(wbxml.EmailStatus, int(m.Flag.Status))))
	}
	if len(m.Categories) > 0 {
		cats := box(wbxml.EmailCategories)
		for _, c := range m.Categories {
			add(cats, el(wbxml.EmailCategory, c))
		}
		add(n, cats)
	}
	if v >= eas.V160 && m.IsDraft {
		add(n, num(wbxml.Email2IsDraft, 1))
	}
	return n, nil
}

func boolNode(t wbxml.Tag, b bool) *wbxml.Node {
	if b {
		return el(t, "1")
	}
	return el(t, "0")
}

// recordNode returns a record's ApplicationData as stored or encoded for v.
func (s *Server) recordNode(r *record, v eas.Version) (*wbxml.Node, error) {
	if r.item != nil {
		return encodeItemNode(r.item, v)
	}
	n := clone(r.data)
	n.Tag = wbxml.AirSyncApplicationData
	return n, nil
}

// itemData returns what a Sync or Fetch sends for r: the stored data, and
// for mail with a MIME source the body the client asked for and the
// attachments.
func (s *Server) itemData(req *request, r *record, o syncOpts) (*wbxml.Node, error) {
	n, err := s.recordNode(r, req.version)
	if err != nil {
		return nil, err
	}
	if r.mime != nil {
		if err := addMailBody(n, r, o, req.version); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// itemClientUID returns the ClientUid (or UID) of a calendar item, which
// a 16.x client's repeated Add is recognised by.
func itemClientUID(r *record) string {
	if r.class != eas.ClassCalendar {
		return ""
	}
	if ev, ok := r.item.(*eas.Event); ok {
		if ev.ClientUID != "" {
			return ev.ClientUID
		}
		return ev.UID
	}
	if u := text(r.data, wbxml.CalendarClientUid); u != "" {
		return u
	}
	return text(r.data, wbxml.CalendarUID)
}
