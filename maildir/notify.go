package maildir

import (
	"errors"

	"github.com/fsnotify/fsnotify"
)

// notifier is what the watcher needs from a file system watcher: directory
// watches, and a stream of "something happened in this directory" hints.
// Events are hints only; the rescan that follows is the truth.
type notifier interface {
	Add(dir string) error
	Remove(dir string) error
	// Events delivers the directory in which something changed.
	Events() <-chan string
	// Overflow fires when the kernel dropped events: rescan everything.
	Overflow() <-chan struct{}
	// Errors delivers other watcher errors (also answered by a rescan).
	Errors() <-chan error
	Close() error
}

// fsNotifier adapts fsnotify. Its own goroutine (inside fsnotify) reads
// the kernel queue; ours translates in a second goroutine so that the
// watch loop sees only directories.
type fsNotifier struct {
	w        *fsnotify.Watcher
	events   chan string
	overflow chan struct{}
	errs     chan error
	stop     chan struct{}
	done     chan struct{}
}

func newFSNotifier() (*fsNotifier, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	n := &fsNotifier{
		w: w, events: make(chan string, 256), overflow: make(chan struct{}, 1),
		errs: make(chan error, 16), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go n.run()
	return n, nil
}

func (n *fsNotifier) run() {
	defer close(n.done)
	for {
		select {
		case ev, ok := <-n.w.Events:
			if !ok {
				return
			}
			select {
			case n.events <- dirOf(ev.Name):
			case <-n.stop:
				return
			}
		case err, ok := <-n.w.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				select {
				case n.overflow <- struct{}{}:
				default:
				}
				continue
			}
			select {
			case n.errs <- err:
			default:
			}
		}
	}
}

// dirOf is filepath.Dir without cleaning (fsnotify names are clean).
func dirOf(p string) string {
	for i := len(p) - 1; i > 0; i-- {
		if p[i] == '/' || p[i] == '\\' {
			return p[:i]
		}
	}
	return p
}

func (n *fsNotifier) Add(dir string) error      { return n.w.Add(dir) }
func (n *fsNotifier) Remove(dir string) error   { return n.w.Remove(dir) }
func (n *fsNotifier) Events() <-chan string     { return n.events }
func (n *fsNotifier) Overflow() <-chan struct{} { return n.overflow }
func (n *fsNotifier) Errors() <-chan error      { return n.errs }

// Close stops fsnotify and our translating goroutine, and waits for it.
func (n *fsNotifier) Close() error {
	close(n.stop)
	err := n.w.Close()
	<-n.done
	return err
}
