package imapd

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// maxSearchBody bounds how much of a message BODY and TEXT search read.
const maxSearchBody = 16 << 20

// Search answers SEARCH and UID SEARCH (RFC 3501 6.4.4). Flags, UIDs and
// sizes come from memory; the file is read only for criteria that need
// it (dates, header, body).
func (s *session) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, _ *imap.SearchOptions) (*imap.SearchData, error) {
	s.mb.mu.Lock()
	all := s.resolveLocked(imap.SeqSet{{Start: 1, Stop: 0}})
	s.mb.mu.Unlock()
	var max uint32
	var maxUID imap.UID
	if n := len(all); n > 0 {
		max, maxUID = all[n-1].seq, all[n-1].msg.uid
	}
	data := &imap.SearchData{}
	var seqs imap.SeqSet
	var uids imap.UIDSet
	for i := range all {
		h := &all[i]
		mf := &msgFile{s: s, key: h.msg.key, nameSize: h.msg.size}
		ok := s.match(h, mf, criteria, max, maxUID)
		mf.close()
		if !ok {
			continue
		}
		seqs.AddNum(h.seq)
		uids.AddNum(h.msg.uid)
		num := h.seq
		if kind == imapserver.NumKindUID {
			num = uint32(h.msg.uid)
		}
		if data.Count == 0 || num < data.Min {
			data.Min = num
		}
		if num > data.Max {
			data.Max = num
		}
		data.Count++
	}
	if kind == imapserver.NumKindUID {
		data.All = uids
	} else {
		data.All = seqs
	}
	return data, nil
}

func (s *session) match(h *hit, mf *msgFile, c *imap.SearchCriteria, max uint32, maxUID imap.UID) bool {
	for _, set := range c.SeqNum {
		if !inRanges(h.seq, max, seqRanges(set)) {
			return false
		}
	}
	for _, set := range c.UID {
		if !inRanges(uint32(h.msg.uid), uint32(maxUID), uidRanges(set)) {
			return false
		}
	}
	for _, f := range c.Flag {
		if !h.msg.hasFlag(f) {
			return false
		}
	}
	for _, f := range c.NotFlag {
		if h.msg.hasFlag(f) {
			return false
		}
	}
	if c.Larger > 0 || c.Smaller > 0 {
		size := mf.size()
		if c.Larger > 0 && size <= c.Larger || c.Smaller > 0 && size >= c.Smaller {
			return false
		}
	}
	if !c.Since.IsZero() || !c.Before.IsZero() {
		t, ok := mf.internalDate()
		if !ok || !inDates(t, c.Since, c.Before) {
			return false
		}
	}
	if !s.matchContent(mf, c) {
		return false
	}
	for _, n := range c.Not {
		if s.match(h, mf, &n, max, maxUID) {
			return false
		}
	}
	for _, or := range c.Or {
		if !s.match(h, mf, &or[0], max, maxUID) && !s.match(h, mf, &or[1], max, maxUID) {
			return false
		}
	}
	return true
}

// matchContent checks the criteria that read the message.
func (s *session) matchContent(mf *msgFile, c *imap.SearchCriteria) bool {
	if len(c.Header) == 0 && c.SentSince.IsZero() && c.SentBefore.IsZero() && len(c.Body) == 0 && len(c.Text) == 0 {
		return true
	}
	raw, err := mf.header()
	if err != nil {
		return false
	}
	th, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	for _, f := range c.Header {
		vals := th.Values(f.Key)
		if len(vals) == 0 || !containsFold(strings.Join(vals, "\n"), f.Value) {
			return false
		}
	}
	if !c.SentSince.IsZero() || !c.SentBefore.IsZero() {
		d, err := (&mail.Header{Header: gomessage.Header{Header: th}}).Date()
		if err != nil || !inDates(d, c.SentSince, c.SentBefore) {
			return false
		}
	}
	if len(c.Body) > 0 || len(c.Text) > 0 {
		r, err := mf.reader()
		if err != nil {
			return false
		}
		all, _ := io.ReadAll(io.LimitReader(r, maxSearchBody))
		body := string(all[min(len(raw), len(all)):])
		for _, b := range c.Body {
			if !containsFold(body, b) {
				return false
			}
		}
		for _, t := range c.Text {
			if !containsFold(string(all), t) {
				return false
			}
		}
	}
	return true
}

// inDates compares dates only, as RFC 3501 6.4.4 says (SINCE is
// inclusive, BEFORE exclusive).
func inDates(t, since, before time.Time) bool {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if !since.IsZero() && day.Before(time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, time.UTC)) {
		return false
	}
	if !before.IsZero() && !day.Before(time.Date(before.Year(), before.Month(), before.Day(), 0, 0, 0, 0, time.UTC)) {
		return false
	}
	return true
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func seqRanges(set imap.SeqSet) func(yield func(a, b uint32) bool) {
	return func(yield func(a, b uint32) bool) {
		for _, r := range set {
			if !yield(r.Start, r.Stop) {
				return
			}
		}
	}
}

func uidRanges(set imap.UIDSet) func(yield func(a, b uint32) bool) {
	return func(yield func(a, b uint32) bool) {
		for _, r := range set {
			if !yield(uint32(r.Start), uint32(r.Stop)) {
				return
			}
		}
	}
}
