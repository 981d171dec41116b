//go:build !linux

package maildir

// notifyByDefault: elsewhere fsnotify uses kqueue (macOS, BSD), which needs
// one descriptor per file in a watched directory; a mirror of 100,000
// messages would exhaust them. So the watcher polls by default there (a
// full rescan every Options.Poll), which a Maildir's cheap directory
// listing makes affordable. Windows could use fsnotify; it polls too until
// someone tests it.
const notifyByDefault = false
