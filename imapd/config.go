package imapd

import (
	"log/slog"
	"time"

	"github.com/easbridge/easbridge/maildir"
)

// DefaultListen is the default IMAP address: loopback, port 1143 (143
// needs privileges; 1143 is the customary unprivileged stand-in).
const DefaultListen = "127.0.0.1:1143"

// DefaultMaxAppend bounds an APPEND literal: 64 MiB, above Exchange's
// usual 25-35 MB message limits.
const DefaultMaxAppend = 64 << 20

// Config configures a Server.
type Config struct {
	// Listen is the TCP address; default DefaultListen. It should be a
	// loopback address: the server speaks no TLS.
	Listen string
	// User is the only user name accepted (the account's name).
	User string
	// Password is the local password (the same as the DAV server's).
	Password string
	// SpecialUse maps an IMAP mailbox name to its RFC 6154 attribute
	// (\Sent, \Drafts, \Trash, \Junk, \Archive). Nil means the well-known
	// names: Sent, Sent Items, Drafts, Trash, Deleted Items, Junk,
	// Junk E-mail, Spam, Archive.
	SpecialUse map[string]string
	// MaxAppend bounds an APPEND literal in bytes; default DefaultMaxAppend.
	MaxAppend uint32
	// Poll is how often a folder with an idling session is listed again
	// to find new mail that nobody Notify-ed; default 250ms.
	Poll time.Duration
	// Changed, if set, receives every change made over IMAP as the
	// maildir.Event the watcher would report for the same change made by
	// another Maildir client. It is called synchronously and must not
	// block for long.
	Changed func(maildir.Event)
	// Logger receives problems; default slog.Default.
	Logger *slog.Logger
}

// defaultSpecialUse are the names Exchange, SOGo, Dovecot and Thunderbird
// use for the special folders.
var defaultSpecialUse = map[string]string{
	"Sent": `\Sent`, "Sent Items": `\Sent`, "Sent Messages": `\Sent`,
	"Drafts": `\Drafts`,
	"Trash":  `\Trash`, "Deleted Items": `\Trash`, "Deleted Messages": `\Trash`,
	"Junk": `\Junk`, "Junk E-mail": `\Junk`, "Junk Email": `\Junk`, "Spam": `\Junk`,
	"Archive": `\Archive`,
}

func (c *Config) fill() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.SpecialUse == nil {
		c.SpecialUse = defaultSpecialUse
	}
	if c.MaxAppend == 0 {
		c.MaxAppend = DefaultMaxAppend
	}
	if c.Poll <= 0 {
		c.Poll = 250 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}
