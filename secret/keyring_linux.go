package secret

import (
	"errors"
	"os"
	"path/filepath"
)

const keyringName = "Secret Service"

// keyringReachable refuses early when there is no session bus to ask: the
// D-Bus library would otherwise try to autolaunch one through X11.
func keyringReachable() error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return nil
	}
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		if _, err := os.Stat(filepath.Join(rt, "bus")); err == nil {
			return nil
		}
	}
	return errors.New("secret: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset, no $XDG_RUNTIME_DIR/bus)")
}
