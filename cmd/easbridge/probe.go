package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"sort"
	"strings"

	"github.com/easbridge/easbridge/eas"
)

// probeCommand is `easbridge probe`: it connects to an ActiveSync server
// and prints what it offers, without changing anything in the mailbox.
var probeCommand = command{
	summary: "connect to an ActiveSync server and show its versions, policy and folders",
	run:     runProbe,
}

// autodiscoverCandidates lets tests point --email at a local server.
var autodiscoverCandidates func(domain string) []string

type probeFlags struct {
	url, user, email, deviceID, deviceType, version string
	base64, debug                                   bool
}

func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf probeFlags
	fs.StringVar(&pf.url, "url", "", "ActiveSync URL, such as https://mail.example.com/Microsoft-Server-ActiveSync")
	fs.StringVar(&pf.user, "user", "", "logon name (default: the --email address)")
	fs.StringVar(&pf.email, "email", "", "e-mail address, to find the URL with Autodiscover")
	fs.StringVar(&pf.deviceID, "device-id", "", "DeviceId to present (default: derived from this machine and the user)")
	fs.StringVar(&pf.deviceType, "device-type", "easbridge", "DeviceType to present")
	fs.StringVar(&pf.version, "version", "", "force a protocol version such as 14.1 (default: negotiate)")
	fs.BoolVar(&pf.base64, "base64-query", false, "send the base64-encoded query form of MS-ASHTTP")
	fs.BoolVar(&pf.debug, "debug", false, "log the requests to stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: easbridge probe (--url URL --user NAME | --email ADDRESS) [flags]")
		fmt.Fprintln(stderr, "The password is read from EASBRIDGE_PASSWORD, or asked for on the terminal.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || (pf.url == "" && pf.email == "") {
		fs.Usage()
		return 2
	}
	if err := probe(ctx, pf, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "easbridge probe: %v\n", err)
		return 1
	}
	return 0
}

func probe(ctx context.Context, pf probeFlags, out, stderr io.Writer) error {
	if pf.user == "" {
		pf.user = pf.email
	}
	if pf.user == "" {
		return errors.New("no user name: give --user or --email")
	}
	password, err := readPassword(pf.user, stderr)
	if err != nil {
		return err
	}
	creds := eas.Basic{User: pf.user, Password: password}
	log := slog.New(slog.DiscardHandler)
	if pf.debug {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if pf.url == "" {
		ad := &eas.Autodiscover{Credentials: creds, Candidates: autodiscoverCandidates, Logger: log}
		res, err := ad.Discover(ctx, pf.email)
		if err != nil {
			return err
		}
		pf.url = res.URL
		fmt.Fprintf(out, "Autodiscover: %s\n", res.URL)
	}
	if pf.deviceID == "" {
		pf.deviceID = defaultDeviceID(pf.user)
	}
	cfg := eas.Config{
		URL: pf.url, User: pf.user, Credentials: creds,
		DeviceID: pf.deviceID, DeviceType: pf.deviceType, Logger: log, Base64Query: pf.base64,
		DeviceInformation: &eas.DeviceInformation{Model: "easbridge", FriendlyName: "easbridge probe", UserAgent: "easbridge"},
		OnRedirect:        func(u string) { fmt.Fprintf(out, "Redirected to: %s\n", u) },
	}
	if pf.version != "" {
		v, err := eas.ParseVersion(pf.version)
		if err != nil {
			return err
		}
		cfg.Version = v
	}
	c, err := eas.New(cfg)
	if err != nil {
		return err
	}
	return probeServer(ctx, c, pf, out)
}

func probeServer(ctx context.Context, c *eas.Client, pf probeFlags, out io.Writer) error {
	opts, err := c.Options(ctx)
	if err != nil {
		return err
	}
	names := make([]string, len(opts.Versions))
	for i, v := range opts.Versions {
		names[i] = v.String()
	}
	fmt.Fprintf(out, "Server:    %s\n", c.URL())
	fmt.Fprintf(out, "DeviceId:  %s\n", pf.deviceID)
	fmt.Fprintf(out, "Versions:  %s (server reports %s)\n", strings.Join(names, ", "), opts.Server)
	fmt.Fprintf(out, "Commands:  %s\n", strings.Join(opts.Commands, ", "))
	v, err := c.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Using:     %s\n", v)
	pol, err := c.Provision(ctx)
	if err != nil {
		return err
	}
	printPolicy(out, pol)
	if ui, err := c.UserInformation(ctx); err == nil {
		fmt.Fprintf(out, "User:      %s <%s>\n", ui.DisplayName, ui.PrimaryAddress)
	}
	fc, err := c.FolderSync(ctx, "0")
	if err != nil {
		return err
	}
	est := estimates(ctx, c, fc.Added)
	fmt.Fprintf(out, "Folders (%d):\n", len(fc.Added))
	printTree(out, fc.Added, est)
	return nil
}

func printPolicy(out io.Writer, pol *eas.Policy) {
	switch {
	case pol == nil || pol.None():
		fmt.Fprintln(out, "Policy:    none (the server demands no security policy)")
	case len(pol.Settings) == 0:
		fmt.Fprintf(out, "Policy:    key %s, no settings\n", pol.Key)
	default:
		fmt.Fprintf(out, "Policy:    key %s\n", pol.Key)
		for _, s := range pol.Settings {
			fmt.Fprintf(out, "  %s = %s\n", s.Name, s.Value)
		}
	}
}

// estimates does the SyncKey 0 dance for every syncable folder in one
// Sync (which changes nothing in the mailbox), then asks GetItemEstimate
// with the keys it got. Failures leave the folder without an estimate.
func estimates(ctx context.Context, c *eas.Client, folders []eas.Folder) map[string]int {
	out := map[string]int{}
	req := &eas.SyncRequest{}
	for _, f := range folders {
		if cl := f.Type.Class(); cl != "" {
			req.Collections = append(req.Collections, eas.SyncCollection{CollectionID: f.ServerID, SyncKey: "0", Class: cl})
		}
	}
	if len(req.Collections) == 0 {
		return out
	}
	res, _ := c.Sync(ctx, req, nil)
	if res == nil {
		return out
	}
	var ereq []eas.EstimateRequest
	for _, cr := range res.Collections {
		if cr.Err == nil && cr.SyncKey != "" && cr.SyncKey != "0" {
			ereq = append(ereq, eas.EstimateRequest{CollectionID: cr.CollectionID, SyncKey: cr.SyncKey, Class: collectionClass(req, cr.CollectionID)})
		}
	}
	if len(ereq) == 0 {
		return out
	}
	ests, err := c.GetItemEstimate(ctx, ereq)
	if err != nil {
		return out
	}
	for _, e := range ests {
		if e.Status == 1 {
			out[e.CollectionID] = e.Count
		}
	}
	return out
}

func collectionClass(req *eas.SyncRequest, id string) eas.Class {
	for _, c := range req.Collections {
		if c.CollectionID == id {
			return c.Class
		}
	}
	return ""
}

var folderTypeNames = map[eas.FolderType]string{
	eas.FolderGeneric: "folder", eas.FolderInbox: "inbox", eas.FolderDrafts: "drafts",
	eas.FolderDeleted: "deleted items", eas.FolderSent: "sent items", eas.FolderOutbox: "outbox",
	eas.FolderTasks: "tasks", eas.FolderCalendar: "calendar", eas.FolderContacts: "contacts",
	eas.FolderNotes: "notes", eas.FolderJournal: "journal", eas.FolderUserMail: "mail",
	eas.FolderUserCalendar: "calendar", eas.FolderUserContacts: "contacts", eas.FolderUserTasks: "tasks",
	eas.FolderUserJournal: "journal", eas.FolderUserNotes: "notes", eas.FolderRecipientCache: "recipient cache",
}

// printTree prints the folders indented by ParentId, siblings sorted by
// name; folders whose parent is unknown are printed at the top level.
func printTree(out io.Writer, folders []eas.Folder, est map[string]int) {
	known := map[string]bool{}
	for _, f := range folders {
		known[f.ServerID] = true
	}
	kids := map[string][]eas.Folder{}
	for _, f := range folders {
		p := f.ParentID
		if !known[p] || p == f.ServerID {
			p = "0"
		}
		kids[p] = append(kids[p], f)
	}
	seen := map[string]bool{}
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		list := kids[parent]
		sort.Slice(list, func(i, j int) bool { return list[i].DisplayName < list[j].DisplayName })
		for _, f := range list {
			if seen[f.ServerID] {
				continue
			}
			seen[f.ServerID] = true
			name := folderTypeNames[f.Type]
			if name == "" {
				name = fmt.Sprintf("type %d", f.Type)
			}
			line := fmt.Sprintf("%s%s [%s] %s", strings.Repeat("  ", depth+1), f.DisplayName, name, f.ServerID)
			if n, ok := est[f.ServerID]; ok {
				line += fmt.Sprintf(" (%d items)", n)
			}
			fmt.Fprintln(out, line)
			walk(f.ServerID, depth+1)
		}
	}
	walk("0", 0)
}

// readPassword takes EASBRIDGE_PASSWORD, or asks on the terminal with
// echo off (stty, so no terminal module is needed).
func readPassword(userName string, stderr io.Writer) (string, error) {
	if p, ok := os.LookupEnv("EASBRIDGE_PASSWORD"); ok {
		return p, nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", errors.New("no password: set EASBRIDGE_PASSWORD or run on a terminal")
	}
	defer tty.Close()
	if err := stty(tty, "-echo"); err != nil {
		return "", errors.New("no password: set EASBRIDGE_PASSWORD (cannot turn off echo on this terminal)")
	}
	defer func() {
		stty(tty, "echo")
		fmt.Fprintln(tty)
	}()
	fmt.Fprintf(tty, "Password for %s: ", userName)
	line, err := bufio.NewReader(tty).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func stty(tty *os.File, arg string) error {
	cmd := exec.Command("stty", arg)
	cmd.Stdin = tty
	return cmd.Run()
}

// defaultDeviceID derives a stable DeviceId from the machine id and the
// local and EAS user names: the same on every run, different per machine
// and account, and revealing neither (hashed). 32 letters and digits, the
// most MS-ASHTTP allows.
func defaultDeviceID(easUser string) string {
	machine := ""
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			machine = strings.TrimSpace(string(b))
			break
		}
	}
	if machine == "" {
		machine, _ = os.Hostname()
	}
	local := ""
	if u, err := user.Current(); err == nil {
		local = u.Username
	}
	sum := sha256.Sum256([]byte("easbridge\x00" + machine + "\x00" + local + "\x00" + strings.ToLower(easUser)))
	return "EB" + strings.ToUpper(hex.EncodeToString(sum[:15]))
}
