package eastest

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// query holds the URI parameters of MS-ASHTTP 2.2.1.1.1, from either form.
type query struct {
	cmd, user, deviceID, deviceType string
	version                         string // from the base64 form only
	policyKey                       string // from the base64 form or X-MS-PolicyKey
	hasPolicyKey                    bool
	saveInSent                      bool
	acceptMultiPart                 bool
	itemID, collectionID, longID    string
	occurrence                      string
}

// commandCodes maps the command codes of the base64-encoded query value
// (MS-ASHTTP 2.2.1.1.1.1.2) to command names.
var commandCodes = map[byte]string{
	0: "Sync", 1: "SendMail", 2: "SmartForward", 3: "SmartReply", 4: "GetAttachment",
	9: "FolderSync", 10: "FolderCreate", 11: "FolderDelete", 12: "FolderUpdate",
	13: "MoveItems", 14: "GetItemEstimate", 15: "MeetingResponse", 16: "Search",
	17: "Settings", 18: "Ping", 19: "ItemOperations", 20: "Provision",
	21: "ResolveRecipients", 22: "ValidateCert",
}

func parseQuery(r *http.Request) (query, error) {
	var q query
	raw := r.URL.RawQuery
	if isBase64Query(raw) {
		if err := q.parseBase64(raw); err != nil {
			return q, err
		}
	} else {
		v := r.URL.Query()
		q.cmd = v.Get("Cmd")
		q.user = v.Get("User")
		q.deviceID = v.Get("DeviceId")
		q.deviceType = v.Get("DeviceType")
		q.saveInSent = strings.EqualFold(v.Get("SaveInSent"), "T")
		q.itemID = v.Get("ItemId")
		q.collectionID = v.Get("CollectionId")
		q.longID = v.Get("LongId")
		q.occurrence = v.Get("Occurrence")
	}
	if strings.EqualFold(r.Header.Get("MS-ASAcceptMultiPart"), "T") {
		q.acceptMultiPart = true
	}
	if !q.hasPolicyKey {
		if h, ok := r.Header["X-Ms-Policykey"]; ok && len(h) > 0 {
			q.policyKey, q.hasPolicyKey = h[0], true
		}
	}
	return q, nil
}

// isBase64Query tells the base64 form from the plain one: a plain query
// always has Cmd=, a base64 one may end in '=' padding.
func isBase64Query(raw string) bool {
	return raw != "" && !strings.Contains(raw, "Cmd=") && !strings.Contains(raw, "&")
}

// parseBase64 decodes the byte sequence of MS-ASHTTP 2.2.1.1.1.1.
func (q *query) parseBase64(raw string) error {
	s, err := url.QueryUnescape(raw)
	if err != nil {
		return fmt.Errorf("eastest: base64 query: %w", err)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("eastest: base64 query: %w", err)
	}
	rd := &byteReader{b: b}
	ver := rd.byte()
	code := rd.byte()
	rd.skip(2) // locale
	q.deviceID = string(rd.counted())
	if pk := rd.counted(); len(pk) == 4 {
		q.policyKey = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(pk)), 10)
		q.hasPolicyKey = true
	} else if len(pk) != 0 {
		return errors.New("eastest: base64 query: policy key is not 4 bytes")
	}
	q.deviceType = string(rd.counted())
	for rd.err == nil && rd.left() > 0 {
		tag := rd.byte()
		val := rd.counted()
		switch tag {
		case 1:
			q.collectionID = string(val)
		case 3:
			q.itemID = string(val)
		case 4:
			q.longID = string(val)
		case 6:
			q.occurrence = string(val)
		case 7:
			q.saveInSent = len(val) > 0 && val[0]&0x01 != 0
			q.acceptMultiPart = len(val) > 0 && val[0]&0x02 != 0
		case 8:
			q.user = string(val)
		}
	}
	if rd.err != nil {
		return fmt.Errorf("eastest: base64 query: %w", rd.err)
	}
	q.version = fmt.Sprintf("%d.%d", ver/10, ver%10)
	name, ok := commandCodes[code]
	if !ok {
		return fmt.Errorf("eastest: base64 query: unknown command code %d", code)
	}
	q.cmd = name
	return nil
}

type byteReader struct {
	b   []byte
	err error
}

func (r *byteReader) left() int { return len(r.b) }

func (r *byteReader) byte() byte {
	if len(r.b) < 1 {
		r.err = errors.New("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *byteReader) skip(n int) {
	if len(r.b) < n {
		r.err = errors.New("truncated")
		r.b = nil
		return
	}
	r.b = r.b[n:]
}

func (r *byteReader) counted() []byte {
	n := int(r.byte())
	if len(r.b) < n {
		r.err = errors.New("truncated")
		r.b = nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}
