package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/template"
)

var clientsCommand = command{"print the CalDAV/CardDAV and Maildir settings for Thunderbird, Evolution, khal/khard, mutt", printClients}

// clientsAccount is what the client guide shows for one account.
type clientsAccount struct {
	Name, Base, CalDAV, CardDAV, Principal, User, Password, Maildir string
}

// clientsText is the per-account guide. Each client's steps name its own
// menu items, so users can follow them without knowing what DAV is.
var clientsText = template.Must(template.New("clients").Parse(`== account {{.Name}}
CalDAV (calendars, tasks):  {{.CalDAV}}
CardDAV (address books):    {{.CardDAV}}
server (auto-discovery):    {{.Base}}
user name:                  {{.User}}
password:                   {{.Password}}
Maildir (mail):             {{.Maildir}}

Thunderbird
  calendar:      Calendar > New Calendar > On the Network; Username {{.User}},
                 Location {{.Base}}; Find Calendars; Subscribe.
  address book:  Address Book > New Address Book > Add CardDAV Address Book;
                 Username {{.User}}, Location {{.CardDAV}}; Continue.
  mail:          Thunderbird reads Maildir only through IMAP; until easbridge
                 serves IMAP, use a Maildir client below.

GNOME Calendar / Evolution
  Evolution > File > New > Calendar (and Task List, Address Book);
  Type CalDAV (CardDAV for contacts), URL {{.CalDAV}} ({{.CardDAV}}),
  User {{.User}}; Find Calendars. GNOME Calendar shows what Evolution adds.

khal / khard (vdirsyncer ~/.config/vdirsyncer/config)
  [general]
  status_path = "~/.local/share/vdirsyncer/status/"
  [pair easbridge_{{.Name}}_cal]
  a = "easbridge_{{.Name}}_cal_local"
  b = "easbridge_{{.Name}}_cal_remote"
  collections = ["from b"]
  [storage easbridge_{{.Name}}_cal_local]
  type = "filesystem"
  path = "~/.local/share/vdirsyncer/{{.Name}}/calendars/"
  fileext = ".ics"
  [storage easbridge_{{.Name}}_cal_remote]
  type = "caldav"
  url = "{{.Base}}"
  username = "{{.User}}"
  password.fetch = ["command", "easbridge", "clients", "--print-password"]
  (the same again with "carddav", url "{{.CardDAV}}" and fileext ".vcf"
   for khard)

mutt / neomutt / aerc / notmuch
  mutt:     set mbox_type=Maildir folder="{{.Maildir}}" spoolfile="+"
  aerc:     source = maildir://{{.Maildir}}
  notmuch:  notmuch config set database.mail_root "{{.Maildir}}"

`))

func printClients(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var show, printOnly bool
	_, path, ok := parseCommon("clients", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&show, "show-password", false, "print the DAV password instead of hiding it")
		fs.BoolVar(&printOnly, "print-password", false, "print only the DAV password (for password.fetch in vdirsyncer)")
	})
	if !ok {
		return 2
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge clients: %v\n", err)
		return 2
	}
	pw := "(hidden; `easbridge clients --show-password` prints it)"
	if show || printOnly {
		p, err := cfg.davPassword(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "easbridge clients: %v\n", err)
			return 1
		}
		if printOnly {
			fmt.Fprintln(stdout, p)
			return 0
		}
		pw = p
	}
	fmt.Fprintf(stdout, "easbridge serves every account on http://%s/ while `easbridge run` (or the service) runs.\n\n", cfg.DAV.Listen)
	for _, ac := range cfg.Accounts {
		if err := clientsText.Execute(stdout, clientsFor(cfg.DAV.Listen, ac.Name, ac.Maildir, pw)); err != nil {
			fmt.Fprintf(stderr, "easbridge clients: %v\n", err)
			return 1
		}
	}
	return 0
}

// clientsFor builds one account's settings; the DAV principal of an
// account is its name (see byUser in run.go).
func clientsFor(listen, name, maildir, password string) clientsAccount {
	base := "http://" + listen + "/"
	seg := url.PathEscape(name)
	return clientsAccount{
		Name: name, Base: base, User: name, Password: password,
		CalDAV:    base + "calendars/" + seg + "/",
		CardDAV:   base + "contacts/" + seg + "/",
		Principal: base + "principals/" + seg + "/",
		Maildir:   strings.TrimSuffix(maildir, "/"),
	}
}
