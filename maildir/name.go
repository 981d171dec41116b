package maildir

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Folder names a folder by its directory under the mail root: "" is INBOX
// (the root itself), anything else is a Maildir++ directory name such as
// ".Projects.Q1". Folder is comparable and cheap, so it keys maps; use
// FolderOf to build one from display names and Path to get them back.
type Folder string

// Inbox is the folder at the root of the mirror.
const Inbox Folder = ""

// mutf7 is the modified base64 of RFC 3501 section 5.1.3: ',' replaces '/'
// and there is no padding.
var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// ErrBadName reports a folder path that cannot be mapped to a directory.
var ErrBadName = errors.New("maildir: invalid folder name")

// FolderOf maps a folder path given as display names from the top (for
// example "Projects", "Q1/Q2") to its Maildir++ directory. No path is INBOX.
// Every segment must be non-empty valid UTF-8; any character is allowed,
// see the package documentation for the encoding.
func FolderOf(path ...string) (Folder, error) {
	if len(path) == 0 {
		return Inbox, nil
	}
	var b strings.Builder
	for _, seg := range path {
		if seg == "" || !utf8.ValidString(seg) {
			return "", fmt.Errorf("%w: segment %q", ErrBadName, seg)
		}
		b.WriteByte('.')
		encodeSegment(&b, seg)
	}
	if b.Len() > 255 {
		return "", fmt.Errorf("%w: %d bytes on disk, more than 255", ErrBadName, b.Len())
	}
	return Folder(b.String()), nil
}

// encodeSegment writes one display name: '.', '/' and '\' become \2e, \2f
// and \5c (Dovecot's listescape form), printable ASCII stays, '&' becomes
// "&-" and everything else is modified UTF-7.
func encodeSegment(b *strings.Builder, seg string) {
	var run []uint16
	flush := func() {
		if len(run) == 0 {
			return
		}
		buf := make([]byte, 0, 2*len(run))
		for _, u := range run {
			buf = append(buf, byte(u>>8), byte(u))
		}
		b.WriteByte('&')
		b.WriteString(mutf7.EncodeToString(buf))
		b.WriteByte('-')
		run = run[:0]
	}
	for _, r := range seg {
		switch {
		case r == '.' || r == '/' || r == '\\':
			flush()
			fmt.Fprintf(b, "\\%02x", r)
		case r == '&':
			flush()
			b.WriteString("&-")
		case r >= 0x20 && r <= 0x7e:
			flush()
			b.WriteRune(r)
		default:
			run = utf16.AppendRune(run, r)
		}
	}
	flush()
}

// Path returns the display names of f from the top; INBOX has none. A
// directory that is not in our encoding (made by hand, say ".Café" in
// UTF-8) still decodes: undecodable parts are kept as they are and the
// error says what was wrong.
func (f Folder) Path() ([]string, error) {
	if f == Inbox {
		return nil, nil
	}
	if f[0] != '.' {
		return []string{string(f)}, fmt.Errorf("%w: %q does not start with a dot", ErrBadName, string(f))
	}
	var firstErr error
	segs := strings.Split(string(f[1:]), ".")
	for i, s := range segs {
		d, err := decodeSegment(s)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%w: %q: %v", ErrBadName, string(f), err)
		}
		segs[i] = d
	}
	return segs, firstErr
}

// String returns the path joined with '/', or "INBOX", for logs and tests.
func (f Folder) String() string {
	p, _ := f.Path()
	if len(p) == 0 {
		return "INBOX"
	}
	return strings.Join(p, "/")
}

// Parent returns the folder one level up, or INBOX for a top folder.
func (f Folder) Parent() Folder {
	i := strings.LastIndexByte(string(f), '.')
	if i <= 0 {
		return Inbox
	}
	return f[:i]
}

// decodeSegment reverses encodeSegment, leniently.
func decodeSegment(s string) (string, error) {
	var b strings.Builder
	var firstErr error
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 3
		case c == '&':
			end := strings.IndexByte(s[i+1:], '-')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String(), orErr(firstErr, "unterminated &")
			}
			enc := s[i+1 : i+1+end]
			if enc == "" {
				b.WriteByte('&')
			} else if dec, err := decodeUTF7(enc); err != nil {
				b.WriteString(s[i : i+2+end])
				firstErr = orErr(firstErr, err.Error())
			} else {
				b.WriteString(dec)
			}
			i += end + 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), firstErr
}

func decodeUTF7(enc string) (string, error) {
	raw, err := mutf7.DecodeString(enc)
	if err != nil || len(raw)%2 != 0 {
		return "", fmt.Errorf("bad modified UTF-7 %q", enc)
	}
	u := make([]uint16, len(raw)/2)
	for j := range u {
		u[j] = uint16(raw[2*j])<<8 | uint16(raw[2*j+1])
	}
	out := string(utf16.Decode(u))
	if strings.ContainsRune(out, utf8.RuneError) {
		return "", fmt.Errorf("bad UTF-16 in %q", enc)
	}
	return out, nil
}

func orErr(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New(msg)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
