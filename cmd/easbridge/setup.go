package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/mattn/go-isatty"

	"github.com/easbridge/easbridge/eas"
)

// setupCommand is `easbridge setup`: find the server, check it, store the
// password, write the account into the configuration.
var setupCommand = command{"add or change an account: find the server, check it, keep the password in the keyring", runSetup}

// setupFlags holds every answer setup can take without asking.
type setupFlags struct {
	config, email, url, user, name       string
	mailAge, calendarAge, maildir        string
	stateDir, timeZone, clientID, tenant string
	skipFolders                          string
	passwordStdin, noKeyring, noConfirm  bool
}

// prompter asks questions on a terminal; without one every question
// takes its default (from a flag, the existing account or setup's own).
type prompter struct {
	in          *bufio.Reader
	out         io.Writer
	interactive bool
	// password reads a password without echo.
	password func(user string) (string, error)
}

// ask prints the question with its default and returns the answer, or
// the default for an empty line or when not interactive.
func (p *prompter) ask(question, def string) (string, error) {
	if !p.interactive {
		return def, nil
	}
	if def != "" {
		fmt.Fprintf(p.out, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(p.out, "%s: ", question)
	}
	line, err := p.in.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading the answer: %w", err)
	}
	if line = strings.TrimSpace(line); line == "" {
		return def, nil
	}
	return line, nil
}

func runSetup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var sf setupFlags
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&sf.config, "config", defaultConfigPath(), "configuration `file` to create or edit")
	fs.StringVar(&sf.email, "email", "", "the mailbox's e-mail `address`")
	fs.StringVar(&sf.url, "url", "", "ActiveSync `URL` (default: found with Autodiscover)")
	fs.StringVar(&sf.user, "user", "", "logon `name` (default: the e-mail address)")
	fs.StringVar(&sf.name, "name", "", "account `name` in the configuration (default: from the address)")
	fs.StringVar(&sf.mailAge, "mail-age", "", "how far back mail is kept offline: all, 1d, 3d, 1w, 2w, 1m, 3m (default), 6m")
	fs.StringVar(&sf.calendarAge, "calendar-age", "", "how far back calendar events are kept: all, 2w, 1m, 3m, 6m (default)")
	fs.StringVar(&sf.maildir, "maildir", "", "Maildir `directory` (default ~/Mail/NAME)")
	fs.StringVar(&sf.stateDir, "state-dir", "", "state `directory` (default ~/.local/share/easbridge/NAME)")
	fs.StringVar(&sf.timeZone, "time-zone", "", "IANA time `zone` for converted items (default: the system's)")
	fs.StringVar(&sf.skipFolders, "skip-folders", "", "server `folders` not to mirror, separated by commas (none: mirror all; default: as before, else none)")
	fs.StringVar(&sf.clientID, "client-id", "", "Microsoft 365 only: the Application (client) `ID` registered in Microsoft Entra ID")
	fs.StringVar(&sf.tenant, "tenant", "", "Microsoft 365 only: the directory (tenant) `ID` or domain (default: common)")
	fs.BoolVar(&sf.passwordStdin, "password-stdin", false, "read the password from the first line of standard input ($EASBRIDGE_PASSWORD works too)")
	fs.BoolVar(&sf.noKeyring, "no-keyring", false, "keep the password in a 0600 file instead of the OS keyring")
	fs.BoolVar(&sf.noConfirm, "yes", false, "do not ask before writing the configuration")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: easbridge setup [flags]")
		fmt.Fprintln(stderr, "On a terminal setup asks for what the flags do not give; otherwise it asks nothing.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	interactive := isatty.IsTerminal(os.Stdin.Fd()) && !sf.passwordStdin
	pr := &prompter{in: bufio.NewReader(os.Stdin), out: stdout, interactive: interactive,
		password: func(user string) (string, error) { return readPassword(user, stderr) }}
	if !interactive {
		pr.password = func(string) (string, error) { return nonInteractivePassword(pr.in, sf.passwordStdin) }
	}
	if err := setup(ctx, sf, pr, stdout); err != nil {
		fmt.Fprintf(stderr, "easbridge setup: %s\n", explainSetupError(err))
		return 1
	}
	return 0
}

// nonInteractivePassword takes $EASBRIDGE_PASSWORD or, with
// --password-stdin, the first line of standard input.
func nonInteractivePassword(in *bufio.Reader, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			return "", errors.New("no password on standard input")
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	if p := os.Getenv(passwordEnv); p != "" {
		return p, nil
	}
	return "", fmt.Errorf("no password: pipe it in with --password-stdin, set $%s, or run setup on a terminal", passwordEnv)
}

// setupState is what setup has gathered so far.
type setupState struct {
	ac       accountConfig
	password string
	online   bool // Exchange Online: OAuth sign-in instead of a password
	text     string
	existing bool
}

func setup(ctx context.Context, sf setupFlags, pr *prompter, out io.Writer) error {
	st, err := setupAccount(sf, pr)
	if err != nil {
		return err
	}
	if err := setupServer(ctx, st, sf, pr, out); err != nil {
		return err
	}
	if st.online {
		if err := setupOnline(st, &sf, pr, out); err != nil {
			return err
		}
	} else {
		pol, folders, err := liveCheck(ctx, &st.ac, st.password, out)
		if err != nil {
			return err
		}
		if err := setupAges(st, sf, pr, pol, out); err != nil {
			return err
		}
		if err := setupFolders(st, sf, pr, folders, out); err != nil {
			return err
		}
	}
	if pr.interactive && !sf.noConfirm {
		ans, err := pr.ask(fmt.Sprintf("Write account %q to %s? (yes/no)", st.ac.Name, sf.config), "yes")
		if err != nil {
			return err
		}
		if !strings.HasPrefix(strings.ToLower(ans), "y") {
			return errors.New("nothing written")
		}
	}
	if err := saveSetup(st, sf, out); err != nil {
		return err
	}
	printNextSteps(out, st, sf.config)
	return nil
}

// setupAccount reads the configuration and settles the account's name,
// address and user, starting from an account that has the same name or
// address, so re-running setup edits it instead of adding another.
func setupAccount(sf setupFlags, pr *prompter) (*setupState, error) {
	text, err := readConfigText(sf.config)
	if err != nil {
		return nil, err
	}
	st := &setupState{text: text}
	email, err := pr.ask("E-mail address", sf.email)
	if err != nil {
		return nil, err
	}
	if email != "" && !strings.Contains(email, "@") {
		return nil, fmt.Errorf("%q is not an e-mail address", email)
	}
	var cur config
	_, _ = toml.Decode(text, &cur) // a broken file is reported when written
	for _, a := range cur.Accounts {
		if (sf.name != "" && a.Name == sf.name) || (sf.name == "" && email != "" && strings.EqualFold(a.Email, email)) {
			st.ac, st.existing = a, true
		}
	}
	name := sf.name
	if name == "" {
		name = st.ac.Name
	}
	if name == "" {
		name = defaultAccountName(email)
	}
	if name, err = pr.ask("Account name", name); err != nil {
		return nil, err
	}
	if !accountName.MatchString(name) {
		return nil, fmt.Errorf("account name %q must be letters, digits, '.', '_' or '-'", name)
	}
	st.ac.Name = name
	if email != "" {
		st.ac.Email = email
	}
	if st.ac.Email == "" && sf.url == "" {
		return nil, errors.New("give the e-mail address (--email), or the server (--url) and user (--user)")
	}
	return st, nil
}

// defaultAccountName is the first label of the address's domain.
func defaultAccountName(email string) string {
	_, domain, _ := strings.Cut(email, "@")
	label, _, _ := strings.Cut(domain, ".")
	if label == "" || !accountName.MatchString(label) {
		return "work"
	}
	return strings.ToLower(label)
}

// setupServer settles the URL (given, or by Autodiscover), the user name
// and the password.
func setupServer(ctx context.Context, st *setupState, sf setupFlags, pr *prompter, out io.Writer) error {
	u := sf.url
	if u == "" {
		var err error
		if u, err = pr.ask("ActiveSync URL (empty: find it with Autodiscover)", st.ac.URL); err != nil {
			return err
		}
	}
	user := sf.user
	if user == "" {
		user = st.ac.Username
	}
	if user == "" {
		user = st.ac.Email
	}
	if u == "" && st.ac.Email != "" && isOnlineAddress(st.ac.Email) {
		u = eas.ExchangeOnlineURL
	}
	if u != "" && eas.IsExchangeOnline(u) {
		st.online, st.ac.URL, st.ac.Username = true, u, user
		return nil
	}
	var err error
	if user, err = pr.ask("User name", user); err != nil {
		return err
	}
	st.ac.Username = user
	if st.password, err = pr.password(user); err != nil {
		return err
	}
	if st.password == "" {
		return errors.New("the password is empty")
	}
	if u == "" {
		res, err := discover(ctx, st.ac.Email, user, st.password)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Autodiscover found %s\n", res.URL)
		u, st.online = res.URL, res.ExchangeOnline
	}
	st.ac.URL = u
	return nil
}

// isOnlineAddress reports an address at a Microsoft 365 default domain.
func isOnlineAddress(email string) bool {
	return strings.HasSuffix(strings.ToLower(email), ".onmicrosoft.com")
}

// discover runs Autodiscover for the address with the credentials.
func discover(ctx context.Context, email, user, password string) (*eas.AutodiscoverResult, error) {
	if email == "" {
		return nil, errors.New("no e-mail address to run Autodiscover with: give --url")
	}
	ad := &eas.Autodiscover{Credentials: eas.Basic{User: user, Password: password}, Candidates: autodiscoverCandidates}
	res, err := ad.Discover(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("%w; give the ActiveSync URL with --url (ask your admin, or look in Outlook on the web under Settings > Mail > Sync email)", err)
	}
	return res, nil
}

// setupAges asks how far back mail and calendars go.
func setupAges(st *setupState, sf setupFlags, pr *prompter, pol *eas.Policy, out io.Writer) error {
	for _, q := range []struct {
		flag, question string
		cur            *string
		def            string
	}{
		{sf.mailAge, "Mail to keep offline: all, 1d, 3d, 1w, 2w, 1m, 3m, 6m", &st.ac.MailAge, "3m"},
		{sf.calendarAge, "Past calendar events to keep: all, 2w, 1m, 3m, 6m", &st.ac.CalendarAge, "6m"},
	} {
		def := q.flag
		if def == "" {
			def = *q.cur
		}
		if def == "" {
			def = q.def
		}
		for {
			v, err := pr.ask(q.question, def)
			if err != nil {
				return err
			}
			if _, ok := ages[v]; ok {
				*q.cur = v
				break
			}
			if !pr.interactive {
				return fmt.Errorf("age %q is not one of all, 1d, 3d, 1w, 2w, 1m, 3m, 6m", v)
			}
			fmt.Fprintf(out, "%q is not one of the choices.\n", v)
		}
	}
	if pol != nil && pol.MaxEmailAgeFilter > 0 && (ages[st.ac.MailAge] == 0 || int(ages[st.ac.MailAge]) > pol.MaxEmailAgeFilter) {
		fmt.Fprintln(out, "Note: the server's policy limits how far back mail can go (MaxEmailAgeFilter); it will send less than asked.")
	}
	return nil
}

// saveSetup stores the secrets and writes the account.
func saveSetup(st *setupState, sf setupFlags, out io.Writer) error {
	settings := []setting{
		{"name", tomlString(st.ac.Name)}, {"url", tomlString(st.ac.URL)},
		{"username", tomlString(st.ac.Username)},
	}
	if st.ac.Email != "" {
		settings = append(settings, setting{"email", tomlString(st.ac.Email)})
	}
	for _, kv := range []struct{ key, v string }{
		{"maildir", sf.maildir}, {"state_dir", sf.stateDir}, {"time_zone", sf.timeZone},
		{"mail_age", st.ac.MailAge}, {"calendar_age", st.ac.CalendarAge},
	} {
		if kv.v != "" {
			settings = append(settings, setting{kv.key, tomlString(kv.v)})
		}
	}
	if !st.online {
		settings = append(settings, setting{"skip_folders", tomlStrings(st.ac.SkipFolders)})
	}
	if st.online {
		if !configHasKey("auth") {
			return errors.New("this mailbox is in Microsoft 365 (Exchange Online), which needs Microsoft 365 sign-in, and this build of easbridge has no `easbridge login` yet")
		}
		settings = append(settings, setting{"auth", tomlString("oauth2")})
		for _, kv := range []struct{ key, v string }{{"client_id", sf.clientID}, {"tenant", sf.tenant}} {
			if kv.v != "" && configHasKey(kv.key) {
				settings = append(settings, setting{kv.key, tomlString(kv.v)})
			}
		}
	} else {
		if err := storeSecrets(st, sf, out); err != nil {
			return err
		}
		// A password_command would take precedence over the stored password.
		settings = append(settings, setting{"password_command", ""})
	}
	text := editAccount(st.text, st.ac.Name, settings)
	if err := writeConfigFile(sf.config, text); err != nil {
		return err
	}
	// The Maildir's parent (~/Mail) may not exist on a fresh account, and
	// the Maildir store creates only its own directory.
	filled := st.ac
	if sf.maildir != "" {
		filled.Maildir = sf.maildir
	}
	if err := filled.fillDefaults(); err == nil {
		if err := os.MkdirAll(filepath.Dir(filled.Maildir), 0o700); err != nil {
			return fmt.Errorf("creating the Maildir's parent: %w", err)
		}
	}
	verb := "added to"
	if st.existing {
		verb = "updated in"
	}
	fmt.Fprintf(out, "Account %q %s %s (mode 0600).\n", st.ac.Name, verb, sf.config)
	return nil
}

// storeSecrets keeps the Exchange password, and a DAV password unless one
// exists, in the keyring or the 0600 file, and reports which.
func storeSecrets(st *setupState, sf setupFlags, out io.Writer) error {
	open := openSecrets
	if sf.noKeyring {
		open = openSecretFile
	}
	store, choice, err := open()
	if err != nil {
		return fmt.Errorf("storing the password: %w", err)
	}
	if err := store.Set(secretService, accountSecret(st.ac.Name), st.password); err != nil {
		return fmt.Errorf("storing the password: %w", err)
	}
	if _, err := store.Get(secretService, davSecret); err != nil {
		pw, err := newDAVPassword()
		if err != nil {
			return err
		}
		if err := store.Set(secretService, davSecret, pw); err != nil {
			return fmt.Errorf("storing the DAV password: %w", err)
		}
	}
	fmt.Fprintf(out, "Password stored: %s.\n", choice)
	return nil
}

// configHasKey reports whether accountConfig reads the TOML key, so setup
// writes only keys this build understands.
func configHasKey(key string) bool {
	t := reflect.TypeFor[accountConfig]()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("toml") == key {
			return true
		}
	}
	return false
}

// printNextSteps ends setup with what to do next.
func printNextSteps(out io.Writer, st *setupState, cfgPath string) {
	cfgFlag := ""
	if cfgPath != defaultConfigPath() {
		cfgFlag = " --config " + cfgPath
	}
	fmt.Fprintln(out)
	if st.online {
		fmt.Fprintf(out, "First, Microsoft 365 sign-in (once, in your browser):\n  easbridge%s login %s\n", cfgFlag, st.ac.Name)
	}
	fmt.Fprintln(out, "What to do next:")
	fmt.Fprintf(out, "  easbridge%s sync --once            # first sync now (may take a while)\n", cfgFlag)
	fmt.Fprintf(out, "  easbridge%s service install        # keep it running with your session\n", cfgFlag)
	fmt.Fprintf(out, "  easbridge%s clients                # settings for Thunderbird, GNOME Calendar, khal, mutt\n", cfgFlag)
	fmt.Fprintf(out, "  easbridge%s clients --evolution    # show the calendars in GNOME Calendar/Evolution at once\n", cfgFlag)
}

// setupOnline settles the Microsoft Entra application an Exchange Online
// account signs in with (`easbridge login` uses it).
func setupOnline(st *setupState, sf *setupFlags, pr *prompter, out io.Writer) error {
	fmt.Fprintln(out, "This mailbox is in Microsoft 365 (Exchange Online): it signs in with Microsoft 365, not a password.")
	if sf.clientID == "" {
		sf.clientID = st.ac.ClientID
	}
	id, err := pr.ask("Application (client) ID registered in Microsoft Entra ID", sf.clientID)
	if err != nil {
		return err
	}
	if id == "" {
		return errors.New("this mailbox is in Microsoft 365 (Exchange Online), which needs Microsoft 365 sign-in: give --client-id, the Application (client) ID of a public client app registered in Microsoft Entra ID with the EAS.AccessAsUser.All permission, then run `easbridge login " + st.ac.Name + "`")
	}
	sf.clientID = id
	return nil
}
