package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/easbridge/easbridge/eas"
)

// errPolicyBlocked marks a security policy easbridge cannot honour: setup
// and run stop rather than report a compliance they do not have.
var errPolicyBlocked = errors.New("the Exchange security policy demands what easbridge cannot do")

// volumeEncryption reports whether dir is on an encrypted volume and how
// that was found (or why it could not be). Tests replace it.
var volumeEncryption = detectEncryption

// policyBlock is one policy setting that stops the account, with what
// the user and the Exchange admin can do about it.
type policyBlock struct {
	Setting string // the MS-ASPROV element name
	Why     string // what easbridge cannot do, in the user's words
	Admin   string // what an Exchange admin can change
}

// policyError lists every setting that blocks an account.
type policyError struct {
	Account string
	Blocks  []policyBlock
}

func (e *policyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "account %q: the Exchange server's security policy cannot be honoured:", e.Account)
	for _, bl := range e.Blocks {
		fmt.Fprintf(&b, " %s: %s; an Exchange admin can %s.", bl.Setting, bl.Why, bl.Admin)
	}
	return strings.TrimSuffix(b.String(), ".")
}

func (e *policyError) Unwrap() error { return errPolicyBlocked }

// adminPolicy is how an Exchange admin changes a mobile device mailbox
// policy or exempts one device from it.
const adminPolicy = "Set-MobileDeviceMailboxPolicy in the Exchange Management Shell, or exempt this device with Set-CASMailbox -ActiveSyncAllowedDeviceIDs"

// checkPolicy returns a *policyError naming each setting of p that
// easbridge cannot honour for an account whose data lives in dirs, or nil.
// Settings about things a desktop bridge does not have (cameras, storage
// cards, Bluetooth) are honoured trivially; settings it could only pretend
// to enforce block (MS-ASPROV 2.2.2.53 lists them).
func checkPolicy(name string, p *eas.Policy, dirs ...string) error {
	if p == nil || p.None() {
		return nil
	}
	var blocks []policyBlock
	if p.RequireDeviceEncryption {
		for _, d := range dirs {
			ok, how := volumeEncryption(d)
			if !ok {
				blocks = append(blocks, policyBlock{
					Setting: "RequireDeviceEncryption",
					Why:     fmt.Sprintf("%s is not on an encrypted volume (%s); move state_dir and maildir onto one (LUKS, fscrypt, FileVault) and run setup again", d, how),
					Admin:   "set -RequireDeviceEncryption $false (" + adminPolicy + ")",
				})
				break
			}
		}
	}
	if p.DevicePasswordEnabled {
		blocks = append(blocks, policyBlock{
			Setting: "DevicePasswordEnabled",
			Why:     "easbridge runs inside your desktop session and cannot lock it or enforce a device password",
			Admin:   "set -PasswordEnabled $false (" + adminPolicy + ")",
		})
	}
	for _, s := range p.Settings {
		if (s.Name == "RequireSignedSMIMEMessages" || s.Name == "RequireEncryptedSMIMEMessages") && s.Value == "1" {
			blocks = append(blocks, policyBlock{
				Setting: s.Name,
				Why:     "easbridge cannot sign or encrypt mail with S/MIME",
				Admin:   "turn the S/MIME requirement off (" + adminPolicy + ")",
			})
		}
	}
	if len(blocks) == 0 {
		return nil
	}
	return &policyError{Account: name, Blocks: blocks}
}

// policyAcceptor is eas.Config.AcceptPolicy for an account: it refuses a
// policy checkPolicy blocks, so the device never acknowledges it.
func policyAcceptor(name string, dirs ...string) func(context.Context, *eas.Policy) error {
	return func(_ context.Context, p *eas.Policy) error {
		return checkPolicy(name, p, dirs...)
	}
}

// deviceInformation is what easbridge tells the server about itself
// (MS-ASCMD 2.2.3.48): what it is, not a phone model it pretends to be.
func deviceInformation(friendly string) *eas.DeviceInformation {
	return &eas.DeviceInformation{
		Model:        "easbridge",
		FriendlyName: friendly,
		OS:           runtime.GOOS + "/" + runtime.GOARCH,
		UserAgent:    "easbridge",
	}
}

// hostname is the machine's name for the device's friendly name.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "this computer"
	}
	return h
}
