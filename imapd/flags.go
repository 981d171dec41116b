package imapd

import (
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/easbridge/easbridge/maildir"
)

// flagMap pairs the IMAP system flags with the Maildir info letters
// (cr.yp.to/proto/maildir.html; $Forwarded is how Thunderbird and
// Dovecot spell "Passed").
var flagMap = []struct {
	imap imap.Flag
	md   maildir.Flags
}{
	{imap.FlagSeen, maildir.Seen},
	{imap.FlagAnswered, maildir.Replied},
	{imap.FlagFlagged, maildir.Flagged},
	{imap.FlagDeleted, maildir.Trashed},
	{imap.FlagDraft, maildir.Draft},
	{imap.FlagForwarded, maildir.Passed},
}

// mailboxFlags is what FLAGS lists on SELECT.
var mailboxFlags = []imap.Flag{imap.FlagSeen, imap.FlagAnswered, imap.FlagFlagged,
	imap.FlagDeleted, imap.FlagDraft, imap.FlagForwarded}

// permanentFlags adds \* : keywords are kept (in the uid list).
var permanentFlags = append(append([]imap.Flag{}, mailboxFlags...), imap.FlagWildcard)

// imapFlags lists the message's flags for FETCH FLAGS.
func (m *message) imapFlags() []imap.Flag {
	out := make([]imap.Flag, 0, 4+len(m.keywords))
	for _, f := range flagMap {
		if m.flags&f.md != 0 {
			out = append(out, f.imap)
		}
	}
	for _, k := range m.keywords {
		out = append(out, imap.Flag(k))
	}
	return out
}

// splitFlags parses IMAP flags into Maildir letters and keywords. \Recent
// and other unknown system flags (starting with '\') are ignored, as
// RFC 3501 6.4.6 allows for flags the server does not keep.
func splitFlags(flags []imap.Flag) (maildir.Flags, []string) {
	var md maildir.Flags
	var kw []string
next:
	for _, f := range flags {
		for _, m := range flagMap {
			if strings.EqualFold(string(f), string(m.imap)) {
				md |= m.md
				continue next
			}
		}
		if strings.HasPrefix(string(f), `\`) || string(f) == "" {
			continue
		}
		kw = append(kw, string(f))
	}
	return md, normKeywords(kw)
}

// normKeywords sorts and de-duplicates keywords (case-insensitively, as
// RFC 3501 2.3.2 compares flags).
func normKeywords(kw []string) []string {
	if len(kw) == 0 {
		return nil
	}
	sort.Slice(kw, func(i, j int) bool { return strings.ToLower(kw[i]) < strings.ToLower(kw[j]) })
	out := kw[:1]
	for _, k := range kw[1:] {
		if !strings.EqualFold(k, out[len(out)-1]) {
			out = append(out, k)
		}
	}
	return out
}

// applyKeywords computes the keyword set after a STORE.
func applyKeywords(cur, kw []string, op imap.StoreFlagsOp) []string {
	switch op {
	case imap.StoreFlagsSet:
		return kw
	case imap.StoreFlagsAdd:
		return normKeywords(append(append([]string{}, cur...), kw...))
	default:
		var out []string
	keep:
		for _, c := range cur {
			for _, k := range kw {
				if strings.EqualFold(c, k) {
					continue keep
				}
			}
			out = append(out, c)
		}
		return out
	}
}

// hasFlag says whether m carries flag f (for SEARCH).
func (m *message) hasFlag(f imap.Flag) bool {
	for _, fm := range flagMap {
		if strings.EqualFold(string(f), string(fm.imap)) {
			return m.flags&fm.md != 0
		}
	}
	for _, k := range m.keywords {
		if strings.EqualFold(k, string(f)) {
			return true
		}
	}
	return false
}
