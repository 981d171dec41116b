package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"text/template"
)

var clientsCommand = command{"print the CalDAV/CardDAV, IMAP/SMTP and Maildir settings for Thunderbird, Evolution, khal/khard, mutt", printClients}

// clientsAccount is what the client guide shows for one account.
type clientsAccount struct {
	Name, Base, CalDAV, CardDAV, Principal, User, Password, Maildir string
	// IMAPHost, IMAPPort, SMTPHost, SMTPPort: empty when turned off.
	IMAPHost, IMAPPort, SMTPHost, SMTPPort string
	// Fetch is vdirsyncer's password.fetch list, naming the configuration
	// file when it is not the default one.
	Fetch string
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
{{- if .IMAPHost}}
IMAP (mail):                {{.IMAPHost}} port {{.IMAPPort}}, no TLS, user {{.User}}, the password above{{end}}
{{- if .SMTPHost}}
SMTP (sending):             {{.SMTPHost}} port {{.SMTPPort}}, no TLS, user {{.User}}, the password above{{end}}

Thunderbird
  calendar:      Calendar > New Calendar > On the Network; Username {{.User}},
                 Location {{.Base}}; Find Calendars; Subscribe.
  address book:  Address Book > New Address Book > Add CardDAV Address Book;
                 Username {{.User}}, Location {{.CardDAV}}; Continue.
{{- if .IMAPHost}}
  mail:          Account Settings > Account Actions > Add Mail Account;
                 Configure manually: Incoming IMAP, Hostname {{.IMAPHost}},
                 Port {{.IMAPPort}}, Connection security None, Authentication method
                 Normal password, Username {{.User}};
{{- if .SMTPHost}}
                 Outgoing SMTP, Hostname {{.SMTPHost}}, Port {{.SMTPPort}},
                 Connection security None, Authentication method Normal
                 password, Username {{.User}}.
                 (easbridge accepts no other host than this machine.)
{{- end}}
{{- else}}
  mail:          IMAP is off ([imap] listen); use a Maildir client below.
{{- end}}

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
  password.fetch = {{.Fetch}}
  (the same again with "carddav", url "{{.CardDAV}}" and fileext ".vcf"
   for khard)

mutt / neomutt / aerc / notmuch
  mutt:     set mbox_type=Maildir folder="{{.Maildir}}" spoolfile="+"
  aerc:     source = maildir://{{.Maildir}}
  notmuch:  notmuch config set database.mail_root "{{.Maildir}}"

`))

func printClients(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var show, printOnly, evolution bool
	var sourcesDir string
	_, path, ok := parseCommon("clients", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&show, "show-password", false, "print the DAV password instead of hiding it")
		fs.BoolVar(&printOnly, "print-password", false, "print only the DAV password (for password.fetch in vdirsyncer)")
		fs.BoolVar(&evolution, "evolution", false, "write evolution-data-server sources, so GNOME Calendar and Evolution show every calendar and address book (evolution.go)")
		fs.StringVar(&sourcesDir, "sources-dir", evolutionSourcesDir(), "where --evolution writes (EDS reads ~/.config/evolution/sources)")
	})
	if !ok {
		return 2
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge clients: %v\n", err)
		return 2
	}
	if evolution {
		if err := writeEvolution(ctx, cfg, sourcesDir, stdout); err != nil {
			fmt.Fprintf(stderr, "easbridge clients: %v\n", err)
			return 1
		}
		return 0
	}
	cmdline := "easbridge"
	fetch := `["command", "easbridge", `
	if *path != defaultConfigPath() {
		cmdline += " --config " + shellQuote(*path)
		fetch += fmt.Sprintf(`"--config", %q, `, *path)
	}
	fetch += `"clients", "--print-password"]`
	pw := "(hidden; `" + cmdline + " clients --show-password` prints it)"
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
		c := clientsFor(cfg.DAV.Listen, ac.Name, ac.Maildir, pw)
		c.IMAPHost, c.IMAPPort = mailAddr(cfg.IMAP.Listen)
		c.SMTPHost, c.SMTPPort = mailAddr(cfg.SMTP.Listen)
		c.Fetch = fetch
		if err := clientsText.Execute(stdout, c); err != nil {
			fmt.Fprintf(stderr, "easbridge clients: %v\n", err)
			return 1
		}
	}
	return 0
}

// mailAddr splits a mail server's listen address for the guide; both
// are empty when the server is off.
func mailAddr(listen string) (host, port string) {
	if listen == listenOff {
		return "", ""
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", ""
	}
	return host, port
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
