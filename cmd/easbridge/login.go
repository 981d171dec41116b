package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/easbridge/easbridge/oauth"
	"github.com/easbridge/easbridge/secret"
)

var loginCommand = command{"sign ACCOUNT in to Microsoft 365 (browser, or --device for a code)", login}

// loginTimeout bounds a sign-in: the device code of Microsoft lives 15
// minutes, and a browser sign-in left open should not hold forever.
const loginTimeout = 15 * time.Minute

// loginBrowser opens the sign-in page; nil is the desktop's opener.
// Tests replace it.
var loginBrowser func(url string) error

// login runs `easbridge login [--device] ACCOUNT`: the authorization code
// flow with PKCE in the browser (the address is printed too, for when no
// browser opens), or the device code flow with --device or without a
// display. The tokens go to the OS keyring or the 0600 file, and the
// command says which. A running daemon picks them up by itself.
func login(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var device bool
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", defaultConfigPath(), "configuration `file`")
	fs.BoolVar(&device, "device", false, "sign in with a code on another device (no browser here)")
	redirectHost := fs.String("redirect-host", "127.0.0.1", "host of the loopback redirect URI: 127.0.0.1, or localhost if the app registration lists http://localhost")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: easbridge login [--device] [--redirect-host HOST] [--config FILE] ACCOUNT")
		fs.PrintDefaults()
	}
	// Flags may come before or after the account name.
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) > 0 {
		if err := fs.Parse(rest[1:]); err != nil {
			return 2
		}
		rest = append(rest[:1], fs.Args()...)
	}
	if len(rest) != 1 {
		fs.Usage()
		return 2
	}
	name := rest[0]
	if *redirectHost != "127.0.0.1" && *redirectHost != "localhost" {
		fmt.Fprintf(stderr, "easbridge login: --redirect-host must be 127.0.0.1 or localhost\n")
		return 2
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		fmt.Fprintf(stderr, "easbridge login: %v\n", err)
		return 2
	}
	var ac *accountConfig
	for i := range cfg.Accounts {
		if cfg.Accounts[i].Name == name {
			ac = &cfg.Accounts[i]
		}
	}
	switch {
	case ac == nil:
		fmt.Fprintf(stderr, "easbridge login: no account %q in %s\n", name, *path)
		return 2
	case ac.Auth != authOAuth2:
		fmt.Fprintf(stderr, "easbridge login: account %q signs in with a password (auth = %q); for Microsoft 365 set auth = %q and client_id in its [[account]]\n", name, ac.Auth, authOAuth2)
		return 2
	}
	store, choice, err := openTokens()
	if err != nil {
		fmt.Fprintf(stderr, "easbridge login: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, tokenChoice(choice))
	opt := oauth.LoginOptions{Flow: oauth.FlowAuto, Browser: oauth.BrowserOptions{OpenBrowser: loginBrowser, RedirectHost: *redirectHost}}
	if device {
		opt.Flow = oauth.FlowDevice
	}
	ctx, cancel := context.WithTimeout(ctx, loginTimeout)
	defer cancel()
	if _, err := oauth.Login(ctx, ac.oauthConfig(nil), store, name, opt, stdout); err != nil {
		fmt.Fprintf(stderr, "easbridge login: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "A running easbridge that waits for this sign-in resumes within %s; `easbridge sync --once` works now.\n", oauth.DefaultPoll)
	return 0
}

// tokenChoice tells where the tokens are kept.
func tokenChoice(c secret.Choice) string {
	if c.Backend == secret.BackendKeyring {
		return "Tokens are kept in the OS keyring (" + c.Where + ")."
	}
	return fmt.Sprintf("Tokens are kept in %s (mode 0600): no keyring answered (%s).", c.Where, c.Reason)
}
