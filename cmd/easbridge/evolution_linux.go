package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	ss "github.com/zalando/go-keyring/secret_service"
)

// edsSchema is the libsecret schema evolution-data-server looks
// passwords up with (attribute e-source-uid).
const edsSchema = "org.gnome.Evolution.Data.Source"

// storeEDSPasswords puts the password into the login collection of the
// Secret Service once per source UID, the way EDS stores a remembered
// password, so no client asks for it.
func storeEDSPasswords(uids []string, password string) error {
	done := make(chan error, 1)
	go func() { done <- storeEDSPasswordsNow(uids, password) }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%w: no answer within 10s (locked keyring?)", errNoSecretService)
	}
}

func storeEDSPasswordsNow(uids []string, password string) error {
	if err := sessionBusReachable(); err != nil {
		return err
	}
	svc, err := ss.NewSecretService()
	if err != nil {
		return fmt.Errorf("%w: %w", errNoSecretService, err)
	}
	session, err := svc.OpenSession()
	if err != nil {
		return fmt.Errorf("%w: %w", errNoSecretService, err)
	}
	defer svc.Close(session)
	coll := svc.GetLoginCollection()
	if err := svc.Unlock(coll.Path()); err != nil {
		return fmt.Errorf("unlocking the keyring: %w", err)
	}
	for _, uid := range uids {
		attrs := map[string]string{"xdg:schema": edsSchema, "e-source-uid": uid}
		if err := svc.CreateItem(coll, "easbridge DAV ("+uid+")", attrs, ss.NewSecret(session.Path(), password)); err != nil {
			return fmt.Errorf("storing the password for %s: %w", uid, err)
		}
	}
	return nil
}

// sessionBusReachable refuses early when there is no session bus, before
// the D-Bus library tries to autolaunch one.
func sessionBusReachable() error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		if _, err := os.Stat(filepath.Join(rt, "bus")); err == nil {
			return nil
		}
	}
	return errNoSecretService
}
