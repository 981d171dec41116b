package maildir

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
)

// Flags is the set of standard Maildir flags of a message, the upper-case
// letters of the ":2," info suffix (cr.yp.to/proto/maildir.html).
type Flags uint8

// The standard flags, in the ASCII order the info suffix keeps them.
const (
	Draft   Flags = 1 << iota // D: the user considers this a draft
	Flagged                   // F: flagged for urgent or special attention
	Passed                    // P: resent, forwarded or bounced
	Replied                   // R: replied to
	Seen                      // S: read
	Trashed                   // T: marked for deletion
)

// flagLetters lists the letters of the flags in bit order, which is also
// ASCII order.
const flagLetters = "DFPRST"

// String returns the letters of f in ASCII order, for example "FS".
func (f Flags) String() string {
	var b [len(flagLetters)]byte
	n := 0
	for i := 0; i < len(flagLetters); i++ {
		if f&(1<<i) != 0 {
			b[n] = flagLetters[i]
			n++
		}
	}
	return string(b[:n])
}

// ParseFlags reads flag letters; letters it does not know (keywords, other
// programs' extensions) are returned in rest, in the order given.
func ParseFlags(s string) (f Flags, rest string) {
	var other []byte
	for i := 0; i < len(s); i++ {
		if j := strings.IndexByte(flagLetters, s[i]); j >= 0 {
			f |= 1 << j
		} else {
			other = append(other, s[i])
		}
	}
	return f, string(other)
}

// Key is the stable name of a message: the unique part of its file name,
// everything before the first ',' or ':'. Renames that change flags (by us,
// mutt, Dovecot) keep it, and so does a move that keeps the file name.
type Key string

// fileName is a parsed message file name: base ",S=size,X=id" fields and
// the ":2,flags" info. A name without info is valid (as new/ requires).
type fileName struct {
	key     Key
	base    string // everything before ':'
	hasInfo bool
	info    string // after ':', e.g. "2,FS" or an experimental "1,..."
	flags   Flags
	extra   string // unknown letters of a ":2," info: keywords and others
	size    int64  // from ",S=", or -1
	id      string // the caller's id field from ",X=" as on disk, or ""
}

// parseName splits a message file name. It never fails: any name is a
// message with some key.
func parseName(name string) fileName {
	fn := fileName{size: -1}
	fn.base = name
	if i := strings.IndexByte(name, ':'); i >= 0 {
		fn.base, fn.hasInfo, fn.info = name[:i], true, name[i+1:]
		if rest, ok := strings.CutPrefix(fn.info, "2,"); ok {
			fn.flags, fn.extra = ParseFlags(rest)
		}
	}
	fn.key = Key(fn.base)
	if i := strings.IndexByte(fn.base, ','); i >= 0 {
		fn.key = Key(fn.base[:i])
		for _, field := range strings.Split(fn.base[i+1:], ",") {
			switch {
			case strings.HasPrefix(field, "S="):
				if n, err := strconv.ParseInt(field[2:], 10, 64); err == nil {
					fn.size = n
				}
			case strings.HasPrefix(field, "X="):
				fn.id = field[2:]
			}
		}
	}
	return fn
}

// withFlags returns the file name for the same message with flags set to f,
// keeping keywords and unknown letters; the info is rebuilt as ":2," with
// every letter in ASCII order, as the spec asks. An experimental info (not
// "2,") is replaced.
func (fn fileName) withFlags(f Flags) string {
	letters := []byte(f.String() + fn.extra)
	sort.Slice(letters, func(i, j int) bool { return letters[i] < letters[j] })
	return fn.base + ":2," + string(letters)
}

// maxIDField bounds the ",X=" field so a name stays far below 255 bytes.
const maxIDField = 100

// idField is how the caller's id appears in a file name: encodeID of it, or
// for a long id "~" and a SHA-256 prefix ('~' never comes out of encodeID).
func idField(id string) string {
	if e := encodeID(id); len(e) <= maxIDField {
		return e
	}
	sum := sha256.Sum256([]byte(id))
	return "~" + hex.EncodeToString(sum[:20])
}

// encodeID makes the caller's id safe inside a file name field: bytes other
// than letters, digits, '-' and '_' become %XX (so ':' '/' ',' '.' never
// appear).
func encodeID(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(strconv.FormatInt(int64(c)|0x100, 16)[1:]))
		}
	}
	return b.String()
}

// decodeID reverses encodeID; a hashed id gives "", malformed escapes are
// kept literally.
func decodeID(s string) string {
	if strings.HasPrefix(s, "~") {
		return ""
	}
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
